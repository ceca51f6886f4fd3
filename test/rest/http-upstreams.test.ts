/**
 * REST over the two HTTP upstream transports: server-everything as real child processes, one
 * serving the legacy HTTP+SSE transport (`GET /sse` + `POST /message`), one streamable HTTP
 * (`/mcp`), both behind one gateway. Then the streamable HTTP server dies and comes back on the
 * same port while the gateway keeps running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killEverything, startEverything, type EverythingServer } from '../helpers/everything-server.js';
import { freePort, httpConfig, waitFor } from '../helpers/fixtures.js';
import { documentProblems } from '../helpers/openapi-document.js';
import { post, startRestGateway, type RunningRestGateway } from './rest-gateway.js';

const SERVERS = ['sse', 'streamable-http'] as const;
let gateway: RunningRestGateway;
let sseServer: EverythingServer;
let streamableServer: EverythingServer;
let streamablePort: number;

beforeAll(async () => {
  const ssePort = await freePort();
  streamablePort = await freePort();
  [sseServer, streamableServer] = await Promise.all([startEverything('sse', ssePort), startEverything('streamableHttp', streamablePort)]);
  gateway = await startRestGateway(
    [
      httpConfig(`http://127.0.0.1:${ssePort}/sse`, { name: 'sse', transport: 'sse', timeoutMs: 5_000 }),
      httpConfig(`http://127.0.0.1:${streamablePort}/mcp`, { name: 'streamable-http', transport: 'streamable-http', timeoutMs: 5_000 }),
    ],
    { mode: 'multi' },
  );
  const states = Object.fromEntries([...gateway.gateway.upstreams].map(([name, upstream]) => [name, upstream.currentState]));
  expect(states).toEqual({ sse: 'ready', 'streamable-http': 'ready' });
});

afterAll(async () => {
  // The gateway first, so it does not see its servers die; then the servers.
  await gateway?.gateway.close();
  await Promise.all([sseServer, streamableServer].filter(Boolean).map(killEverything));
});

describe.each(SERVERS)('%s upstream through REST', (server) => {
  const call = (tool: string, body?: unknown) => post(`${gateway.url}/${server}/${tool}`, body);

  it('echo returns the echoed text', async () => {
    // server-everything answers one text item, "Echo: <message>"; one item is returned bare.
    expect(await call('echo', { message: 'hello over HTTP' })).toMatchObject({ status: 200, body: 'Echo: hello over HTTP' });
  });

  it('get-sum adds numbers, and numeric strings converted to numbers', async () => {
    expect(await call('get-sum', { a: 2, b: 3.5 })).toMatchObject({ status: 200, body: 'The sum of 2 and 3.5 is 5.5.' });
    expect(await call('get-sum', { a: '40', b: '2' })).toMatchObject({ status: 200, body: 'The sum of 40 and 2 is 42.' });
  });

  it('get-structured-content returns its structuredContent', async () => {
    expect(await call('get-structured-content', { location: 'Chicago' })).toMatchObject({
      status: 200,
      body: { temperature: 36, conditions: 'Light rain / drizzle', humidity: 82 },
    });
  });

  it('get-tiny-image returns the image as a data: URL between its two texts', async () => {
    const response = await call('get-tiny-image');
    expect(response.status).toBe(200);
    expect(response.body).toEqual(["Here's the image you requested:", expect.stringMatching(/^data:image\/png;base64,/), 'The image above is the MCP logo.']);
    const png = Buffer.from((response.body[1] as string).slice('data:image/png;base64,'.length), 'base64');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });

  it('its document is valid OpenAPI 3.1 and lists the tools', async () => {
    const response = await fetch(`${gateway.url}/${server}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as Record<string, any>;
    expect(await documentProblems(document)).toEqual([]);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/echo', '/get-sum', '/get-structured-content', '/get-tiny-image']));
  });
});

describe('the streamable HTTP server dies and comes back on the same port', () => {
  const echo = (server: (typeof SERVERS)[number], message: string) => post(`${gateway.url}/${server}/echo`, { message });
  const connections = () => gateway.records.filter((record) => record.server === 'streamable-http' && record.msg === 'connected').length;

  it('calls answer 503 with Retry-After at once while it is down, and succeed again after its restart; the SSE server works throughout', async () => {
    const connectedBefore = connections();
    await killEverything(streamableServer);

    const started = Date.now();
    const down = await echo('streamable-http', 'anyone there?');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect([502, 503]).toContain(down.status);
    expect(down.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(down.body.detail.message).toEqual(expect.any(String));

    // The supervisor keeps retrying in the background; calls meanwhile are refused, not held.
    const stillDown = Date.now();
    const again = await echo('streamable-http', 'still nobody?');
    expect(again.status).toBe(503);
    expect(again.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(Date.now() - stillDown).toBeLessThan(1_000);
    expect(await echo('sse', 'during the outage')).toMatchObject({ status: 200, body: 'Echo: during the outage' });

    streamableServer = await startEverything('streamableHttp', streamablePort);
    await waitFor('a call to the restarted server to succeed', async () => (await echo('streamable-http', 'back?')).status === 200, 5_000);
    expect(await echo('streamable-http', 'welcome back')).toMatchObject({ status: 200, body: 'Echo: welcome back' });
    // A new session with the new process, not the gateway restarted.
    expect(connections()).toBeGreaterThan(connectedBefore);
    expect(await echo('sse', 'after the outage')).toMatchObject({ status: 200, body: 'Echo: after the outage' });
  });

  it('restarted between two calls (the gateway never saw it down), the next call succeeds on a new session', async () => {
    const connectedBefore = connections();
    await killEverything(streamableServer);
    streamableServer = await startEverything('streamableHttp', streamablePort);
    // The old session id is unknown to the new process: the gateway re-initializes and retries once.
    expect(await echo('streamable-http', 'same port, new process')).toMatchObject({ status: 200, body: 'Echo: same port, new process' });
    expect(connections()).toBeGreaterThan(connectedBefore);
    expect(await echo('sse', 'unaffected')).toMatchObject({ status: 200, body: 'Echo: unaffected' });
  });
});
