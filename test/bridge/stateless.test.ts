/**
 * `--stateless`: 2025-era streamable HTTP without sessions. Every request stands alone (no
 * `Mcp-Session-Id`, no GET stream, no DELETE), as 2026-07-28 requests always do, which still
 * work on the same endpoint. server-everything over stdio behind the gateway; real SDK clients
 * of both eras and raw `fetch`.
 */
import { describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { textOf } from '../helpers/fixtures.js';
import { connectClient, everythingStdio, messagesOf, RawMcpSession, startBridgeGateway } from './bridge-gateway.js';

const gateway = await startBridgeGateway([everythingStdio()], { mcp: { stateless: true } });
const endpoint = `${gateway.url}/mcp`;


describe('--stateless', () => {
  it('serves a 2025-era SDK client without a session: initialize, list, call with progress', async () => {
    const client = await connectClient(endpoint, 'streamable-http');
    expect(client.getServerVersion()?.name).toBe('mcp-servers/everything');
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('echo');
    const progress: number[] = [];
    await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } }, { onprogress: (p) => progress.push(p.progress) });
    expect(progress).toEqual([1, 2]);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'stateless' } }))).toBe('Echo: stateless');
  });

  it('gives no session id, answers any request without one, and refuses GET and DELETE with 405', async () => {
    const initialize = await fetch(endpoint, {
      method: 'POST',
      headers: RawMcpSession.headers(),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    expect(initialize.status).toBe(200);
    expect(initialize.headers.get('mcp-session-id')).toBeNull();
    await initialize.text();
    const call = await fetch(endpoint, {
      method: 'POST',
      headers: RawMcpSession.headers(),
      body: JSON.stringify({ jsonrpc: '2.0', id: 'x', method: 'tools/call', params: { name: 'echo', arguments: { message: 'alone' } } }),
    });
    const [answer] = await messagesOf(call);
    expect(answer).toMatchObject({ id: 'x', result: { content: [{ text: 'Echo: alone' }] } });
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(endpoint, { method, headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2025-11-25' } });
      expect(response.status, method).toBe(405);
      await response.body?.cancel();
    }
  });

  it("refuses a server's elicitation request for a stateless client, with the reason", async () => {
    const client = await connectClient(endpoint, 'streamable-http', { capabilities: { elicitation: {} } });
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept' as const, content: { name: 'never asked', check: true } }));
    const outcome = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} }).then(textOf, (error: Error) => error.message);
    expect(outcome).not.toContain('never asked');
    expect(outcome).toMatch(/does not support elicitation/);
  });

  it('still serves 2026-07-28 clients', async () => {
    const client = new Client({ name: 'modern', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(endpoint)));
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'modern' } }))).toBe('Echo: modern');
    await client.close();
  });

  it('still checks the body: malformed JSON gets -32700 and a wrong content type 415', async () => {
    const malformed = await fetch(endpoint, { method: 'POST', headers: RawMcpSession.headers(), body: '{"jsonrpc":' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).error.code).toBe(-32700);
    const wrongType = await fetch(endpoint, { method: 'POST', headers: { ...RawMcpSession.headers(), 'content-type': 'text/plain' }, body: '{}' });
    expect(wrongType.status).toBe(415);
    await wrongType.body?.cancel();
  });
});
