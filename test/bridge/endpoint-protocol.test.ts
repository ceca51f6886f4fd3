/**
 * The MCP endpoints at the HTTP level, with raw `fetch` (and `node:http` where a `Host` header
 * must be forged) against real gateways with server-everything behind them: what comes before a
 * session (400/404/405/413/415), session life (DELETE, idle reaping, open GET streams), the
 * legacy `/sse` + `/messages` pair, per-server endpoints of a config file, and the guards in
 * front of them (DNS rebinding, API key, CORS).
 */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { connectClient, everythingStdio, startBridgeGateway } from './bridge-gateway.js';
import { abortable, answerOf, initializeRequest, JSON_HEADERS, openSession, ping, postMcp, SseReader } from './raw-mcp.js';

const SERVER_NAME = 'mcp-servers/everything';

/** A JSON-RPC error body with `id: null` and this status; returns the message. */
async function expectJsonRpcError(response: Response, status: number, code?: number): Promise<string> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { jsonrpc: string; error: { code: number; message: string }; id: unknown };
  expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: expect.any(Number), message: expect.any(String) } });
  if (code !== undefined) expect(body.error.code).toBe(code);
  return body.error.message;
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request over `node:http`, which (unlike `fetch`) lets the `Host` header be set. */
function rawRequest(url: string, options: { method: string; headers: Record<string, string>; body?: string }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: options.method, headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

// Every gateway of the file starts at once: each is a real child process behind a real socket.
const [plain, smallBodies, idle, multi, hostAllowed, keyed, corsOpen] = await Promise.all([
  startBridgeGateway([everythingStdio()]),
  startBridgeGateway([everythingStdio()], { rest: { maxBodyBytes: 1024 } }),
  startBridgeGateway([everythingStdio()], { mcp: { sessionIdleTimeoutMs: 300 } }),
  startBridgeGateway([everythingStdio({ name: 'one' }), everythingStdio({ name: 'two' })], { mode: 'multi' }),
  startBridgeGateway([everythingStdio()], { mcp: { allowedHosts: ['evil.example'] } }),
  startBridgeGateway([everythingStdio()], { auth: { apiKeys: ['k'] } }),
  startBridgeGateway([everythingStdio()], { cors: { allowOrigins: ['http://localhost:3000'] } }),
]);

describe('/mcp before a session', () => {
  const endpoint = `${plain.url}/mcp`;

  it('a POST other than initialize without Mcp-Session-Id is 400 naming the header', async () => {
    const message = await expectJsonRpcError(await postMcp(endpoint, { jsonrpc: '2.0', id: 1, method: 'tools/list' }), 400);
    expect(message).toContain('Mcp-Session-Id');
  });

  it('initialize opens a session: 200, mcp-session-id, the server\'s identity, the request id echoed as given', async () => {
    const response = await postMcp(endpoint, initializeRequest('init-1'));
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toMatch(/\S/);
    const answer = await answerOf(response, 'init-1');
    expect(answer.id).toBe('init-1');
    expect(answer.error).toBeUndefined();
    expect((answer.result as { serverInfo: { name: string } }).serverInfo.name).toBe(SERVER_NAME);

    const numeric = await postMcp(endpoint, initializeRequest(7));
    expect(numeric.status).toBe(200);
    expect((await answerOf(numeric, 7)).id).toBe(7);
  });

  it('an unknown session id is 404 on POST, GET and DELETE; GET and DELETE without one are 400', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expectJsonRpcError(await ping(endpoint, unknown), 404);
    await expectJsonRpcError(await fetch(endpoint, { headers: { accept: 'text/event-stream', 'mcp-session-id': unknown } }), 404);
    await expectJsonRpcError(await fetch(endpoint, { method: 'DELETE', headers: { 'mcp-session-id': unknown } }), 404);
    expect(await expectJsonRpcError(await fetch(endpoint, { headers: { accept: 'text/event-stream' } }), 400)).toContain('Mcp-Session-Id');
    expect(await expectJsonRpcError(await fetch(endpoint, { method: 'DELETE' }), 400)).toContain('Mcp-Session-Id');
  });

  it('PUT is 405 with Allow', async () => {
    const response = await fetch(endpoint, { method: 'PUT', headers: JSON_HEADERS, body: '{}' });
    const allow = response.headers.get('allow');
    await expectJsonRpcError(response, 405);
    expect(allow).toMatch(/GET/);
    expect(allow).toMatch(/POST/);
    expect(allow).toMatch(/DELETE/);
  });

  it('a malformed JSON body is 400 with -32700; text/plain is 415', async () => {
    await expectJsonRpcError(await postMcp(endpoint, '{"jsonrpc": "2.0", "id": 1,'), 400, -32700);
    const plainText = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', accept: JSON_HEADERS.accept },
      body: JSON.stringify(initializeRequest()),
    });
    await expectJsonRpcError(plainText, 415);
  });

  it('a body over the size limit is 413, one under it is served', async () => {
    const small = `${smallBodies.url}/mcp`;
    const padded = { ...initializeRequest('big'), padding: 'x'.repeat(2048) };
    await expectJsonRpcError(await postMcp(small, padded), 413);
    const response = await postMcp(small, initializeRequest('fits'));
    expect(response.status).toBe(200);
    expect((await answerOf(response, 'fits')).result).toBeDefined();
  });
});

