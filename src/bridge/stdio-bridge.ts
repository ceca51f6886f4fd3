/**
 * `mcpgate --stdio` for a 2025-era client and a remote that speaks 2026-07-28: the relay's
 * message-by-message pipe cannot work there (the remote has no `initialize`), so the client is
 * served as a shared-connection session (the one `/mcp` gives), on stdin/stdout, through a
 * supervised upstream connection that negotiates the remote's era. The gateway answers
 * `initialize` from the remote's `server/discover`, and the remote's `input_required` rounds reach
 * the client as ordinary sampling and elicitation requests.
 *
 * Which of the two serves a client is decided on its first message: only an `initialize` to an
 * HTTP remote that answers a 2026-07-28 `server/discover` is bridged; everything else is relayed.
 *
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { HttpUpstreamConfig, UpstreamConfig } from '../config/types.js';
import type { HookRunner } from '../hooks/hook-runner.js';
import type { Logger } from '../log/logger.js';
import { Upstream } from '../upstream/upstream.js';
import { packageVersion } from '../version.js';
import type { RelayOutcome } from './stdio-relay.js';
import { withHooks } from './hooked-transport.js';
import { FIRST_STATELESS_PROTOCOL_VERSION } from './json-rpc.js';
import { SharedUpstreamHub } from './shared-hub.js';

/** Only a streamable HTTP remote can speak 2026-07-28 (stdio children and HTTP+SSE are relayed as they are). */
export function mayServeModernProtocol(upstream: UpstreamConfig): upstream is HttpUpstreamConfig {
  return upstream.transport === 'streamable-http' || upstream.transport === 'http-auto';
}

/**
 * Whether `upstream` is a remote that serves 2026-07-28 requests: one `server/discover` POST, as
 * the SDK's own era probe sends it. Any failure means "relay as before".
 */
export async function speaksModernProtocol(upstream: UpstreamConfig, timeoutMs = 10_000): Promise<boolean> {
  if (!mayServeModernProtocol(upstream)) return false;
  try {
    const response = await fetch(upstream.url, {
      method: 'POST',
      headers: {
        ...upstream.headers,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': FIRST_STATELESS_PROTOCOL_VERSION,
        'mcp-method': 'server/discover',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'mcpgate-era-probe',
        method: 'server/discover',
        params: {
          _meta: {
            [PROTOCOL_VERSION_META_KEY]: FIRST_STATELESS_PROTOCOL_VERSION,
            [CLIENT_CAPABILITIES_META_KEY]: {},
            [CLIENT_INFO_META_KEY]: { name: 'mcpgate', version: packageVersion },
          },
        },
      }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) return false;
    // A JSON answer, or the last `data:` line of an SSE one.
    const json = response.headers.get('content-type')?.startsWith('text/event-stream')
      ? text.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).at(-1)
      : text;
    const versions = (JSON.parse(json ?? 'null') as { result?: { supportedVersions?: unknown } } | null)?.result?.supportedVersions;
    return Array.isArray(versions) && versions.includes(FIRST_STATELESS_PROTOCOL_VERSION);
  } catch {
    return false;
  }
}

export interface StdioBridgeOptions {
  upstream: UpstreamConfig;
  input: Readable;
  output: Writable;
  logger: Logger;
  /** Hooks on the client's messages and calls, and their tool policy. */
  hooks?: HookRunner;
}

/** Serves the stdio client through a shared-connection session until stdin ends. */
export class StdioBridge {
  private readonly upstream: Upstream;
  private readonly transport: StdioServerTransport;

  constructor(private readonly options: StdioBridgeOptions) {
    const { hooks } = options;
    this.upstream = new Upstream(options.upstream, {
      logger: options.logger,
      clientInfo: { name: 'mcpgate', version: packageVersion },
      ...(hooks ? { allowTool: (server: string, tool: string) => hooks.allowsTool(server, tool) } : {}),
    });
    const hub = new SharedUpstreamHub(this.upstream, { logger: options.logger, connectTimeoutMs: 30_000 });
    this.transport = new StdioServerTransport(options.input, options.output);
    const server = options.upstream.name;
    hub.attach(hooks ? withHooks(this.transport, { runner: hooks, server, frontend: 'stdio', resolveTool: (tool) => ({ server, tool }) }) : this.transport);
  }

  async run(): Promise<RelayOutcome> {
    this.options.logger.info({ url: 'url' in this.options.upstream ? this.options.upstream.url : undefined }, 'the server speaks 2026-07-28: serving this 2025-era client through a translating session');
    const ended = new Promise<RelayOutcome>((resolve) => {
      this.options.input.once('end', () => resolve({ kind: 'input-ended' }));
      this.options.input.once('error', () => resolve({ kind: 'input-ended' }));
    });
    this.upstream.start();
    await this.transport.start();
    return ended;
  }

  async close(): Promise<void> {
    await this.transport.close().catch(() => undefined);
    await this.upstream.close();
  }
}
