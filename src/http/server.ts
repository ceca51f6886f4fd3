/**
 * Serves the app on a Node HTTP server and stops it cleanly.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface RunningServer {
  /** The base URL, with the port actually bound (useful with port 0). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** How long open connections may finish their requests when the server stops. */
const CLOSE_GRACE_MS = 5_000;

/** Listens on `host:port`; rejects with the system error (EADDRINUSE, EACCES…) when it cannot. */
export function listen(app: Hono, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }) as Server;
    // Long MCP streams and slow tools: Node's 5 s keep-alive default drops idle clients too eagerly.
    server.keepAliveTimeout = 65_000;
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({ url: `http://${shownHost}:${address.port}`, port: address.port, close: () => closeServer(server) });
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