describe('/mcp session life', () => {
  const endpoint = `${plain.url}/mcp`;

  it('a live session answers; DELETE ends it (200) and its id is then 404', async () => {
    const sessionId = await openSession(endpoint);
    const pong = await ping(endpoint, sessionId, 'p1');
    expect(pong.status).toBe(200);
    expect((await answerOf(pong, 'p1')).result).toEqual({});

    const deleted = await fetch(endpoint, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
    expect(deleted.status).toBe(200);
    await deleted.body?.cancel();
    await expectJsonRpcError(await ping(endpoint, sessionId, 'p2'), 404);
  });

  it('a second GET stream on one session is 409; the first stays open', async () => {
    const sessionId = await openSession(endpoint);
    const first = await fetch(endpoint, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId }, signal: abortable() });
    expect(first.status).toBe(200);
    const second = await fetch(endpoint, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId } });
    expect(second.status).toBe(409);
    await second.body?.cancel();
    expect((await ping(endpoint, sessionId, 'after-409')).status).toBe(200);
  });

  it('an idle session is reaped after the idle timeout; its id is then 404', async () => {
    const reaped = `${idle.url}/mcp`;
    const sessionId = await openSession(reaped);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await expectJsonRpcError(await ping(reaped, sessionId), 404);
  });

  it('a session with an open GET stream is not reaped', async () => {
    const kept = `${idle.url}/mcp`;
    const sessionId = await openSession(kept);
    const stream = await fetch(kept, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId }, signal: abortable() });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // Keep reading, as a listening client does, until the test aborts the fetch.
    const reader = new SseReader(stream.body!);
    const reading = (async () => {
      while ((await reader.next()) !== undefined);
    })().catch(() => undefined);

    await new Promise((resolve) => setTimeout(resolve, 1500));
    const pong = await ping(kept, sessionId, 'still-here');
    expect(pong.status).toBe(200);
    expect((await answerOf(pong, 'still-here')).result).toEqual({});
    await reader.cancel();
    await reading;
  });
});

describe('/sse and /messages', () => {
  it('GET /sse names its messages endpoint; a POSTed initialize is 202 and answered on the stream', async () => {
    const stream = await fetch(`${plain.url}/sse`, { headers: { accept: 'text/event-stream' }, signal: abortable() });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = new SseReader(stream.body!);
    const first = await reader.next();
    expect(first?.event).toBe('endpoint');
    const match = /^messages\?sessionId=(.+)$/.exec(first!.data);
    expect(match, first!.data).not.toBeNull();
    const sessionId = decodeURIComponent(match![1]!);

    const posted = await fetch(new URL(first!.data, `${plain.url}/sse`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(initializeRequest('sse-init')),
    });
    expect(posted.status).toBe(202);
    expect(await posted.text()).toBe('Accepted');
    expect(new URL(first!.data, `${plain.url}/sse`).toString()).toBe(`${plain.url}/messages?sessionId=${encodeURIComponent(sessionId)}`);

    const { event, message } = await reader.messageWithId('sse-init');
    expect(event.event).toBe('message');
    expect((message.result as { serverInfo: { name: string } }).serverInfo.name).toBe(SERVER_NAME);
    await reader.cancel();
  });

  it('POST /messages without sessionId is 400, with an unknown one 404', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const headers = { 'content-type': 'application/json' };
    expect(await expectJsonRpcError(await fetch(`${plain.url}/messages`, { method: 'POST', headers, body }), 400)).toContain('sessionId');
    await expectJsonRpcError(await fetch(`${plain.url}/messages?sessionId=nope`, { method: 'POST', headers, body }), 404);
  });
});

