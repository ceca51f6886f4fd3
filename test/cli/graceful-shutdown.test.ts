/**
 * A stop lets the calls in flight finish, up to `--shutdown-timeout`: the real command, real
 * children, real REST and MCP clients. Within the deadline calls end normally; past it they get
 * 503 / an MCP error naming the shutdown. Either way no new connection is taken, the exit code is
 * 0 and no child is left.
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createGateway } from '../../src/gateway.js';
import { connectClient } from '../bridge/bridge-gateway.js';
import { processIsGone, scriptedServerPath, stdioConfig, textOf } from '../helpers/fixtures.js';
import { pollReadyz, pollUntil, startCli, upstreamNamed, useCliLifecycle, type CliProcess } from './run-cli.js';

const temp = useCliLifecycle();

async function startWithServers(name: string, flags: string[], owner: object): Promise<{ cli: CliProcess; url: string; pids: number[] }> {
  const config = `${temp.dir}/${name}.json`;
  const scripted = { command: process.execPath, args: [scriptedServerPath] };
  await writeFile(config, JSON.stringify({ mcpServers: { shared: scripted, own: { ...scripted, sharing: 'per-session' } } }), 'utf8');
  const cli = startCli(['--port', '0', '--config', config, ...flags], { owner });
  const url = await cli.waitForListening();
  const { body } = await pollReadyz(url);
  const pid = upstreamNamed(body, 'shared').pid!;
  cli.adopt(pid);
  return { cli, url, pids: [pid, upstreamNamed(body, 'own').pid!] };
}

async function slowRest(url: string, ms: number): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/shared/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms }) });
  return { status: response.status, body: await response.json() };
}

async function expectGone(pids: number[]): Promise<void> {
  await pollUntil(`pids ${pids.join(', ')} to be gone`, () => (pids.every(processIsGone) ? true : undefined), 5_000);
}

/** Whether a new connection is refused (the listener is closed). */
async function refusesConnections(url: string): Promise<boolean> {
  return fetch(`${url}/healthz`).then(
    () => false,
    (error: Error & { cause?: { code?: string } }) => error.cause?.code === 'ECONNREFUSED',
  );
}

describe.concurrent('graceful shutdown', () => {
  it('calls in flight finish within the deadline, over REST and an MCP session with its own child; new connections are refused; exit 0', async ({ task }) => {
    const { cli, url, pids } = await startWithServers('finish', ['--shutdown-timeout', '10'], task);
    const session = await connectClient(`${url}/own/mcp`, 'streamable-http');
    const sessionPid = Number(textOf(await session.callTool({ name: 'pid', arguments: {} })));
    cli.adopt(sessionPid);

    const rest = slowRest(url, 2000);
    const mcp = session.callTool({ name: 'slow', arguments: { ms: 2000 } });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const stoppedAt = Date.now();
    cli.signal('SIGTERM');
    await cli.waitForLog((record) => String(record.msg).startsWith('stopping'));
    await pollUntil('the listener to close', async () => ((await refusesConnections(url)) ? true : undefined), 3_000);

    expect(await rest).toEqual({ status: 200, body: 'done' });
    expect(await mcp).toMatchObject({ content: [{ type: 'text', text: 'done' }] });
    expect(await cli.waitForExit(10_000), cli.transcript()).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt, 'it stops once the calls are done, not at the deadline').toBeLessThan(6_000);
    expect(cli.logRecords().some((record) => String(record.msg).includes('cancelled'))).toBe(false);
    await expectGone([...pids, sessionPid]);
  });

  it('past the deadline, calls still running are cancelled with 503 / an MCP error naming the shutdown; exit 0', async ({ task }) => {
    const { cli, url, pids } = await startWithServers('cancel', ['--shutdown-timeout', '0.5'], task);
    const session = await connectClient(`${url}/own/mcp`, 'streamable-http');
    const sessionPid = Number(textOf(await session.callTool({ name: 'pid', arguments: {} })));
    cli.adopt(sessionPid);

    const rest = slowRest(url, 30_000);
    const mcp = session.callTool({ name: 'slow', arguments: { ms: 30_000 } }).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    const stoppedAt = Date.now();
    cli.signal('SIGTERM');

    const cancelled = await rest;
    expect(cancelled.status).toBe(503);
    expect(cancelled.body.detail.message ?? cancelled.body.detail).toContain('the gateway is shutting down');
    expect(await mcp).toContain('the gateway is shutting down');
    expect(await cli.waitForExit(10_000), cli.transcript()).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(6_000);
    expect(cli.logRecords().some((record) => String(record.msg).includes('calls still running at the shutdown timeout are cancelled'))).toBe(true);
    await expectGone([...pids, sessionPid]);
  });

  it('while stopping, a request that still reaches the app gets 503 with Connection: close, /readyz included', async () => {
    const gateway = createGateway({
      mode: 'single',
      upstreams: [stdioConfig()],
      disabledUpstreams: [],
      configPath: undefined,
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      info: {},
      shutdownTimeoutMs: 5_000,
    });
    const { url } = await gateway.start();
    await gateway.whenSettled();
    const slow = fetch(`${url}/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms: 1000 }) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closed = gateway.close();
    // The listener no longer takes connections, so the app is asked in process, as a request on a
    // connection opened before the stop would reach it.
    for (const path of ['/echo', '/readyz']) {
      const answer = await gateway.app.request(path, { method: path === '/echo' ? 'POST' : 'GET', headers: { 'content-type': 'application/json' }, body: path === '/echo' ? '{"message":"x"}' : undefined });
      expect(answer.status, path).toBe(503);
      expect(answer.headers.get('connection')).toBe('close');
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(((await answer.json()) as { detail: { code: string } }).detail.code).toBe('SHUTTING_DOWN');
    }
    expect((await slow).status).toBe(200);
    await closed;
  });
});
