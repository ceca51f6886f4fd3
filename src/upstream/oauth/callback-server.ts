/**
 * The loopback page the authorization server sends the user's browser back to (RFC 8252 §7.3).
 *
 * One HTTP server per callback port serves every OAuth upstream configured with that port: each
 * upstream has its own path, `/oauth/callback/<url-encoded server name>` (see
 * {@link callbackPath}), so one port (3030 by default, as in mcpo) is enough for any number of
 * upstreams and a redirect URI registered with an authorization server stays the same across
 * restarts. The path says which upstream a callback is for; the `state` parameter says which
 * authorization request — a callback is accepted only for a state some upstream is waiting for
 * ({@link OAuthCallbackServer.waitForCallback}), once.
 *
 * {@link OAuthCallbackServers} is the registry: `acquire(port, server)` starts the port's server on
 * first use and `release()` of the last lease closes it, so the port is held only while someone
 * needs it (an upstream waiting for its user). The server binds `127.0.0.1` only and never logs:
 * the query carries the authorization code.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The callback path of an upstream: `/oauth/callback/<encodeURIComponent(server)>`. */
export function callbackPath(server: string): string {
  return `/oauth/callback/${encodeURIComponent(server)}`;
}

/** `http://127.0.0.1:<port>/oauth/callback/<encoded server>`. */
export function callbackRedirectUrl(port: number, server: string): string {
  return `http://127.0.0.1:${port}${callbackPath(server)}`;
}

interface Waiter {
  server: string;
  resolve: (params: URLSearchParams) => void;
}

/** One loopback HTTP server on one port. Get one from {@link OAuthCallbackServers.acquire}. */
export class OAuthCallbackServer {
  /** The port listened on (the actual one when 0 was asked for). */
  readonly port: number;
  private readonly httpServer: Server;
  /** Waiting authorization requests by `state`. */
  private readonly waiters = new Map<string, Waiter>();
  /** Path → server name, for the servers with a lease on this port. */
  private readonly paths = new Map<string, string>();

  private constructor(httpServer: Server, port: number) {
    this.httpServer = httpServer;
    this.port = port;
    httpServer.on('request', (request: IncomingMessage, response: ServerResponse) => this.handle(request, response));
  }

  /** Listens on `host:port`; the error of a taken port names the port and the server that wanted it. */
  static async listen(port: number, server: string, host = '127.0.0.1'): Promise<OAuthCallbackServer> {
    const httpServer = createServer();
    // Browsers keep connections alive; a callback page needs none of it, and close() must not wait.
    httpServer.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      const onListenError = (error: NodeJS.ErrnoException): void => {
        const reason =
          error.code === 'EADDRINUSE'
            ? `port ${port} is already in use by another program`
            : error.code === 'EACCES'
              ? `port ${port} may not be used by this user`
              : error.message;
        reject(new Error(`OAuth callback server for "${server}" cannot listen on ${host}:${port}: ${reason} (set "callback_port" to a free port)`, { cause: error }));
      };
      httpServer.once('error', onListenError);
      httpServer.listen(port, host, () => {
        httpServer.off('error', onListenError);
        resolve();
      });
    });
    // Once listening, a server error concerns one connection at most; it must not crash the gateway.
    httpServer.on('error', () => {});
    return new OAuthCallbackServer(httpServer, (httpServer.address() as AddressInfo).port);
  }

  /** The redirect URI of `server` on this port. */
  redirectUrl(server: string): string {
    return callbackRedirectUrl(this.port, server);
  }

  /**
   * Lets callbacks for `server` in at `path` (default its {@link callbackPath}; a config's own
   * redirect URI may name another). Throws when another server already receives at that path.
   */
  addServer(server: string, path = callbackPath(server)): void {
    const owner = this.paths.get(path);
    if (owner !== undefined && owner !== server) {
      throw new Error(`OAuth callbacks of "${server}" and "${owner}" would both arrive at ${path} on port ${this.port}; give them different redirect URIs`);
    }
    this.paths.set(path, server);
  }

  /** Stops accepting callbacks for `server`. Its pending waits stay until their signals abort. */
  removeServer(server: string): void {
    for (const [path, owner] of this.paths) if (owner === server) this.paths.delete(path);
  }

  /**
   * Resolves with the whole callback query (`code`, `state`, `iss` — or `error`,
   * `error_description`) when the browser arrives at `server`'s callback path with this `state`.
   * The query is passed on as it came: `transport.finishAuth(params)` checks `iss` (RFC 9207)
   * before it reads anything else. Rejects with the signal's reason when `signal` aborts.
   */
  waitForCallback(server: string, state: string, signal?: AbortSignal): Promise<URLSearchParams> {
    if (state === '') return Promise.reject(new Error(`an OAuth callback for "${server}" needs a state to wait for`));
    if (this.waiters.has(state)) return Promise.reject(new Error(`an OAuth callback for this state of "${server}" is already awaited`));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<URLSearchParams>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.waiters.get(state)?.server === server) this.waiters.delete(state);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(state, {
        server,
        resolve: (params) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(params);
        },
      });
    });
  }

  /** Number of callbacks awaited (for tests and status). */
  get pending(): number {
    return this.waiters.size;
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    this.httpServer.closeAllConnections();
    await new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      answer(response, 405, 'mcpgate: this address only receives OAuth authorization callbacks.', { allow: 'GET, HEAD' });
      return;
    }
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const server = this.paths.get(url.pathname);
    if (server === undefined) {
      answer(response, 400, 'mcpgate: no server waits for an OAuth authorization at this address.');
      return;
    }
    const state = url.searchParams.get('state');
    const waiter = state === null ? undefined : this.waiters.get(state);
    if (state === null || waiter === undefined || waiter.server !== server) {
      answer(
        response,
        400,
        `mcpgate: this authorization of ${server} is unknown or already used. If ${server} still needs authorizing, use the latest authorization link the gateway gave.`,
      );
      return;
    }
    // HEAD (a link preview) must not use up the one callback a state gets.
    if (request.method === 'HEAD') {
      answer(response, 200, '');
      return;
    }
    this.waiters.delete(state);
    const error = url.searchParams.get('error');
    if (error === null) {
      answer(response, 200, `mcpgate: ${server} is authorized, you can close this tab.`);
    } else {
      // Only the error code, never error_description: in a mix-up attack that text comes from
      // the attacker (RFC 9207), and the gateway has not checked `iss` yet.
      const code = /^[\x20-\x7e]{1,64}$/.test(error) ? error : 'unknown error';
      answer(response, 200, `mcpgate: authorization of ${server} failed (${code}). The gateway log says more; you can close this tab.`);
    }
    waiter.resolve(url.searchParams);
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function answer(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = `<!doctype html>\n<html><head><meta charset="utf-8"><title>mcpgate</title></head><body><p>${escapeHtml(message)}</p></body></html>\n`;
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    // The URL holds the authorization code: keep it out of caches and of any Referer.
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'",
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  response.end(body);
}

