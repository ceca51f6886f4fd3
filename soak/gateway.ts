/**
 * The gateway under test: the real `mcpgate` command, started as a child process the way the CLI
 * tests start it (`node --import <tsx loader> src/cli/bin.ts --config <file> --port 0`), so the
 * soak covers the product path from argument parsing to signal handling and exit code.
 *
 * Its stderr (JSON log lines) is read continuously, so a full pipe can never stall it, and written
 * to a log file. The URL comes from the `mcpgate listening on …` record (port 0 picks a free
 * port). Warnings and errors are counted by message for the summary.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { normalizeMessage } from './outcomes.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const binPath = join(repoRoot, 'src/cli/bin.ts');
/** The tsx loader as a file URL (a bare `--import tsx` would resolve from the child's cwd). */
const tsxLoaderUrl = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What `/readyz` says about one server (the fields the soak test reads). */
export interface UpstreamReadiness {
  name: string;
  state: string;
  restarts: number;
  pid: number | null;
  lastError: string | null;
}

export interface Readiness {
  status: number;
  ready: boolean;
  upstreams: UpstreamReadiness[];
}

export class GatewayProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;
  private readonly log: WriteStream;
  private partial = '';
  private readonly tail: string[] = [];
  private urlFound: ((url: string) => void) | undefined;
  private readonly urlPromise: Promise<string>;
  /** Warnings and errors the gateway logged, by normalised message. */
  readonly problems = new Map<string, { level: string; count: number; example: string }>();

  constructor(configPath: string, readonly logPath: string) {
    this.log = createWriteStream(logPath, { flags: 'a' });
    this.urlPromise = new Promise((resolve) => (this.urlFound = resolve));
    this.child = spawn(process.execPath, ['--import', tsxLoaderUrl, binPath, '--config', configPath, '--port', '0'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.log.write(`[stdout] ${chunk}`));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.onStderr(chunk));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
      this.child.once('error', (error) => {
        this.onLine(`[soak] cannot start the gateway: ${error.message}`);
        this.exitStatus = { code: null, signal: null };
        resolve(this.exitStatus);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get hasExited(): boolean {
    return this.exitStatus !== undefined;
  }

  /** The last lines of its stderr, for error messages. */
  lastLines(count = 30): string {
    return this.tail.slice(-count).join('\n');
  }

  private onStderr(chunk: string): void {
    this.log.write(chunk);
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.onLine(line);
  }

  private onLine(line: string): void {
    this.tail.push(line.slice(0, 1000));
    if (this.tail.length > 200) this.tail.shift();
    if (!line.startsWith('{')) return;
    let record: { level?: number; msg?: string; url?: unknown };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      return;
    }
    if (typeof record.url === 'string' && /^mcpgate listening on /.test(record.msg ?? '')) this.urlFound?.(record.url);
    if ((record.level ?? 0) >= 40) {
      const level = (record.level ?? 0) >= 50 ? 'error' : 'warning';
      const key = `${level}: ${normalizeMessage(record.msg ?? '')}`;
      const entry = this.problems.get(key);
      if (entry) entry.count += 1;
      else this.problems.set(key, { level, count: 1, example: line.slice(0, 600) });
    }
  }

  /** The URL from the `mcpgate listening on …` record; rejects if the gateway exits first or after `timeoutMs`. */
  async url(timeoutMs = 30_000): Promise<string> {
    const failure = Promise.race([
      this.exited.then((status) => {
        throw new Error(`the gateway exited (${describeExit(status)}) before listening:\n${this.lastLines()}`);
      }),
      sleep(timeoutMs).then(() => {
        throw new Error(`the gateway did not log "mcpgate listening on" within ${timeoutMs} ms:\n${this.lastLines()}`);
      }),
    ]);
    return Promise.race([this.urlPromise, failure]);
  }

  /** Sends SIGTERM and waits for the exit; SIGKILL after `timeoutMs`. Returns the exit and how long it took. */
  async stop(timeoutMs = 20_000): Promise<{ status: ExitStatus; ms: number; forced: boolean }> {
    const started = performance.now();
    if (!this.hasExited) this.child.kill('SIGTERM');
    const inTime = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!inTime) this.child.kill('SIGKILL');
    const status = await this.exited;
    await new Promise<void>((resolve) => this.log.end(resolve));
    return { status, ms: performance.now() - started, forced: !inTime };
  }
}

export function describeExit({ code, signal }: ExitStatus): string {
  return signal ? `signal ${signal}` : `code ${String(code)}`;
}

/** `GET /readyz`: the status and what it says of each server (status 0 when it cannot be reached). */
export async function readiness(baseUrl: string): Promise<Readiness> {
  try {
    const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
    const body = (await response.json()) as { ready?: boolean; upstreams?: UpstreamReadiness[] };
    return { status: response.status, ready: body.ready === true, upstreams: body.upstreams ?? [] };
  } catch {
    return { status: 0, ready: false, upstreams: [] };
  }
}

/** Polls `/readyz` until it answers 200; returns the last answer and whether it did within `timeoutMs`. */
export async function waitUntilReady(baseUrl: string, timeoutMs: number): Promise<{ ready: boolean; last: Readiness; ms: number }> {
  const started = performance.now();
  for (;;) {
    const last = await readiness(baseUrl);
    const ms = performance.now() - started;
    if (last.status === 200) return { ready: true, last, ms };
    if (ms >= timeoutMs) return { ready: false, last, ms };
    await sleep(100);
  }
}
