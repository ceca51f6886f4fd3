/**
 * HTTP upstreams against real servers on loopback: server-everything from npm in its SSE and
 * streamable-HTTP (legacy sessions) modes, and a 2026-07-28-only stateless server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpUpstreamConfig } from '../../src/config/types.js';
import { Upstream } from '../../src/upstream/upstream.js';
import { startModernHttpServer } from '../fixtures/modern-http-server.js';
import { everythingServerPath, freePort, httpConfig, recordingLogger, textOf, waitFor } from '../helpers/fixtures.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function startUpstream(config: HttpUpstreamConfig, backoff = { initialMs: 50, maxMs: 200 }): Upstream {
  const upstream = new Upstream(config, {
    logger: recordingLogger().logger,
    clientInfo: { name: 'mcpgate-test', version: '0' },
    backoff,
    connectTimeoutMs: 5_000,
  });
  cleanups.push(() => upstream.close());
  upstream.start();
  return upstream;
}

/** Runs server-everything in an HTTP mode on a free port; resolves once it listens. */
async function startEverything(mode: 'sse' | 'streamableHttp', port?: number): Promise<{ base: string; port: number; child: ChildProcess }> {
  const chosen = port ?? (await freePort());
  const child = spawn(process.execPath, [everythingServerPath, mode], {
    env: { ...process.env, PORT: String(chosen) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  cleanups.push(stop);
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/running on port|listening on port/i.test(stderr)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server-everything ${mode} exited with ${code}: ${stderr}`)));
  });
  return { base: `http://127.0.0.1:${chosen}`, port: chosen, child };
}

describe('HTTP upstreams', () => {
  it('connects to a legacy streamable-HTTP server (sessions) and calls tools', async () => {
    const everything = await startEverything('streamableHttp');
    const upstream = startUpstream(httpConfig(`${everything.base}/mcp`));
    await upstream.whenSettled();
    expect(upstream.status()).toMatchObject({ state: 'ready', transport: 'streamable-http', protocolVersion: '2025-11-25' });
    expect(upstream.catalog.tools.map((tool) => tool.name)).toContain('get-sum');
    expect(textOf(await upstream.callTool('echo', { message: 'over http' }))).toContain('over http');
  });

  it('connects to a legacy HTTP+SSE server', async () => {
    const everything = await startEverything('sse');
    const upstream = startUpstream(httpConfig(`${everything.base}/sse`, { transport: 'sse' }));
    await upstream.whenSettled();
    expect(upstream.status()).toMatchObject({ state: 'ready', transport: 'sse' });
    expect(textOf(await upstream.callTool('get-sum', { a: 1, b: 2 }))).toContain('3');
  });

  it('connects to a 2026-07-28 stateless server (no initialize, no session)', async () => {
    const modern = await startModernHttpServer();
    cleanups.push(() => modern.close());
    const upstream = startUpstream(httpConfig(modern.url));
    await upstream.whenSettled();
    expect(upstream.status()).toMatchObject({ state: 'ready', transport: 'streamable-http', protocolVersion: '2026-07-28' });
    expect(textOf(await upstream.callTool('whoami', {}))).toBe('modern');
    expect(textOf(await upstream.callTool('echo', { message: 'hi' }))).toContain('hi');
  });

  it('auto-detects a URL with no type: streamable HTTP when offered, else HTTP+SSE', async () => {
    const [streamable, sse, modern] = await Promise.all([
      startEverything('streamableHttp'),
      startEverything('sse'),
      startModernHttpServer(),
    ]);
    cleanups.push(() => modern.close());
    const viaStreamable = startUpstream(httpConfig(`${streamable.base}/mcp`, { name: 'a', transport: 'http-auto' }));
    const viaSse = startUpstream(httpConfig(`${sse.base}/sse`, { name: 'b', transport: 'http-auto' }));
    const viaModern = startUpstream(httpConfig(modern.url, { name: 'c', transport: 'http-auto' }));
    await Promise.all([viaStreamable.whenSettled(), viaSse.whenSettled(), viaModern.whenSettled()]);
    expect(viaStreamable.status()).toMatchObject({ state: 'ready', transport: 'streamable-http' });
    expect(viaSse.status()).toMatchObject({ state: 'ready', transport: 'sse' });
    expect(viaModern.status()).toMatchObject({ state: 'ready', transport: 'streamable-http', protocolVersion: '2026-07-28' });
    expect(textOf(await viaSse.callTool('echo', { message: 'fell back' }))).toContain('fell back');
  });

  it('says what both attempts answered when a URL with no type speaks neither transport', async () => {
    const server = createServer((_request, response) => response.writeHead(404).end('no MCP here'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const upstream = startUpstream(httpConfig(`http://127.0.0.1:${port}/mcp`, { transport: 'http-auto' }));
    await upstream.whenSettled();
    expect(upstream.currentState).toBe('down');
    expect(upstream.status().lastError).toMatch(/streamable HTTP answered 404 and HTTP\+SSE failed too/);
  });

  it('sends the configured headers to the upstream', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"nope"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const upstream = startUpstream(
      httpConfig(`http://127.0.0.1:${port}/mcp`, { headers: { Authorization: 'Bearer t0ken', 'X-Custom': 'v' } }),
    );
    await upstream.whenSettled();
    expect(upstream.currentState).toBe('down');
    expect(upstream.status().lastError).toMatch(/cannot connect/);
    expect(seen[0]).toMatchObject({ authorization: 'Bearer t0ken', 'x-custom': 'v' });
  });

  it('sends credentials in the URL as a Basic Authorization header, and keeps them out of /readyz', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const paths: string[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      paths.push(request.url ?? '');
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"nope"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const upstream = startUpstream(httpConfig(`http://alice:s%3Acret@127.0.0.1:${port}/mcp?x=1`));
    await upstream.whenSettled();
    expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('alice:s:cret').toString('base64')}`);
    expect(paths[0]).toBe('/mcp?x=1');
    expect(upstream.status().lastError).not.toContain('s%3Acret');
    expect(upstream.status().lastError).not.toContain('includes credentials');
  });

  it('lets a configured Authorization header win over credentials in the URL', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      response.writeHead(401).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const upstream = startUpstream(httpConfig(`http://alice:pw@127.0.0.1:${port}/mcp`, { headers: { authorization: 'Bearer t0ken' } }));
    await upstream.whenSettled();
    expect(seen[0]?.authorization).toBe('Bearer t0ken');
  });

  it('reports an unreachable URL as down and reconnects once the server is back', async () => {
    const port = await freePort();
    const upstream = startUpstream(httpConfig(`http://127.0.0.1:${port}/mcp`));
    await upstream.whenSettled();
    expect(upstream.currentState).toBe('down');
    expect(upstream.status().lastError).toMatch(/cannot connect/);
    await startEverything('streamableHttp', port);
    await waitFor('the upstream to come up', () => upstream.currentState === 'ready', 15_000);
    expect(textOf(await upstream.callTool('echo', { message: 'up' }))).toContain('up');
  });

  it('re-initializes transparently when a restarted server no longer knows the session', async () => {
    const first = await startEverything('streamableHttp');
    // A long backoff: the server is up again, so reconnecting must not wait for it.
    const upstream = startUpstream(httpConfig(`${first.base}/mcp`), { initialMs: 60_000, maxMs: 60_000 });
    await upstream.whenSettled();
    expect(textOf(await upstream.callTool('echo', { message: 'one' }))).toContain('one');
    // Restart the server on the same port between two calls: the old session id is now unknown.
    await new Promise<void>((resolve) => {
      first.child.once('exit', () => resolve());
      first.child.kill('SIGKILL');
    });
    await startEverything('streamableHttp', first.port);
    expect(textOf(await upstream.callTool('echo', { message: 'two' }))).toContain('two');
    expect(upstream.status()).toMatchObject({ state: 'ready', restarts: 1 });
    expect(upstream.status().lastError).toMatch(/session/i);
  });

  it('answers 503 while an HTTP server is gone, then recovers when it returns', async () => {
    const first = await startEverything('streamableHttp');
    const upstream = startUpstream(httpConfig(`${first.base}/mcp`));
    await upstream.whenSettled();
    await new Promise<void>((resolve) => {
      first.child.once('exit', () => resolve());
      first.child.kill('SIGKILL');
    });
    const error = await upstream.callTool('echo', { message: 'x' }).then(
      () => undefined,
      (caught: unknown) => caught as { code: string; status: number; message: string },
    );
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 503 });
    expect(error!.message).toContain('ECONNREFUSED');
    await startEverything('streamableHttp', first.port);
    await waitFor('the upstream to come back', () => upstream.currentState === 'ready', 15_000);
    expect(textOf(await upstream.callTool('echo', { message: 'back' }))).toContain('back');
  });

  it('reconnects an SSE upstream whose event stream breaks', async () => {
    const first = await startEverything('sse');
    const upstream = startUpstream(httpConfig(`${first.base}/sse`, { transport: 'sse' }));
    await upstream.whenSettled();
    await new Promise<void>((resolve) => {
      first.child.once('exit', () => resolve());
      first.child.kill('SIGKILL');
    });
    await waitFor('the broken stream to be noticed', () => upstream.currentState !== 'ready');
    expect(upstream.status().lastError).toMatch(/event stream broke|cannot connect/);
    await startEverything('sse', first.port);
    await waitFor('the upstream to come back', () => upstream.currentState === 'ready', 15_000);
    expect(textOf(await upstream.callTool('echo', { message: 'sse again' }))).toContain('sse again');
  });
});
