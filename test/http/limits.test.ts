/**
 * Limits with clear errors, against a real gateway and real children: a request head over
 * `maxHeaderBytes` (431), requests in flight per API key or per client address over
 * `maxConcurrentRequests` (429 with `Retry-After`, REST and MCP streams alike), and MCP sessions
 * over `maxSessions` (the idlest one makes room; 503 when all are busy).
 */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { connectClient } from '../bridge/bridge-gateway.js';
import { stdioConfig } from '../helpers/fixtures.js';
import { post, startRestGateway } from '../rest/rest-gateway.js';

/** A raw request (fetch refuses nothing here, but its errors hide the status of a closed socket). */
function rawGet(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const mcpInit = (id: number) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'limits-test', version: '1' } },
});
const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('limits', () => {
  it('a request head over maxHeaderBytes gets 431, and the gateway serves on', async () => {
    const { url } = await startRestGateway([stdioConfig()], { limits: { maxHeaderBytes: 4096 } });
    expect(await rawGet(`${url}/healthz`, { 'x-padding': 'a'.repeat(8192) })).toBe(431);
    expect(await rawGet(`${url}/healthz`, { 'x-padding': 'a'.repeat(1024) })).toBe(200);
    expect((await post(`${url}/echo`, { message: 'still here' })).body).toBe('still here');
  });

  it('per API key: one over the limit gets 429 with Retry-After, another key is not held up, and the slot frees when a call ends', async () => {
    const keys = { one: 'limit-key-one', two: 'limit-key-two' };
    const { url } = await startRestGateway([stdioConfig()], { auth: { apiKeys: [keys.one, keys.two] }, limits: { maxConcurrentRequests: 2 } });
    const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

    const slow = [post(`${url}/slow`, { ms: 1500 }, as(keys.one)), post(`${url}/slow`, { ms: 1500 }, as(keys.one))];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await post(`${url}/echo`, { message: 'third' }, as(keys.one));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body.detail.message).toContain('at most 2 at once');
    expect(refused.body.detail.message).toContain('API key');
    // Another key, and a GET of the same key, are not counted against it.
    expect((await post(`${url}/echo`, { message: 'other key' }, as(keys.two))).status).toBe(200);
    expect((await fetch(`${url}/openapi.json`, as(keys.one))).status).toBe(200);

    expect((await Promise.all(slow)).map((answer) => answer.status)).toEqual([200, 200]);
    expect((await post(`${url}/echo`, { message: 'after' }, as(keys.one))).status).toBe(200);
  });

  it('an MCP call answered as a stream holds its slot until the stream ends', async () => {
    const key = 'limit-key-mcp';
    const { url } = await startRestGateway([stdioConfig()], { auth: { apiKeys: [key] }, limits: { maxConcurrentRequests: 1 } });
    const client = await connectClient(`${url}/mcp`, 'streamable-http', {}, 'limits', { headers: { authorization: `Bearer ${key}` } });
    const slow = client.callTool({ name: 'slow', arguments: { ms: 1500 } });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const refused = await post(`${url}/echo`, { message: 'x' }, { headers: { authorization: `Bearer ${key}` } });
    expect(refused.status, 'the MCP call still streams').toBe(429);
    expect(await slow).toMatchObject({ content: [{ type: 'text', text: 'done' }] });
    expect((await post(`${url}/echo`, { message: 'x' }, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
  });

  it('without API keys the limit is per client address', async () => {
    const { url } = await startRestGateway([stdioConfig()], { limits: { maxConcurrentRequests: 1 } });
    const slow = post(`${url}/slow`, { ms: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await post(`${url}/echo`, { message: 'x' });
    expect(refused.status).toBe(429);
    expect(refused.body.detail.message).toContain('client address');
    expect((await slow).status).toBe(200);
  });

  it('at maxSessions the session idle longest makes room; when every session is busy a new one gets 503 with Retry-After', async () => {
    const { url } = await startRestGateway([stdioConfig()], { limits: { maxSessions: 2 } });
    const first = await connectClient(`${url}/mcp`, 'streamable-http');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await connectClient(`${url}/mcp`, 'streamable-http');
    await second.callTool({ name: 'echo', arguments: { message: 'used last' } });
    const third = await connectClient(`${url}/mcp`, 'streamable-http');
    await expect(first.callTool({ name: 'echo', arguments: { message: 'x' } }), 'the idlest session was closed').rejects.toThrow();
    expect(await second.callTool({ name: 'echo', arguments: { message: 'kept' } })).toMatchObject({ content: [{ text: 'kept' }] });

    const busy = [second.callTool({ name: 'slow', arguments: { ms: 1500 } }), third.callTool({ name: 'slow', arguments: { ms: 1500 } })];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await fetch(`${url}/mcp`, { method: 'POST', headers: mcpHeaders, body: JSON.stringify(mcpInit(1)) });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(JSON.stringify(await refused.json())).toContain('--max-total-sessions');
    await Promise.all(busy);
    const afterwards = await fetch(`${url}/mcp`, { method: 'POST', headers: mcpHeaders, body: JSON.stringify(mcpInit(2)) });
    expect(afterwards.status).toBe(200);
    await afterwards.text();
  });
});
