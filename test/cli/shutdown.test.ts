/**
 * Stopping `mcpgate` leaves no process behind: SIGTERM or SIGINT exits with 0 after stopping
 * every upstream child, the grandchildren they started, and a child that ignores both stdin
 * EOF and SIGTERM (SIGKILL after the grace period).
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { demoServerCommand } from '../../src/demo/command.js';
import {
  fixture,
  pollReadyz,
  pollUntil,
  startCli,
  upstreamNamed,
  useCliLifecycle,
  type CliProcess,
} from './run-cli.js';
import { processIsGone } from '../helpers/fixtures.js';

const temp = useCliLifecycle();

async function writeConfig(name: string, servers: Record<string, { command: string; args: string[] }>): Promise<string> {
  const path = `${temp.dir}/${name}`;
  await writeFile(path, JSON.stringify({ mcpServers: servers }), 'utf8');
  return path;
}

/** Every pid alive now; each is adopted by the CLI so a failing test still kills it. */
function expectAlive(cli: CliProcess, pids: number[]): void {
  for (const pid of pids) {
    cli.adopt(pid);
    expect(processIsGone(pid), `pid ${pid} should be running`).toBe(false);
  }
}

/** Waits (bounded) until none of the pids exists. */
async function expectAllGone(cli: CliProcess, pids: number[], timeoutMs = 5_000): Promise<void> {
  await pollUntil(
    `pids ${pids.join(', ')} to be gone`,
    () => (pids.every(processIsGone) ? true : undefined),
    timeoutMs,
  ).catch((error: Error) => {
    const alive = pids.filter((pid) => !processIsGone(pid));
    throw new Error(`${error.message}; still running: ${alive.join(', ')}\n${cli.transcript()}`);
  });
}

/** Starts the CLI on a server that ignores SIGTERM and stdin EOF; resolves once it is ready. */
async function startStubborn(configName: string, owner: object): Promise<{ cli: CliProcess; pid: number }> {
  const config = await writeConfig(configName, {
    stubborn: { command: process.execPath, args: [fixture('cli-stubborn-server.mjs')] },
  });
  const cli = startCli(['--port', '0', '--config', config], { owner });
  const { body } = await pollReadyz(await cli.waitForListening());
  const pid = upstreamNamed(body, 'stubborn').pid;
  expect(pid, JSON.stringify(body)).toBeTypeOf('number');
  expectAlive(cli, [pid!]);
  return { cli, pid: pid! };
}

describe.concurrent('shutdown stops every process the gateway started', () => {
  it.for(['SIGTERM', 'SIGINT'] as const)('%s: exit 0, no child or grandchild left', async (signal, { task }) => {
    const demo = demoServerCommand();
    const config = await writeConfig(`spawning-${signal}.json`, {
      spawner: { command: process.execPath, args: [fixture('cli-spawning-server.mjs')] },
      demo: { command: demo.command, args: demo.args },
    });
    const cli = startCli(['--port', '0', '--config', config], { owner: task });
    const url = await cli.waitForListening();
    const { body } = await pollReadyz(url);

    const spawner = upstreamNamed(body, 'spawner');
    const demoPid = upstreamNamed(body, 'demo').pid;
    const grandchild = (JSON.parse(spawner.server?.version ?? '{}') as { grandchild?: number }).grandchild;
    const pids = [spawner.pid, demoPid, grandchild];
    expect(pids.every((pid) => typeof pid === 'number' && pid > 0), JSON.stringify(body)).toBe(true);
    expectAlive(cli, pids as number[]);

    cli.signal(signal);
    const exit = await cli.waitForExit(15_000);
    expect(exit, cli.transcript()).toEqual({ code: 0, signal: null });
    expect(cli.stdout).toBe('');
    expect(cli.logRecords().some((record) => String(record.msg).startsWith('stopping') && record.signal === signal)).toBe(true);
    expect(cli.logRecords().some((record) => record.msg === 'mcpgate stopped')).toBe(true);
    await expectAllGone(cli, pids as number[]);
  });

  it('a child that ignores SIGTERM and stdin EOF is killed after the grace period', async ({ task }) => {
    const { cli, pid } = await startStubborn('stubborn.json', task);

    const stoppedAt = Date.now();
    cli.signal('SIGTERM');
    const exit = await cli.waitForExit(12_000);
    expect(exit, cli.transcript()).toEqual({ code: 0, signal: null });
    await expectAllGone(cli, [pid]);
    // It got SIGTERM (and said it ignored it) before the SIGKILL.
    expect(cli.stderr).toContain('cli-stubborn-server: ignoring SIGTERM');
    expect(Date.now() - stoppedAt).toBeLessThan(12_000);
  });

  it('a second signal exits at once, killing every child process group', async ({ task }) => {
    const { cli, pid } = await startStubborn('stubborn-twice.json', task);

    cli.signal('SIGTERM');
    await cli.waitForLog((record) => String(record.msg).startsWith('stopping'));
    cli.signal('SIGTERM');
    const exit = await cli.waitForExit(3_000);
    expect(exit, cli.transcript()).toEqual({ code: 143, signal: null });
    await expectAllGone(cli, [pid], 2_000);
  });
});