describe('a config file: endpoints per server', () => {
  it('/one/mcp and /two/sse serve their own server', async () => {
    const one = await connectClient(`${multi.url}/one/mcp`, 'streamable-http');
    expect(one.getServerVersion()?.name).toBe(SERVER_NAME);
    expect((await one.listTools()).tools.map((tool) => tool.name)).toContain('echo');
    const two = await connectClient(`${multi.url}/two/sse`, 'sse');
    expect(two.getServerVersion()?.name).toBe(SERVER_NAME);
    expect((await two.listTools()).tools.map((tool) => tool.name)).toContain('echo');
  });

  it('an unknown server is 404; a session of one server is unknown to another', async () => {
    expect(await expectJsonRpcError(await postMcp(`${multi.url}/nope/mcp`, initializeRequest()), 404)).toContain('nope');
    const sessionId = await openSession(`${multi.url}/one/mcp`);
    await expectJsonRpcError(await ping(`${multi.url}/two/mcp`, sessionId), 404);
    expect((await ping(`${multi.url}/one/mcp`, sessionId)).status).toBe(200);
  });
});

describe('DNS-rebinding guard', () => {
  const initializeBody = JSON.stringify(initializeRequest('guarded'));

  it('refuses Host: evil.example with 403 and a JSON-RPC error naming the host', async () => {
    const answer = await rawRequest(`${plain.url}/mcp`, { method: 'POST', headers: { ...JSON_HEADERS, host: 'evil.example' }, body: initializeBody });
    expect(answer.status).toBe(403);
    const body = JSON.parse(answer.body) as { id: unknown; error: { code: number; message: string } };
    expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
    expect(body.error.message).toContain('evil.example');
  });

  it('refuses a foreign Origin, accepts a localhost one', async () => {
    const refused = await postMcp(`${plain.url}/mcp`, initializeRequest('o1'), { origin: 'http://evil.example' });
    expect(await expectJsonRpcError(refused, 403)).toContain('evil.example');
    const accepted = await postMcp(`${plain.url}/mcp`, initializeRequest('o2'), { origin: 'http://localhost:1234' });
    expect(accepted.status).toBe(200);
    expect((await answerOf(accepted, 'o2')).result).toBeDefined();
  });

  it('accepts a Host listed in allowedHosts', async () => {
    const answer = await rawRequest(`${hostAllowed.url}/mcp`, { method: 'POST', headers: { ...JSON_HEADERS, host: 'evil.example' }, body: initializeBody });
    expect(answer.status, answer.body).toBe(200);
    expect(answer.headers['mcp-session-id']).toBeTruthy();
    expect(answer.body).toContain(SERVER_NAME);
  });
});

describe('API key on the MCP endpoints', () => {
  it('initialize without a key is 401; with Bearer k it is served', async () => {
    const refused = await postMcp(`${keyed.url}/mcp`, initializeRequest('k1'));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    await refused.body?.cancel();
    const served = await postMcp(`${keyed.url}/mcp`, initializeRequest('k2'), { authorization: 'Bearer k' });
    expect(served.status).toBe(200);
    expect((await answerOf(served, 'k2')).result).toBeDefined();
  });

  it('GET /sse without a key is 401; /healthz stays open', async () => {
    const refused = await fetch(`${keyed.url}/sse`, { headers: { accept: 'text/event-stream' }, signal: abortable() });
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
    expect((await fetch(`${keyed.url}/healthz`)).status).toBe(200);
  });
});

describe('CORS on the MCP endpoints', () => {
  it('a listed origin can read Mcp-Session-Id', async () => {
    const response = await postMcp(`${corsOpen.url}/mcp`, initializeRequest('c1'), { origin: 'http://localhost:3000' });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    const exposed = (response.headers.get('access-control-expose-headers') ?? '').split(',').map((name) => name.trim().toLowerCase());
    expect(exposed).toContain('mcp-session-id');
    expect(response.headers.get('mcp-session-id')).toBeTruthy();
    await answerOf(response, 'c1');
  });
});
