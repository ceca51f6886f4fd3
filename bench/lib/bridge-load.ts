/**
 * The MCP endpoint paths (the bridge): the same `echo` call made as `tools/call` through the
 * gateway's `/mcp` and `/sse`, by the lean clients of this directory or by the SDK client.
 *
 * - `mcp`: lean, every caller on one session (many calls in flight on a session);
 * - `mcp-sdk`: the SDK's `Client` + `StreamableHTTPClientTransport` on one session, what a
 *   TypeScript MCP client costs, its own CPU included;
 * - `mcp-sessions`: lean, one session per caller (64 sessions at 64 in flight);
 * - `sse`: lean, the legacy HTTP+SSE endpoint, every caller on one session.
 *
 * Sessions are opened before the warm-up and closed after the measured run of each level.
 *
 * @module
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { runCallLoop } from './call-loop.js';
import { ECHO_CALL, checkEchoResult } from './echo-call.js';
import { McpHttpSession } from './mcp-http-session.js';
import type { GatewayPathId, LoadDriver } from './paths.js';
import { SseSession } from './sse-session.js';

/** What a driver needs of a session: an echo call, and an end. */
interface EchoSession {
  callEcho(): Promise<unknown>;
  close(): Promise<void>;
}

export function bridgeDriver(path: Exclude<GatewayPathId, 'rest'>, baseUrl: string): LoadDriver {
  switch (path) {
    case 'mcp':
      return sessionDriver(path, () => openLean(new URL('/mcp', baseUrl)), () => 1);
    case 'mcp-sessions':
      return sessionDriver(path, () => openLean(new URL('/mcp', baseUrl)), (concurrency) => concurrency);
    case 'mcp-sdk':
      return sessionDriver(path, () => openSdk(new URL('/mcp', baseUrl)), () => 1);
    case 'sse':
      return sessionDriver(path, () => openSse(new URL('/sse', baseUrl)), () => 1);
  }
}

/** `sessionsFor(concurrency)` sessions; caller `i` uses session `i % sessions`. */
function sessionDriver(path: GatewayPathId, openSession: () => Promise<EchoSession>, sessionsFor: (concurrency: number) => number): LoadDriver {
  return {
    open: async (concurrency) => {
      const sessions = await Promise.all(Array.from({ length: sessionsFor(concurrency) }, openSession));
      return {
        run: (seconds) => runCallLoop(path, concurrency, seconds, async (worker) => checkEchoResult(await sessions[worker % sessions.length]!.callEcho())),
        close: async () => {
          await Promise.all(sessions.map((session) => session.close()));
        },
      };
    },
    probe: async () => {
      try {
        const session = await openSession();
        try {
          const result = await session.callEcho();
          return { ok: checkEchoResult(result) === undefined, answer: `tools/call echo -> ${JSON.stringify(result).slice(0, 200)}` };
        } finally {
          await session.close();
        }
      } catch (error) {
        return { ok: false, answer: `failed: ${error instanceof Error ? error.message : String(error)}` };
      }
    },
  };
}

async function openLean(endpoint: URL): Promise<EchoSession> {
  const session = await McpHttpSession.open(endpoint);
  return { callEcho: () => session.request('tools/call', ECHO_CALL), close: () => session.close() };
}

async function openSse(endpoint: URL): Promise<EchoSession> {
  const session = await SseSession.open(endpoint);
  return { callEcho: () => session.request('tools/call', ECHO_CALL), close: () => session.close() };
}

async function openSdk(endpoint: URL): Promise<EchoSession> {
  const transport = new StreamableHTTPClientTransport(endpoint);
  const client = new Client({ name: 'mcpgate-bench', version: '0.0.0' });
  await client.connect(transport);
  return {
    callEcho: () => client.callTool(ECHO_CALL),
    close: async () => {
      // The SDK client's close() sends no DELETE: end the session on the gateway first.
      await transport.terminateSession();
      await client.close();
    },
  };
}
