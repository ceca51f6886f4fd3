/**
 * The gateway under test, run the way a user runs it: the `dist/cli/bin.js` executable itself
 * (compiled, plain Node through its `#!` line, no tsx in the process), serving the
 * bundled demo server. Its CPU and memory are then the product's own.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { childPids } from './proc-stats.js';

export interface GatewayProcess {
  pid: number;
  baseUrl: string;
  /** Pid of the demo server the gateway spawned (found once the gateway is ready). */
  upstreamPid: number | undefined;
  /** SIGTERM, then SIGKILL after a grace period; also ends an upstream child left behind. Idempotent. */
  stop: () => Promise<void>;
}

/** A port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Forwards the gateway's output to our stderr, each line prefixed, and keeps the last lines for error messages. */
function relay(child: ChildProcess): () => string {
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (line === '') continue;
        process.stderr.write(`[gateway] ${line}\n`);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    });
  }
  return () => tail.join('\n');
}

/** Whether a process with this pid exists (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the gateway on a free port and resolves once `GET /readyz` answers 200. `extraArgs` go
 * on its command line after the port and log level (`--hook <file>` for the hook chain cases; a
 * hook module that cannot be loaded stops the gateway before it listens, so a ready gateway has
 * loaded them).
 */
export async function startGateway(binPath: string, cwd: string, extraArgs: readonly string[] = [], readyTimeoutMs = 30_000): Promise<GatewayProcess> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(binPath, ['--port', String(port), '--log-level', 'warning', ...extraArgs], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = relay(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let upstreamPid: number | undefined;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const graceful = await Promise.race([exited.then(() => true), sleep(5_000, false)]);
        if (!graceful) {
          process.stderr.write('[bench] the gateway did not stop within 5 s of SIGTERM: killing it\n');
          child.kill('SIGKILL');
          await exited;
        }
      }
      // The gateway stops its upstream on SIGTERM; make sure nothing it started outlives it.
      if (upstreamPid !== undefined && isAlive(upstreamPid)) {
        await sleep(500);
        if (isAlive(upstreamPid)) {
          process.stderr.write(`[bench] the upstream child ${upstreamPid} outlived the gateway: killing it\n`);
          process.kill(upstreamPid, 'SIGKILL');
        }
      }
    })();
    return stopping;
  };

  try {
    await once(child, 'spawn');
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the gateway exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready:\n${output()}`);
      }
      const status = await fetch(`${baseUrl}/readyz`).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status;
        },
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`GET /readyz did not answer 200 within ${readyTimeoutMs} ms (last: ${status}):\n${output()}`);
      await sleep(50);
    }
    upstreamPid = childPids(child.pid as number)[0];
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: child.pid as number, baseUrl, upstreamPid, stop };
}
