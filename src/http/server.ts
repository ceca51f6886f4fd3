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
  /** Stops taking new connections and closes idle keep-alive ones; requests in progress go on. */
  stopAccepting(): void;
  /** Stops accepting, lets open connections finish their requests for a short grace, then closes them. */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Serve HTTPS with this certificate and key; plain HTTP when left out. */
  tls?: Pick<TlsConfig, 'cert' | 'key'> | undefined;
  /** Largest request head in bytes (Node answers 431 beyond it); Node's default when left out. */
  maxHeaderBytes?: number;
}

/** How long open connections may finish their requests when the server stops. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Listens on `host:port`, speaking HTTPS only when `tls` is given (a plain HTTP request to that
 * port fails its handshake); rejects with the system error (EADDRINUSE, EACCES…) when it cannot.
 */
export function listen(app: Hono, host: string, port: number, options: ListenOptions = {}): Promise<RunningServer> {
  const { tls, maxHeaderBytes } = options;
  const limits = maxHeaderBytes === undefined ? {} : { maxHeaderSize: maxHeaderBytes };
  return new Promise((resolve, reject) => {
    const server = (
      tls === undefined
        ? serve({ fetch: app.fetch, hostname: host, port, serverOptions: limits })
        : serve({ fetch: app.fetch, hostname: host, port, createServer: createHttpsServer, serverOptions: { ...limits, cert: tls.cert, key: tls.key } })
    ) as HttpServer | HttpsServer;
    // Long MCP streams and slow tools: Node's 5 s keep-alive default drops idle clients too eagerly.
    server.keepAliveTimeout = 65_000;
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const scheme = tls === undefined ? 'http' : 'https';
      resolve({ url: `${scheme}://${shownHost}:${address.port}`, port: address.port, ...closer(server) });
    });
  });
}

function closer(server: HttpServer | HttpsServer): Pick<RunningServer, 'stopAccepting' | 'close'> {
  let closed: Promise<void> | undefined;
  const stopAccepting = (): Promise<void> => {
    closed ??= new Promise((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    return closed;
  };
  return {
    stopAccepting: () => void stopAccepting(),
    async close() {
      const done = stopAccepting();
      // A connection whose last response (an SSE stream) ends after this point becomes idle, and
      // only closing idle connections again lets the server finish before the grace runs out.
      const sweep = setInterval(() => server.closeIdleConnections(), 50).unref();
      const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      await done;
      clearInterval(sweep);
      clearTimeout(force);
    },
  };
}
