/**
 * Shared test helpers: configs for the fixture servers, a logger that records, polling waits.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { HttpUpstreamConfig, StdioUpstreamConfig } from '../../src/config/types.js';

export const scriptedServerPath = fileURLToPath(new URL('../fixtures/scripted-server.mjs', import.meta.url));
export const everythingServerPath = fileURLToPath(
  new URL('../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url),
);

export function stdioConfig(overrides: Partial<StdioUpstreamConfig> = {}): StdioUpstreamConfig {
  return {
    name: 'scripted',
    transport: 'stdio',
    command: process.execPath,
    args: [scriptedServerPath],
    env: {},
    cwd: undefined,
    passEnvironment: false,
    timeoutMs: 30_000,
    disabledTools: [],
    enabledTools: undefined,
    ...overrides,
  };
}

export function httpConfig(url: string, overrides: Partial<HttpUpstreamConfig> = {}): HttpUpstreamConfig {
  return {
    name: 'remote',
    transport: 'streamable-http',
    url,
    headers: {},
    timeoutMs: 30_000,
    disabledTools: [],
    enabledTools: undefined,
    ...overrides,
  };
}

export interface RecordingLogger {
  logger: Logger;
  records: Array<Record<string, unknown> & { msg?: string }>;
}

/** A real pino logger whose JSON lines are kept in memory for assertions. */
export function recordingLogger(): RecordingLogger {
  const records: RecordingLogger['records'] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) records.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), records };
}

/** Polls until `check` returns a truthy value; fails with `what` after the deadline. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A port that was free a moment ago (for servers that only take a port from the environment). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * True when no process has this pid any more. A killed process whose parent has not reaped it
 * yet (a zombie, e.g. an orphan re-parented to a PID 1 that does not reap) counts as gone: it
 * runs no code and holds no resources but its pid, and `kill(pid, 0)` still succeeds on it.
 */
export function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
  if (process.platform !== 'linux') return false;
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; the comm may contain spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Whether a live (not zombie) process has this pid. */
export function processExists(pid: number): boolean {
  return !processIsGone(pid);
}

export function textOf(result: { content?: unknown }): string {
  const content = result.content as Array<{ type: string; text?: string }>;
  return content.map((item) => item.text ?? '').join('');
}
