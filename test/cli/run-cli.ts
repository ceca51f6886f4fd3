/**
 * Runs the real `mcpgate` command as a child process for the CLI tests: `node --import <tsx>
 * src/cli/bin.ts ...args`, exactly as `npm start` does, with stdout and stderr captured.
 *
 * Every wait here has a deadline, so a test that goes wrong fails with what the CLI printed
 * instead of hanging. Every process started is remembered with its owner (normally the test's
 * `task`), so `killLeftovers(task)` in `afterEach` can stop what a failed test left behind
 * without touching the processes of tests running concurrently.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { UpstreamStatus } from '../../src/upstream/upstream.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const binPath = join(repoRoot, 'src/cli/bin.ts');
export const fixturesDir = join(repoRoot, 'test/fixtures');
export const fixture = (name: string): string => join(fixturesDir, name);

/** The tsx loader as an absolute file URL (a bare `--import tsx` resolves from the child's cwd). */
export const tsxLoaderUrl: string = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** One pino log line from the CLI's stderr. */
export interface LogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** What `/readyz` answers. */
export interface ReadyzBody {
  ready: boolean;
  upstreams: UpstreamStatus[];
  disabled: string[];
}

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartOptions {
  /** Working directory of the CLI (default: the repository root). */
  cwd?: string;
  /** The CLI's complete environment (default: {@link baseEnv}()). */
  env?: NodeJS.ProcessEnv;
  /** Who started it, for {@link killLeftovers} (normally the test's `task`). */
  owner?: object;
  /** Options for node itself (V8 flags), before the command's own arguments. */
  nodeArgs?: readonly string[];
}

/** Variables the tests give meaning to: removed from the CLI's default environment so results do not depend on the caller's shell. */
const TEST_VARIABLES = ['DEMO_TZ', 'SECRET', 'ALPHA', 'BETA', 'FROM_FILE', 'NOPE_UNSET_VAR', 'MCPGATE_API_KEYS'];

/** The test runner's environment without the variables the tests set themselves, plus `extra`. */
export function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of TEST_VARIABLES) delete env[name];
  return { ...env, ...extra };
}

