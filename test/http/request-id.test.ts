/**
 * Request ids: every answer carries `X-Request-Id` (the caller's own when sane, a new UUID
 * otherwise), the hooks see the same id for REST calls and MCP messages of both eras, and the
 * debug access log names it.
 */
import { describe, expect, it } from 'vitest';
import { answerOf, abortable, initializeRequest, postMcp, SseReader } from '../bridge/raw-mcp.js';
import type { Hook, HookContext } from '../../src/hooks/types.js';
import { stdioConfig } from '../helpers/fixtures.js';
import { post, startRestGateway } from '../rest/rest-gateway.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function contextRecorder(): { hook: Hook; calls: HookContext[]; messages: Array<{ method: string; context: HookContext }> } {
  const calls: HookContext[] = [];
  const messages: Array<{ method: string; context: HookContext }> = [];
  const hook: Hook = {
    name: 'context-recorder',
    onClientMessage: (next) => async (message, context) => {
      if ('method' in message) messages.push({ method: message.method, context });
      return next(message, context);
    },
    onToolCall: (next) => async (call, context) => {
      calls.push(context);
      return next(call, context);
    },
  };
  return { hook, calls, messages };
}

const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('request ids', () => {
  it('REST: a new UUID per request, in the answer and in the hooks; a sane id of the caller is kept, an odd one replaced', async () => {
    const recorder = contextRecorder();
    const { url, records } = await startRestGateway([stdioConfig()], {}, undefined, [recorder.hook]);

    const first = await post(`${url}/echo`, { message: 'a' });
    const second = await post(`${url}/echo`, { message: 'b' });
    const firstId = first.headers.get('x-request-id')!;
    expect(firstId).toMatch(uuid);
    expect(second.headers.get('x-request-id')).not.toBe(firstId);
    expect(recorder.calls.map((context) => context.requestId)).toEqual([firstId, second.headers.get('x-request-id')]);

    const given = await post(`${url}/echo`, { message: 'c' }, { headers: { 'x-request-id': 'proxy-7f3a:42' } });
    expect(given.headers.get('x-request-id')).toBe('proxy-7f3a:42');
    expect(recorder.calls.at(-1)!.requestId).toBe('proxy-7f3a:42');

    for (const odd of ['has space', 'x'.repeat(129), 'line\tbreak', '"quoted"']) {
      const answer = await post(`${url}/echo`, { message: 'd' }, { headers: { 'x-request-id': odd } });
      expect(answer.headers.get('x-request-id'), odd).toMatch(uuid);
      expect(recorder.calls.at(-1)!.requestId).toBe(answer.headers.get('x-request-id'));
    }

    // Errors carry one too, and the debug access log names it with the status.
    const missing = await post(`${url}/no_such_tool`, {});
    expect(missing.status).toBe(404);
    const missingId = missing.headers.get('x-request-id')!;
    expect(missingId).toMatch(uuid);
    const line = records.find((record) => record.requestId === missingId);
    expect(line).toMatchObject({ msg: 'request', method: 'POST', path: '/no_such_tool', status: 404 });
    expect(line!.durationMs).toBeTypeOf('number');
  });

  it('MCP: each message a hook sees carries the id of the HTTP request it came in, for sessions and 2026-07-28 requests', async () => {
    const recorder = contextRecorder();
    const { url } = await startRestGateway([stdioConfig()], {}, undefined, [recorder.hook]);

    // A legacy session, driven by hand to read each answer's header.
    const init = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { ...mcpHeaders, 'x-request-id': 'init-1' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    expect(init.status).toBe(200);
    expect(init.headers.get('x-request-id')).toBe('init-1');
    await init.text();
    const session = init.headers.get('mcp-session-id')!;
    const sessionHeaders = { ...mcpHeaders, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    await (await fetch(`${url}/mcp`, { method: 'POST', headers: sessionHeaders, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
    const call = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: sessionHeaders,
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' } } }),
    });
    const callId = call.headers.get('x-request-id')!;
    expect(callId).toMatch(uuid);
    expect(await call.text()).toContain('"x"');
    expect(recorder.messages.find((entry) => entry.method === 'initialize')!.context.requestId).toBe('init-1');
    expect(recorder.messages.find((entry) => entry.method === 'tools/call')!.context.requestId).toBe(callId);
    expect(recorder.calls.at(-1)!.requestId).toBe(callId);
    expect(recorder.calls.at(-1)!.session).toBe(session);

    // A 2026-07-28 request stands alone: its id is its HTTP request's.
    const modern = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { ...mcpHeaders, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo', 'x-request-id': 'modern-9' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'echo', arguments: { message: 'y' }, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'm', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} } },
      }),
    });
    expect(modern.headers.get('x-request-id')).toBe('modern-9');
    expect(await modern.text()).toContain('"y"');
    expect(recorder.calls.at(-1)!.requestId).toBe('modern-9');
  });

  it('the answers that name their id themselves (a JSON answer on a session, a POST to /sse) carry it once, the caller\'s or a new one', async () => {
    const recorder = contextRecorder();
    const { url, records } = await startRestGateway([stdioConfig()], {}, undefined, [recorder.hook]);

    // A session's call answered with JSON: the caller's id, then a new one, each the only value.
    const init = await postMcp(`${url}/mcp`, initializeRequest('init'));
    const session = init.headers.get('mcp-session-id')!;
    await answerOf(init, 'init');
    const sessionHeaders = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    await (await postMcp(`${url}/mcp`, { jsonrpc: '2.0', method: 'notifications/initialized' }, sessionHeaders)).text();
    const call = (id: number, headers: Record<string, string> = {}) =>
      postMcp(`${url}/mcp`, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message: `m${id}` } } }, { ...sessionHeaders, ...headers });
    const given = await call(2, { 'x-request-id': 'call-2' });
    expect(given.headers.get('content-type')).toMatch(/^application\/json/);
    expect(given.headers.get('x-request-id')).toBe('call-2');
    expect((await answerOf(given, 2)).result).toBeDefined();
    expect(recorder.calls.at(-1)!.requestId).toBe('call-2');
    const fresh = await call(3, { 'x-request-id': 'not sane' });
    const freshId = fresh.headers.get('x-request-id')!;
    expect(freshId).toMatch(uuid);
    await answerOf(fresh, 3);
    expect(recorder.calls.at(-1)!.requestId).toBe(freshId);
    expect(records.find((record) => record.requestId === freshId)).toMatchObject({ msg: 'request', method: 'POST', path: '/mcp', status: 200 });

    // The legacy SSE endpoint: the 202 of each POST names the id of that POST.
    const stream = await fetch(`${url}/sse`, { headers: { accept: 'text/event-stream' }, signal: abortable() });
    expect(stream.headers.get('x-request-id')).toMatch(uuid);
    const events = new SseReader(stream.body!);
    const endpoint = await events.next();
    expect(endpoint?.event).toBe('endpoint');
    const messages = new URL(endpoint!.data, url).href;
    const posted = await postMcp(messages, initializeRequest('sse-init'), { 'x-request-id': 'sse-post-1' });
    expect(posted.status).toBe(202);
    expect(posted.headers.get('x-request-id')).toBe('sse-post-1');
    await posted.text();
    await events.messageWithId('sse-init');
    const unnamed = await postMcp(messages, { jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(unnamed.status).toBe(202);
    expect(unnamed.headers.get('x-request-id')).toMatch(uuid);
    await events.cancel();
  });

  it('through app.request(), without Node\'s server, the id is set on the web answer', async () => {
    const { gateway } = await startRestGateway([stdioConfig()]);
    const health = await gateway.app.request('/healthz');
    expect(health.status).toBe(200);
    expect(health.headers.get('x-request-id')).toMatch(uuid);
    const named = await gateway.app.request('/healthz', { headers: { 'x-request-id': 'local-1' } });
    expect(named.headers.get('x-request-id')).toBe('local-1');
  });
});
