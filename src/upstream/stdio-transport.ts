/**
 * The client side of the stdio transport: spawns an MCP server as a child process and speaks
 * newline-delimited JSON-RPC on its stdin/stdout.
 *
 * Why not the SDK's `StdioClientTransport`: it spawns the child in the gateway's own process
 * group and reports closing only when every pipe has closed. A server started through `npx` or a
 * shell wrapper has grandchildren that keep the pipes open after the direct child dies, so calls
 * in flight would hang and the grandchildren would outlive the gateway. Here the child leads its
 * own process group, the whole group is signalled on close, `onclose` fires on the child's `exit`,
 * stray stdout lines are logged and skipped, and stderr is drained into the log line by line.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { JsonLinesReader, TextLineSplitter, toJsonLine } from '../framing/json-lines.js';
import type { Logger } from '../log/logger.js';
import { signalProcessTree, type ChildProcessRegistry } from './child-registry.js';

export interface StdioTransportOptions {
  command: string;
  args: string[];
  /** The child's complete environment (the caller decides between minimal and full). */
  env: Record<string, string>;
  cwd: string | undefined;
  logger: Logger;
  /** Grace period between each step of the shutdown ladder (stdin end, SIGTERM, SIGKILL). */
  killGraceMs?: number;
  /** Where the running child is registered, for a forced stop of the whole gateway. */
  registry?: ChildProcessRegistry;
}

/** How many stderr lines are kept to explain a child that dies. */
const STDERR_TAIL_LINES = 10;

/** How long to keep reading stdout after the child exits. */
const STDOUT_DRAIN_MS = 100;

/** What `send` returns for a message the pipe took at once: one settled promise for all of them. */
const WRITTEN: Promise<void> = Promise.resolve();

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Why a spawn failed, in words: ENOENT means a missing command or a missing working directory. */
function describeSpawnFailure(error: NodeJS.ErrnoException, command: string, cwd: string | undefined): string {
  if (error.code === 'ENOENT' && cwd !== undefined && !existsSync(cwd)) return `working directory does not exist: ${cwd}`;
  if (error.code === 'ENOENT') return `command not found: ${command} (ENOENT; is it installed and on PATH?)`;
  if (error.code === 'EACCES') return `permission denied running ${command} (EACCES)`;
  return `cannot start ${command}: ${error.message}`;
}

export class ChildProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private closed = false;
  private readonly stderrTail: string[] = [];
  private exitDescription: string | undefined;

  constructor(private readonly options: StdioTransportOptions) {}

  /** The child's pid while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Why the child stopped, with the last lines it wrote on stderr, for `/readyz` and error messages.
   * Undefined while it runs.
   */
  get exitReason(): string | undefined {
    if (this.exitDescription === undefined) return undefined;
    const tail = this.stderrTail.join(' | ');
    return tail ? `${this.exitDescription}; stderr: ${tail}` : this.exitDescription;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error('stdio transport already started');
    const { command, args, env, cwd, logger } = this.options;
    const child = spawn(command, args, {
      env,
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      // Its own process group, so that closing reaches grandchildren (npx, shell wrappers) too.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    this.child = child;
    this.options.registry?.add(child);

    const reader = new JsonLinesReader({
      onMessage: (message) => this.onmessage?.(message),
      onInvalidLine: (line, reason) =>
        logger.warn({ stream: 'stdout', line: line.slice(0, 2000) }, `skipped a line from the server's stdout (${reason})`),
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (error) {
        this.onerror?.(error as Error);
        void this.close();
      }
    });

    // Drain stderr always: a full 64 KiB pipe would block the child.
    const stderrLines = new TextLineSplitter();
    const logStderr = (lines: string[]): void => {
      for (const line of lines) {
        logger.info({ stream: 'stderr' }, line);
        this.stderrTail.push(line.slice(0, 500));
        if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      }
    };
    child.stderr!.on('data', (chunk: Buffer) => logStderr(stderrLines.push(chunk)));
    child.stderr!.on('end', () => logStderr(stderrLines.flush()));

    // A write to a child that died raises EPIPE here; the exit handler reports the death.
    child.stdin!.on('error', (error) => logger.debug({ err: error }, 'stdin of the server closed'));

    const stdoutEnded = new Promise<void>((resolve) => child.stdout!.once('close', resolve));
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitDescription =
          signal !== null ? `process was killed by ${signal}` : `process exited with code ${code ?? 'unknown'}`;
        // The direct child is gone; make sure nothing it started lingers in its group.
        signalProcessTree(child, 'SIGKILL');
        this.options.registry?.delete(child);
        resolve();
        // Read what the child wrote just before it died, but do not wait on a pipe that a
        // grandchild might still hold open: that is the hang this transport exists to avoid.
        void Promise.race([stdoutEnded, delay(STDOUT_DRAIN_MS)]).then(() => this.finish());
      });
    });

    await new Promise<void>((resolve, reject) => {
      let spawned = false;
      child.once('spawn', () => {
        spawned = true;
        resolve();
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        // After a successful spawn an 'error' is a failed signal or write; 'exit' reports deaths.
        if (spawned) return logger.debug({ err: error }, 'child process error');
        const reason = describeSpawnFailure(error, command, cwd);
        this.exitDescription = reason;
        this.child = undefined;
        this.options.registry?.delete(child);
        reject(new Error(reason, { cause: error }));
        this.finish();
      });
    });
  }

  /** Not an async function: every message to the server passes here, and nearly every write is taken at once. */
  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || this.closed || stdin.destroyed) return Promise.reject(new Error('the server process is not running'));
    // Messages sent while the event loop handles one round of I/O (every request that arrived
    // together) leave in one write, one system call, instead of one each.
    if (!stdin.writableCorked) {
      stdin.cork();
      setImmediate(() => stdin.uncork());
    }
    let line: string;
    try {
      line = toJsonLine(message);
    } catch (error) {
      return Promise.reject(error);
    }
    if (stdin.write(line)) return WRITTEN;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        stdin.off('drain', done);
        stdin.off('close', done);
        resolve();
      };
      stdin.on('drain', done);
      stdin.on('close', done);
    });
  }

  /**
   * Stops the child: close stdin (a well-behaved server exits on EOF), then SIGTERM the group,
   * then SIGKILL it. Resolves once the child has exited.
   */
  async close(): Promise<void> {
    const child = this.child;
    if (!child || !this.exited) {
      this.finish();
      return;
    }
    const grace = this.options.killGraceMs ?? 2000;
    const exitedWithin = (ms: number): Promise<boolean> =>
      Promise.race([
        this.exited!.then(() => true),
        delay(ms).then(() => false),
      ]);
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      if (!(await exitedWithin(grace))) {
        signalProcessTree(child, 'SIGTERM');
        if (!(await exitedWithin(grace))) {
          signalProcessTree(child, 'SIGKILL');
          await this.exited;
        }
      }
    }
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }
}