/** Polls `check` every `intervalMs` until it returns something other than undefined; throws after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** True when `promise` settles within `ms`; the promise keeps running either way. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

/** A running (or finished) `mcpgate` process. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly args: readonly string[];
  readonly owner: object | undefined;
  /** Settles when the process has exited and its output streams have closed. */
  readonly exited: Promise<ExitResult>;
  private exitResult: ExitResult | undefined;
  private stdoutText = '';
  private stderrText = '';
  private partialLine = '';
  private readonly lines: string[] = [];
  private readonly lineListeners = new Set<() => void>();
  /** Pids of processes the CLI started (upstream children, grandchildren), killed on cleanup too. */
  private readonly adopted = new Set<number>();

  constructor(args: readonly string[], options: StartOptions = {}) {
    this.args = args;
    this.owner = options.owner;
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', tsxLoaderUrl, binPath, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? baseEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdoutText += chunk;
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrText += chunk;
      const parts = (this.partialLine + chunk).split('\n');
      this.partialLine = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const listener of this.lineListeners) listener();
    });
    this.exited = new Promise<ExitResult>((resolve) => {
      // 'close' (not 'exit'): the output is complete by then.
      this.child.once('close', (code, signal) => {
        if (this.partialLine !== '') this.lines.push(this.partialLine);
        this.partialLine = '';
        this.exitResult = { code, signal };
        for (const listener of this.lineListeners) listener();
        resolve(this.exitResult);
      });
      this.child.once('error', (error) => {
        this.stderrText += `\n[test helper] cannot start the CLI: ${error.message}\n`;
        this.exitResult = { code: null, signal: null };
        resolve(this.exitResult);
      });
    });
    live.add(this);
    void this.exited.then(() => {
      if (this.adopted.size === 0) live.delete(this);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Whether the process has exited (and its output has been read to the end). */
  get hasExited(): boolean {
    return this.exitResult !== undefined;
  }

  /** Every complete stderr line parsed as a pino record (lines that are not JSON are skipped). */
  logRecords(): LogRecord[] {
    return this.lines.flatMap((line) => {
      const record = parseLogLine(line);
      return record ? [record] : [];
    });
  }

  /**
   * Resolves with the first stderr line (already printed or still to come) that matches.
   * Rejects when the process exits first or the deadline passes, quoting stderr.
   */
  waitForLine(pattern: RegExp | ((line: string) => boolean), timeoutMs = 15_000): Promise<string> {
    const matches = typeof pattern === 'function' ? pattern : (line: string) => pattern.test(line);
    return new Promise((resolve, reject) => {
      const finish = (outcome: () => void): void => {
        clearTimeout(timer);
        this.lineListeners.delete(check);
        outcome();
      };
      const check = (): void => {
        const found = this.lines.find(matches);
        if (found !== undefined) return finish(() => resolve(found));
        if (this.exitResult) {
          finish(() => reject(new Error(`mcpgate exited (${describeExit(this.exitResult!)}) before printing a line matching ${String(pattern)}\n${this.transcript()}`)));
        }
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no stderr line matching ${String(pattern)} within ${timeoutMs} ms\n${this.transcript()}`))),
        timeoutMs,
      );
      this.lineListeners.add(check);
      check();
    });
  }

  /** Resolves with the first pino record for which `predicate` holds. */
  async waitForLog(predicate: (record: LogRecord) => boolean, timeoutMs = 15_000): Promise<LogRecord> {
    const line = await this.waitForLine((text) => {
      const record = parseLogLine(text);
      return record !== undefined && predicate(record);
    }, timeoutMs);
    return parseLogLine(line)!;
  }

  /** Waits for the `mcpgate listening on http://...` record and returns the URL it names. */
  async waitForListening(timeoutMs = 15_000): Promise<string> {
    const record = await this.waitForLog((entry) => /^mcpgate listening on http:\/\//.test(entry.msg), timeoutMs);
    if (typeof record.url !== 'string') throw new Error(`the listening record has no url: ${JSON.stringify(record)}`);
    return record.url;
  }

  /** Sends a signal to the CLI process (not to its children). */
  signal(signal: NodeJS.Signals): void {
    if (!this.hasExited) this.child.kill(signal);
  }

  /** Resolves with the exit code (or signal) once the process has exited; rejects after `timeoutMs`. */
  async waitForExit(timeoutMs = 15_000): Promise<ExitResult> {
    if (!(await settlesWithin(this.exited, timeoutMs))) {
      throw new Error(`mcpgate did not exit within ${timeoutMs} ms\n${this.transcript()}`);
    }
    return this.exitResult!;
  }

  /** Remembers a pid the CLI started, so cleanup kills it (and its process group) if the test fails. */
  adopt(pid: number | null | undefined): void {
    if (typeof pid === 'number' && pid > 0) {
      this.adopted.add(pid);
      live.add(this);
    }
  }

  /**
   * Stops the CLI and everything it is known to have started: SIGTERM first (a clean shutdown
   * stops the upstream children), SIGKILL if it is still running after `graceMs`, then SIGKILL
   * to every adopted pid's process group (they lead their own groups) and to the pid itself.
   */
  async kill(graceMs = 6_000): Promise<void> {
    if (!this.hasExited) {
      this.child.kill('SIGTERM');
      if (!(await settlesWithin(this.exited, graceMs))) {
        this.child.kill('SIGKILL');
        await settlesWithin(this.exited, 5_000);
      }
    }
    for (const pid of this.adopted) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    this.adopted.clear();
    live.delete(this);
  }

  /** The command and what it printed so far, for failure messages. */
  transcript(): string {
    const status = this.exitResult ? `exited: ${describeExit(this.exitResult)}` : 'still running';
    return `--- mcpgate ${this.args.join(' ')} (${status})\n--- stderr:\n${this.stderrText}\n--- stdout:\n${this.stdoutText}`;
  }
}

function describeExit({ code, signal }: ExitResult): string {
  return signal ? `signal ${signal}` : `code ${String(code)}`;
}

function parseLogLine(line: string): LogRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && typeof (value as LogRecord).msg === 'string') return value as LogRecord;
  } catch {
    // Not a log record.
  }
  return undefined;
}

const live = new Set<CliProcess>();

/** Starts `mcpgate ...args`. */
export function startCli(args: readonly string[], options: StartOptions = {}): CliProcess {
  return new CliProcess(args, options);
}

export interface CliOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  cli: CliProcess;
}

/** Runs `mcpgate ...args` to completion (for commands that must exit by themselves); kills it and throws after `timeoutMs`. */
export async function runCli(args: readonly string[], options: StartOptions = {}, timeoutMs = 15_000): Promise<CliOutcome> {
  const cli = startCli(args, options);
  try {
    const { code, signal } = await cli.waitForExit(timeoutMs);
    return { code, signal, stdout: cli.stdout, stderr: cli.stderr, cli };
  } catch (error) {
    await cli.kill(1_000);
    throw error;
  }
}

/**
 * Kills what is still running: the processes started by `owner`, or every process when no
 * owner is given (for `afterAll`).
 */
export async function killLeftovers(owner?: object): Promise<void> {
  const targets = [...live].filter((cli) => owner === undefined || cli.owner === owner);
  await Promise.all(targets.map((cli) => cli.kill()));
}

/** GETs `${baseUrl}${path}`; returns the status and the parsed JSON body. */
export async function getJson<T = unknown>(baseUrl: string, path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(path, baseUrl), { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as T };
}

/**
 * Polls `/readyz` until `accept(status, body)` holds (default: the gateway is ready, 200) and
 * returns that answer; throws with the last answer after `timeoutMs`.
 */
export async function pollReadyz(
  baseUrl: string,
  accept: (status: number, body: ReadyzBody) => boolean = (status) => status === 200,
  timeoutMs = 20_000,
): Promise<{ status: number; body: ReadyzBody }> {
  let last: { status: number; body: ReadyzBody } | undefined;
  try {
    return await pollUntil(
      '/readyz',
      async () => {
        last = await getJson<ReadyzBody>(baseUrl, '/readyz');
        return accept(last.status, last.body) ? last : undefined;
      },
      timeoutMs,
      100,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last /readyz answer: ${JSON.stringify(last)}`);
  }
}

/** The named upstream in a `/readyz` body; throws when it is absent. */
export function upstreamNamed(body: ReadyzBody, name: string): UpstreamStatus {
  const found = body.upstreams.find((upstream) => upstream.name === name);
  if (!found) throw new Error(`no upstream "${name}" in /readyz: ${JSON.stringify(body)}`);
  return found;
}

/**
 * The hooks every CLI test file needs: a temporary directory for the file's configs, and no
 * process left running after each test (nor after the file). Call at the top level of a test file;
 * the returned object is filled in before the first test runs.
 */
export function useCliLifecycle(): TempDir {
  const temp = {} as TempDir;
  beforeAll(async () => {
    Object.assign(temp, await tempDir());
  });
  afterEach(async ({ task }) => {
    await killLeftovers(task);
  });
  afterAll(async () => {
    await killLeftovers();
    await temp.remove?.();
  });
  return temp;
}

/** Sends SIGTERM and expects a clean exit (code 0) with nothing written on stdout. */
export async function stopCleanly(cli: CliProcess): Promise<void> {
  cli.signal('SIGTERM');
  const { code } = await cli.waitForExit(15_000);
  expect(code, cli.transcript()).toBe(0);
  expect(cli.stdout).toBe('');
}

export type TempDir = Awaited<ReturnType<typeof tempDir>>;

/** A fresh temporary directory, and a function that removes it. */
export async function tempDir(prefix = 'mcpgate-cli-'): Promise<{ dir: string; write: (name: string, text: string) => Promise<string>; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    write: async (name, text) => {
      const path = join(dir, name);
      await writeFile(path, text, 'utf8');
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
