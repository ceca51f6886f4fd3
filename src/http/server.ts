/**
 * Serves the app on a Node HTTP server, or an HTTPS one when given a certificate, and stops it
 * cleanly.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { TlsConfig } from '../config/types.js';

export interface RunningServer {
  /** The base URL (`http://` or `https://`), with the port actually bound (useful with port 0). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** How long open connections may finish their requests when the server stops. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Listens on `host:port`, speaking HTTPS only when `tls` is given (a plain HTTP request to that
 * port fails its handshake); rejects with the system error (EADDRINUSE, EACCES…) when it cannot.
 */
export function listen(app: Hono, host: string, port: number, tls?: Pick<TlsConfig, 'cert' | 'key'>): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = (
      tls === undefined
        ? serve({ fetch: app.fetch, hostname: host, port })
        : serve({ fetch: app.fetch, hostname: host, port, createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } })
    ) as HttpServer | HttpsServer;
    // Long MCP streams and slow tools: Node's 5 s keep-alive default drops idle clients too eagerly.
    server.keepAliveTimeout = 65_000;
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const scheme = tls === undefined ? 'http' : 'https';
      resolve({ url: `${scheme}://${shownHost}:${address.port}`, port: address.port, close: () => closeServer(server) });
    });
  });
}

function closeServer(server: HttpServer | HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
