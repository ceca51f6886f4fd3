/**
 * server-everything as a real child process serving HTTP (`sse` or `streamableHttp`) on a given
 * port, in its own process group, and a tiny HTTP proxy that records the headers it forwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { everythingServerPath, waitFor } from './fixtures.js';

export type EverythingMode = 'sse' | 'streamableHttp';

export interface EverythingServer {
  child: ChildProcess;
  exited: Promise<void>;
  port: number;
  /** The last lines the server wrote on stderr, to explain a server that does not come up. */
  stderr: string[];
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts server-everything in `mode` on `port`; resolves once it accepts connections. */
export async function startEverything(mode: EverythingMode, port: number): Promise<EverythingServer> {
  const child = spawn(process.execPath, [everythingServerPath, mode], {
    env: { ...process.env, PORT: String(port) },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr.push(...chunk.split('\n').filter(Boolean));
    stderr.splice(0, Math.max(0, stderr.length - 20));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(`server-everything ${mode} on port ${port}`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server-everything ${mode} exited (${child.exitCode ?? child.signalCode}): ${stderr.join(' | ')}`);
    }
    return accepts(port);
  }, 15_000);
  return { child, exited, port, stderr };
}

/** Kills the server's process group at once (a crash) and waits for it to exit. */
export async function killEverything(server: EverythingServer | undefined): Promise<void> {
  if (!server) return;
  if (server.child.exitCode === null && server.child.signalCode === null) {
    try {
      process.kill(-server.child.pid!, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  await server.exited;
}

export interface HeaderRecordingProxy {
  server: Server;
  port: number;
  /** The headers of every request received, in order. */
  seen: IncomingHttpHeaders[];
}

/** Forwards every request to `127.0.0.1:targetPort` unchanged, recording its headers. */
export function startRecordingProxy(targetPort: number): Promise<HeaderRecordingProxy> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const forward = request(
      { host: '127.0.0.1', port: targetPort, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, seen }));
  });
}
