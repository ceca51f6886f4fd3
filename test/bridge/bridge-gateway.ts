/**
 * A real gateway on port 0 for the MCP frontend tests, with server-everything (or any config)
 * behind it, and SDK clients connected to its `/mcp` or `/sse` endpoints.
 */
import { afterAll } from 'vitest';
import { Client, SSEClientTransport, StreamableHTTPClientTransport, type ClientOptions } from '@modelcontextprotocol/client';
import type { StdioUpstreamConfig } from '../../src/config/types.js';
import { deliverResponsesAfterNotifications } from '../../src/upstream/connect.js';
import { everythingServerPath, stdioConfig } from '../helpers/fixtures.js';

export function everythingStdio(overrides: Partial<StdioUpstreamConfig> = {}): StdioUpstreamConfig {
  return stdioConfig({ name: 'everything', args: [everythingServerPath, 'stdio'], ...overrides });
}

/** A real gateway on port 0 (the REST tests' starter: the same gateway serves both frontends), closed after the file. */
export { startRestGateway as startBridgeGateway, type RunningRestGateway as RunningBridgeGateway } from '../rest/rest-gateway.js';

const clients: Client[] = [];
afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
});

export type EndpointKind = 'streamable-http' | 'sse';

/** An SDK client (legacy era) connected to `url` (the `/mcp` or `/sse` URL), closed after the file. */
export async function connectClient(
  url: string,
  kind: EndpointKind,
  options: ClientOptions = {},
  name = 'test-client',
  /** Headers sent with every request of the transport (e.g. `authorization`). */
  requestInit: { headers?: Record<string, string> } = {},
): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' }, options);
  const transport = kind === 'sse' ? new SSEClientTransport(new URL(url), { requestInit }) : new StreamableHTTPClientTransport(new URL(url), { requestInit });
  await client.connect(transport);
  // The SDK client drops a progress notification that arrives in the same chunk as its response
  // (it settles responses before running notification handlers); the gateway's own upstream
  // client has the same fix, so what is measured here is what the gateway sent.
  deliverResponsesAfterNotifications(transport);
  clients.push(client);
  return client;
}

/** The JSON-RPC messages of an MCP POST answer, whether it came as JSON or as an SSE stream. */
export async function messagesOf(response: Response): Promise<any[]> {
  const text = await response.text();
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return text ? [JSON.parse(text)] : [];
  return text
    .split('\n')
    .filter((line) => line.startsWith('data:') && line.length > 'data:'.length)
    .map((line) => line.slice('data:'.length).trim())
    .filter((data) => data !== '')
    .map((data) => JSON.parse(data));
}

/** A bare streamable HTTP session driven with `fetch`, for what an SDK client cannot send (chosen ids). */
export class RawMcpSession {
  private constructor(
    readonly url: string,
    readonly sessionId: string,
  ) {}

  static async open(url: string, capabilities: Record<string, unknown> = {}): Promise<RawMcpSession> {
    const response = await fetch(url, {
      method: 'POST',
      headers: RawMcpSession.headers(),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'init',
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    const sessionId = response.headers.get('mcp-session-id');
    await response.text();
    if (!sessionId) throw new Error(`initialize answered ${response.status} without a session id`);
    const session = new RawMcpSession(url, sessionId);
    await session.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return session;
  }

  static headers(sessionId?: string): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
    };
  }

  post(message: unknown, signal?: AbortSignal): Promise<Response> {
    return fetch(this.url, { method: 'POST', headers: RawMcpSession.headers(this.sessionId), body: JSON.stringify(message), ...(signal ? { signal } : {}) });
  }

  /** Sends a request and resolves with every message of its answer stream (the response last). */
  async request(message: { id: unknown; method: string; params?: unknown }): Promise<any[]> {
    return messagesOf(await this.post({ jsonrpc: '2.0', ...message }));
  }
}