/** A server's use of a callback port, from {@link OAuthCallbackServers.acquire}. */
export interface OAuthCallbackLease {
  readonly server: string;
  /** The port listened on. */
  readonly port: number;
  /** This server's redirect URI on the port. */
  readonly redirectUrl: string;
  /** {@link OAuthCallbackServer.waitForCallback} for this server. */
  waitForCallback(state: string, signal?: AbortSignal): Promise<URLSearchParams>;
  /** Gives the port back; the last release closes the port's server. Idempotent. */
  release(): Promise<void>;
}

interface PortEntry {
  starting: Promise<OAuthCallbackServer>;
  /** Leases per server name. */
  users: Map<string, number>;
}

/**
 * The callback servers of one gateway, keyed by port: started on the first `acquire`, closed
 * when the last lease on the port is released. Owned by the gateway (no module state), so two
 * gateways in one process (tests) do not share ports by accident.
 */
export class OAuthCallbackServers {
  private readonly host: string;
  private readonly ports = new Map<number, PortEntry>();

  constructor(options: { host?: string } = {}) {
    this.host = options.host ?? '127.0.0.1';
  }

  /**
   * Takes a lease on `port` for `server`, starting the port's server if nobody uses it yet.
   * Port 0 shares one ephemeral port among every lease asked with 0 (tests). `path` is where
   * the server's callbacks arrive, default its {@link callbackPath}.
   */
  async acquire(port: number, server: string, path?: string): Promise<OAuthCallbackLease> {
    let entry = this.ports.get(port);
    if (entry === undefined) {
      const created: PortEntry = { starting: OAuthCallbackServer.listen(port, server, this.host), users: new Map() };
      entry = created;
      this.ports.set(port, created);
      created.starting.catch(() => {
        if (this.ports.get(port) === created) this.ports.delete(port);
      });
    }
    entry.users.set(server, (entry.users.get(server) ?? 0) + 1);
    let callbackServer: OAuthCallbackServer;
    try {
      callbackServer = await entry.starting;
    } catch (error) {
      this.dropUser(entry, server);
      throw error;
    }
    try {
      callbackServer.addServer(server, path);
    } catch (error) {
      if (this.dropUser(entry, server).portIdle) {
        if (this.ports.get(port) === entry) this.ports.delete(port);
        await callbackServer.close();
      }
      throw error;
    }
    let released = false;
    return {
      server,
      port: callbackServer.port,
      redirectUrl: path === undefined ? callbackServer.redirectUrl(server) : `http://127.0.0.1:${callbackServer.port}${path}`,
      waitForCallback: (state, signal) => callbackServer.waitForCallback(server, state, signal),
      release: async () => {
        if (released) return;
        released = true;
        const remaining = this.dropUser(entry, server);
        if (remaining.serverGone) callbackServer.removeServer(server);
        if (remaining.portIdle) {
          if (this.ports.get(port) === entry) this.ports.delete(port);
          await callbackServer.close();
        }
      },
    };
  }

  /** Whether a server is listening (or starting) on `port`. */
  isOpen(port: number): boolean {
    return this.ports.has(port);
  }

  /** Closes every port's server at once (gateway stop). */
  async closeAll(): Promise<void> {
    const entries = [...this.ports.values()];
    this.ports.clear();
    await Promise.all(entries.map(async (entry) => (await entry.starting.catch(() => undefined))?.close()));
  }

  private dropUser(entry: PortEntry, server: string): { serverGone: boolean; portIdle: boolean } {
    const count = (entry.users.get(server) ?? 1) - 1;
    if (count > 0) entry.users.set(server, count);
    else entry.users.delete(server);
    return { serverGone: count <= 0, portIdle: entry.users.size === 0 };
  }
}
