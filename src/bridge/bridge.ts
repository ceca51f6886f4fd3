/**
 * The MCP frontends' state: the hub of each shared upstream, the session table, and the rule
 * that decides how a new session reaches its server (`sharing`, `maxSessions`). The endpoints
 * (`/mcp`, `/sse`) only speak HTTP and ask this for sessions.
 *
 * Hubs are created with the bridge (or by {@link Bridge.prepare} for a server a reload adds),
 * before the upstreams start, because a shared upstream declares in its handshake that it can
 * relay sampling and elicitation. Every server has one: legacy sessions of a `per-session` server
 * get connections of their own, but its 2026-07-28 (and `--stateless`) requests, which have no
 * session, use the shared connection.
 *
 * @module
 */
import type { Transport } from '@modelcontextprotocol/server';
import type { McpConfig, UpstreamConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { HookRunner } from '../hooks/hook-runner.js';
import type { Frontend } from '../hooks/types.js';
import type { Logger } from '../log/logger.js';
import type { ChildProcessRegistry } from '../upstream/child-registry.js';
import type { Upstream } from '../upstream/upstream.js';
import type { UpstreamSet } from '../upstream/upstream-set.js';
import { AggregateSession, aggregatedToolTarget } from './aggregate-session.js';
import { withHooks } from './hooked-transport.js';
import type { BridgeSession } from './bridge-session.js';
import type { ExchangeClient } from './modern-exchange.js';
import { PerRequestEndpoint } from './per-request-endpoint.js';
import { aggregateTarget, serverTarget } from './per-request-targets.js';
import { PipedSession } from './piped-session.js';
import { SessionTable } from './session-table.js';
import { SharedUpstreamHub } from './shared-hub.js';

/** The name the aggregated endpoint's sessions go by (not a valid server name, so never a clash). */
export const AGGREGATE_SERVER = '*';

/** Children per server when `maxSessions` is not set: each is a whole server process. */
export const DEFAULT_MAX_SESSIONS = 32;

/** How long `initialize` on a shared upstream waits for a server that is still starting. */
const DEFAULT_INITIALIZE_WAIT_MS = 30_000;

export interface BridgeOptions {
  upstreams: UpstreamSet;
  settings: McpConfig;
  logger: Logger;
  children?: ChildProcessRegistry;
  initializeWaitMs?: number;
  /** How long a 2026-07-28 call waits for the client's input between rounds (tests shorten it). */
  parkTimeoutMs?: number;
  /** Keep-alive interval of the legacy sessions' streams (`/mcp`, `/sse`); default 15 s. */
  keepAliveMs?: number;
  hooks: HookRunner;
  /** Most sessions open at once over every server (`--max-total-sessions`); 0 or left out: no limit. */
  maxSessions?: number;
}

/** Where a session's client is: the frontend it came through, and its address when known. */
export interface SessionOrigin {
  frontend: Frontend;
  address?: string;
}

export class Bridge {
  readonly sessions: SessionTable;
  /** By upstream, not by name: while a reload replaces a server, the old and the new one each have theirs. */
  private readonly hubs = new Map<Upstream, SharedUpstreamHub>();
  private readonly perRequest = new Map<string, { endpoint: PerRequestEndpoint; upstream: Upstream | undefined }>();

  constructor(private readonly options: BridgeOptions) {
    this.sessions = new SessionTable(options.settings.sessionIdleTimeoutMs, options.logger);
    for (const upstream of options.upstreams.values()) this.prepare(upstream);
  }

  /** Readies the bridge for `upstream` before it starts (see the module comment). */
  prepare(upstream: Upstream): void {
    if (this.hubs.has(upstream)) return;
    this.hubs.set(
      upstream,
      new SharedUpstreamHub(upstream, { logger: this.options.logger, connectTimeoutMs: this.options.initializeWaitMs ?? DEFAULT_INITIALIZE_WAIT_MS }),
    );
  }

  /**
   * Lets go of `upstream` after a reload took it out of the set (removed, or replaced by a
   * changed config). What was opened on it is let finish: its sessions and 2026-07-28 requests
   * keep being served until nothing is in flight on them or on the upstream, for at most
   * `drainMs`. Then the upstream is stopped (calls still running fail with `reason`) and its
   * sessions are closed, so their clients start new ones (on the new server, if there is one).
   */
  async retire(upstream: Upstream, drainMs: number, reason: string): Promise<void> {
    const server = upstream.name;
    const endpoint = this.perRequest.get(server);
    const ownEndpoint = endpoint?.upstream === upstream ? endpoint.endpoint : undefined;
    if (ownEndpoint) this.perRequest.delete(server);
    // The set no longer has this upstream, so every session of its name open now is on it.
    const sessions = this.sessions.retire(server);
    const drained = () => upstream.inFlight === 0 && sessions.every((entry) => entry.session.inFlight === 0);
    await waitUntil(drained, drainMs);
    await upstream.close(reason);
    for (const entry of sessions) {
      this.sessions.remove(entry.id);
      await entry.session.close(reason).catch(() => undefined);
    }
    await ownEndpoint?.close();
    this.hubs.delete(upstream);
  }

  /** Keep-alive interval of the legacy sessions' streams, when not the default. */
  get keepAliveMs(): number | undefined {
    return this.options.keepAliveMs;
  }

  /** Whether requests without sessions are served for 2025-era clients too (`--stateless`). */
  get stateless(): boolean {
    return this.options.settings.stateless === true;
  }

  hasServer(server: string): boolean {
    return server === AGGREGATE_SERVER || this.options.upstreams.has(server);
  }

  /**
   * Starts a session of `server` on `transport`; `onEnded` runs when it ends from either side.
   * Throws `UPSTREAM_UNAVAILABLE` (503) when a per-session server is at its `maxSessions`.
   */
  open(server: string, clientTransport: Transport, onEnded: () => void, origin: SessionOrigin): BridgeSession {
    this.makeRoomForSession();
    const transport = this.hooked(server, clientTransport, origin);
    if (server === AGGREGATE_SERVER) {
      const session = new AggregateSession({ upstreams: this.options.upstreams, transport, logger: this.options.logger });
      endWithTransport(transport, session, onEnded);
      return session;
    }
    const upstream = this.options.upstreams.get(server);
    if (!upstream) throw new GatewayError('UNKNOWN_UPSTREAM', `no server named "${server}"`);
    const hub = this.hubs.get(upstream);
    if (hub && sharingOf(upstream.config) === 'shared') {
      const session = hub.attach(transport);
      endWithTransport(transport, session, onEnded);
      return session;
    }
    const limit = upstream.config.maxSessions ?? DEFAULT_MAX_SESSIONS;
    if (this.sessions.countFor(server) >= limit) {
      throw new GatewayError(
        'UPSTREAM_UNAVAILABLE',
        `server "${server}" already has ${limit} sessions, each with its own connection (maxSessions); close one or raise "maxSessions"`,
        { retryAfterSeconds: 5 },
      );
    }
    return new PipedSession({
      upstream: upstream.config,
      allowsTool: (tool) => upstream.allowsTool(tool),
      downstream: transport,
      logger: this.options.logger,
      children: this.options.children,
      auth: upstream.httpAuth,
      onEnded,
    });
  }

  /**
   * At `maxSessions`, the session idle longest is closed for the new one; when every session is
   * busy, the new one is refused (503) rather than any work in flight being cut.
   */
  private makeRoomForSession(): void {
    const max = this.options.maxSessions ?? 0;
    if (max <= 0 || this.sessions.size < max) return;
    if (this.sessions.closeIdlest()) return;
    throw new GatewayError(
      'TOO_MANY_SESSIONS',
      `the gateway already has ${max} MCP sessions open, all busy (--max-total-sessions); retry when one has ended`,
      { retryAfterSeconds: 5 },
    );
  }

  /**
   * Waits until nothing is in flight (no call on any upstream in the set, no request in any
   * session), for at most `timeoutMs`; resolves false when something still was.
   */
  drain(timeoutMs: number): Promise<boolean> {
    return waitUntil(() => {
      for (const upstream of this.options.upstreams.values()) if (upstream.inFlight > 0) return false;
      return this.sessions.idle;
    }, timeoutMs);
  }

  /** The client's transport with the hooks on it (see `hooked-transport.ts`). */
  private hooked(server: string, transport: Transport, origin: SessionOrigin): Transport {
    return withHooks(transport, {
      runner: this.options.hooks,
      server,
      ...origin,
      resolveTool:
        server === AGGREGATE_SERVER ? (name) => aggregatedToolTarget(this.options.upstreams.values(), name) : (name) => ({ server, tool: name }),
    });
  }

  /** The endpoint that serves `server`'s requests that come without a session (2026-07-28, or all with `--stateless`). */
  perRequestEndpoint(server: string, maxBodyBytes: number): PerRequestEndpoint {
    let endpoint = this.perRequest.get(server)?.endpoint;
    if (!endpoint) {
      const upstream = server === AGGREGATE_SERVER ? undefined : this.options.upstreams.get(server);
      if (server !== AGGREGATE_SERVER && upstream === undefined) throw new GatewayError('UNKNOWN_UPSTREAM', `no server named "${server}"`);
      const served =
        upstream === undefined
          ? aggregateTarget(this.options.upstreams, (member) => this.hubs.get(member), this.options.logger)
          : serverTarget(this.hubs.get(upstream)!);
      // A request has no session of its own; its exchange's transport gets the hooks instead.
      const target = { ...served, open: (transport: Transport, client: ExchangeClient) => served.open(this.hooked(server, transport, { frontend: 'streamable-http' }), client) };
      endpoint = new PerRequestEndpoint(target, {
        logger: this.options.logger,
        legacy: this.stateless ? 'stateless' : 'reject',
        maxBodyBytes,
        ...(this.options.parkTimeoutMs === undefined ? {} : { parkTimeoutMs: this.options.parkTimeoutMs }),
      });
      this.perRequest.set(server, { endpoint, upstream });
    }
    return endpoint;
  }

  /** Ends every session and endpoint; with a `reason`, requests still waiting fail with it. */
  async close(reason?: string): Promise<void> {
    await Promise.all([...this.perRequest.values()].map(({ endpoint }) => endpoint.close()));
    await this.sessions.closeAll(reason);
  }
}

/** Resolves true once `done()` holds (checked every 50 ms), or false after `timeoutMs`. */
async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(50, Math.max(1, deadline - Date.now()))));
  }
  return true;
}

/** A session that does not watch its transport itself ends when the transport closes. */
function endWithTransport(transport: Transport, session: BridgeSession, onEnded: () => void): void {
  const previous = transport.onclose;
  transport.onclose = () => {
    previous?.();
    void session.close();
    onEnded();
  };
}

export function sharingOf(config: UpstreamConfig): 'shared' | 'per-session' {
  return config.sharing ?? 'shared';
}
