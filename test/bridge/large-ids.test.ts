/**
 * Request ids beyond JavaScript's safe integers (as clients in other languages send them) come
 * back with the client's own digits, on every MCP endpoint: JSON answers and streams of `/mcp`
 * sessions, 2026-07-28 requests, and `/sse`. Raw `fetch` and text bodies, since no JavaScript
 * client can write such an id; server-everything as a stdio child.
 */
import { describe, expect, it } from 'vitest';
import { startBridgeGateway, everythingStdio } from './bridge-gateway.js';
import { abortable, openSession, postMcp, SseReader } from './raw-mcp.js';

const gateway = await startBridgeGateway([everythingStdio()]);
const endpoint = `${gateway.url}/mcp`;

const BIG = '12345678901234567890';
const NEGATIVE = '-98765432109876543210';

/** A request written by hand, so that its id keeps every digit. */
function requestText(id: string, method: string, params: Record<string, unknown>): string {
  return `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`;
}

describe('ids beyond the safe integers', () => {
  it('come back exactly in the JSON answer of a session request', async () => {
    const sessionId = await openSession(endpoint);
    for (const id of [BIG, NEGATIVE]) {
      const response = await postMcp(endpoint, requestText(id, 'tools/call', { name: 'echo', arguments: { message: 'big' } }), { 'mcp-session-id': sessionId });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain(`"id":${id}`);
      expect(text).toContain('Echo: big');
    }
  });

  it('come back exactly on the event stream of a request with a progress token, after its progress', async () => {
    const sessionId = await openSession(endpoint);
    const params = { name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 }, _meta: { progressToken: 'p' } };
    const response = await postMcp(endpoint, requestText(BIG, 'tools/call', params), { 'mcp-session-id': sessionId });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await response.text();
    expect(text).toContain('"method":"notifications/progress"');
    expect(text).toContain(`"id":${BIG}`);
  });

  it('come back exactly for a 2026-07-28 request', async () => {
    const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
    const response = await postMcp(endpoint, requestText(BIG, 'tools/list', { _meta: meta }), { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain(`"id":${BIG}`);
    expect(text).toContain('"echo"');
  });

  it('come back exactly on the /sse stream', async () => {
    const stream = await fetch(`${gateway.url}/sse`, { headers: { accept: 'text/event-stream' }, signal: abortable() });
    const reader = new SseReader(stream.body!);
    const endpointEvent = await reader.next();
    const messages = new URL(endpointEvent!.data, `${gateway.url}/sse`).href;
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    expect((await postMcp(messages, initialize)).status).toBe(202);
    expect((await postMcp(messages, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
    expect((await postMcp(messages, requestText(NEGATIVE, 'tools/call', { name: 'echo', arguments: { message: 'sse' } }))).status).toBe(202);
    let event;
    do event = await reader.next();
    while (event !== undefined && !event.data.includes('Echo: sse'));
    expect(event?.data).toContain(`"id":${NEGATIVE}`);
  });

  it('leave fractional ids refused, as before', async () => {
    const sessionId = await openSession(endpoint);
    const response = await postMcp(endpoint, requestText('1.5', 'ping', {}), { 'mcp-session-id': sessionId });
    expect(response.status).toBe(400);
  });
});
