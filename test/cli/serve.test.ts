/**
 * `mcpgate` serving: single-server mode (`-- command` or a URL), the bundled demo with no
 * arguments, a server that never starts next to a good one, a port that is already taken, and a
 * stop requested mid-handshake.
 */
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { demoServerCommand } from '../../src/demo/command.js';
import {
  fixture,
  getJson,
  pollReadyz,
  startCli,
  upstreamNamed,
  stopCleanly,
  useCliLifecycle,
} from './run-cli.js';
import { startModernHttpServer } from '../fixtures/modern-http-server.js';
import { everythingServerPath, freePort, processIsGone, waitFor } from '../helpers/fixtures.js';

const temp = useCliLifecycle();


describe.concurrent('serving', () => {
  it('single-server mode: -- <command> serves one upstream named "default"', async ({ task }) => {
    const demo = demoServerCommand();
    const cli = startCli(['--port', '0', '--', demo.command, ...demo.args], { owner: task });
    const url = await cli.waitForListening();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { status, body } = await pollReadyz(url);
    expect(status).toBe(200);
    expect(body.upstreams).toHaveLength(1);
    expect(body.upstreams[0]).toMatchObject({ name: 'default', state: 'ready', transport: 'stdio', tools: 4 });
    expect(body.disabled).toEqual([]);
    await stopCleanly(cli);
  });

  it('no arguments: serves the bundled demo (4 tools, 1 resource, 1 prompt) on 127.0.0.1', async ({ task }) => {
    // --port 0 is the only argument: the point is that no server is named.
    const cli = startCli(['--port', '0'], { owner: task });
    const url = await cli.waitForListening();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { body } = await pollReadyz(url);
    expect(body.upstreams).toHaveLength(1);
    expect(body.upstreams[0]).toMatchObject({
      name: 'demo',
      state: 'ready',
      tools: 4,
      resources: 1,
      prompts: 1,
      restarts: 0,
      lastError: null,
    });
    expect(body.upstreams[0]!.server?.name).toBeTypeOf('string');
    expect(cli.logRecords().some((record) => record.msg.startsWith('no server given: serving the bundled demo'))).toBe(true);
    await stopCleanly(cli);
  });

  it('a server that never starts does not stop the gateway; /readyz says which is down and why', async ({ task }) => {
    const config = `${temp.dir}/broken.json`;
    await writeFile(
      config,
      JSON.stringify({
        mcpServers: {
          good: { command: process.execPath, args: [fixture('cli-env-server.mjs')] },
          broken: { command: 'definitely-not-a-command-xyz', args: ['--flag'] },
        },
      }),
      'utf8',
    );
    const cli = startCli(['--port', '0', '--config', config], { owner: task });
    const url = await cli.waitForListening();
    const { status, body } = await pollReadyz(
      url,
      (_status, answer) =>
        answer.upstreams.some((upstream) => upstream.name === 'good' && upstream.state === 'ready') &&
        answer.upstreams.some((upstream) => upstream.name === 'broken' && upstream.state === 'down'),
    );
    expect(status).toBe(503);
    expect(body.ready).toBe(false);
    expect(upstreamNamed(body, 'good')).toMatchObject({ state: 'ready', lastError: null });
    const broken = upstreamNamed(body, 'broken');
    expect(broken).toMatchObject({ state: 'down', pid: null, tools: 0 });
    expect(broken.lastError).toContain('command not found');
    expect(broken.lastError).toContain('definitely-not-a-command-xyz');

    // Still serving, and still alive a moment later (it keeps retrying in the background).
    expect(await getJson(url, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(cli.hasExited).toBe(false);
    await cli.waitForLog((record) => record.server === 'broken' && /retrying in \d+ ms/.test(record.msg));
    await stopCleanly(cli);
  });

  it('a port already in use: exit 1, naming the port and EADDRINUSE', async ({ task }) => {
    const blocker: Server = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as AddressInfo;
    try {
      const cli = startCli(['--port', String(port), '--', process.execPath, fixture('cli-env-server.mjs')], { owner: task });
      const exit = await cli.waitForExit(15_000);
      expect(exit, cli.transcript()).toEqual({ code: 1, signal: null });
      expect(cli.stdout).toBe('');
      expect(cli.stderr).toContain('EADDRINUSE');
      expect(cli.stderr).toContain(`127.0.0.1:${port}`);
      expect(cli.stderr).not.toContain('mcpgate listening on');
    } finally {
      blocker.close();
    }
  });

  it('a single remote server: --server-type, --type and auto-detection pick the transport', async ({ task }) => {
    const modern = await startModernHttpServer();
    const port = await freePort();
    const everything = spawn(process.execPath, [everythingServerPath, 'sse'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        everything.stderr!.on('data', (chunk: Buffer) => /running on port/i.test(String(chunk)) && resolve());
        everything.once('exit', (code) => reject(new Error(`server-everything exited with ${code}`)));
      });
      const cases: Array<[string[], Record<string, unknown>]> = [
        [['--server-type', 'sse', '--', `http://127.0.0.1:${port}/sse`], { transport: 'sse' }],
        [
          ['--type', 'streamable-http', '--header', '{"X-Test":"1"}', '--', modern.url],
          { transport: 'streamable-http', protocolVersion: '2026-07-28' },
        ],
        [['--', modern.url], { transport: 'streamable-http', protocolVersion: '2026-07-28' }],
      ];
      await Promise.all(
        cases.map(async ([args, expected]) => {
          const cli = startCli(['--port', '0', ...args], { owner: task });
          const { status, body } = await pollReadyz(await cli.waitForListening());
          expect(status, cli.transcript()).toBe(200);
          expect(body.upstreams[0]).toMatchObject({ name: 'default', state: 'ready', ...expected });
          await stopCleanly(cli);
        }),
      );
    } finally {
      everything.kill('SIGKILL');
      await modern.close();
    }
  });

  it('a stop requested while a server is still in its handshake exits 0 and leaves no child', async ({ task }) => {
    const pidFile = `${temp.dir}/silent.pid`;
    const cli = startCli(['--port', '0', '--', process.execPath, fixture('cli-silent-server.mjs'), pidFile], { owner: task });
    await cli.waitForListening();
    const pid = Number(await waitFor('the pid file', () => readFile(pidFile, 'utf8').catch(() => '')));
    expect(processIsGone(pid)).toBe(false);
    await stopCleanly(cli);
    await waitFor('the child to be gone', () => processIsGone(pid));
  });
});
