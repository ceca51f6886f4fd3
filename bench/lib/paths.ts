/**
 * The ways the benchmark reaches the demo server's `echo` tool, and what a driver of one provides.
 * Every gateway path has a gateway process of its own, so each one's memory is its own.
 *
 * @module
 */
import type { RunResult } from './stats.js';

/** The paths through the gateway, in the order they run at each level. */
export const GATEWAY_PATHS = ['rest', 'mcp', 'mcp-sdk', 'mcp-sessions', 'sse'] as const;
export type GatewayPathId = (typeof GATEWAY_PATHS)[number];
/** `direct` is the baseline: an SDK client talking to the demo server over stdio, no gateway. */
export type PathId = 'direct' | GatewayPathId;

/** The paths of the REST frontend and of the MCP endpoints (`--only rest`, `--only bridge`). */
export const PATH_GROUPS: Record<'rest' | 'bridge', readonly GatewayPathId[]> = {
  rest: ['rest'],
  bridge: ['mcp', 'mcp-sdk', 'mcp-sessions', 'sse'],
};

/** How each path is named in the table, and what it is. */
export const PATH_INFO: Record<PathId, { label: string; description: string }> = {
  direct: { label: 'direct', description: 'SDK client over stdio to the demo server, no gateway (the baseline)' },
  rest: { label: 'REST', description: 'autocannon, POST /echo' },
  mcp: { label: 'mcp 1 session', description: 'lean client, POST /mcp, every caller on one session' },
  'mcp-sdk': { label: 'mcp SDK', description: 'SDK Client + StreamableHTTPClientTransport, one session' },
  'mcp-sessions': { label: 'mcp N sessions', description: 'lean client, POST /mcp, one session per caller' },
  sse: { label: 'sse 1 session', description: 'lean client, GET /sse + POST messages?sessionId=, one session' },
};

export function isBridgePath(path: PathId): boolean {
  return (PATH_GROUPS.bridge as readonly PathId[]).includes(path);
}

/** A path ready for `concurrency` calls in flight: its sessions (if any) are open. */
export interface Load {
  /** Calls in a loop for `seconds`; may be run again (the warm-up, then the measured run). */
  run(seconds: number): Promise<RunResult>;
  /** Ends its sessions. */
  close(): Promise<void>;
}

export interface LoadDriver {
  /** Opens what `concurrency` callers need (sessions, handshakes): not part of any measured window. */
  open(concurrency: number): Promise<Load>;
  /** One call, as answered, shown before the runs so a broken path is obvious at once. */
  probe(): Promise<{ ok: boolean; answer: string }>;
}
