/**
 * The MCP frontends' state: the hub of each shared upstream, the session table, and the rule
 * that decides how a new session reaches its server (`sharing`, `maxSessions`). The endpoints
 * (`/mcp`, `/sse`) only speak HTTP and ask this for sessions.
 *
 * Hubs are created with the bridge, before the upstreams start, because a shared upstream
 * declares in its handshake that it can relay sampling and elicitation.
 *
 * @module
 */
import type { Transport } from '@modelcontextprotocol/server';
import type { McpConfig, UpstreamConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ChildProcessRegistry } from '../upstream/child-registry.js';
import type { Upstream } from '../upstream/upstream.js';
import { AggregateSession } from './aggregate-session.js';
import type { BridgeSession } from './bridge-session.js';
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
  upstreams: ReadonlyMap<string, Upstream>;
  settings: McpConfig;
  logger: Logger;
  children?: ChildProcessRegistry;
  initializeWaitMs?: number;
}

export class Bridge {
  readonly sessions: SessionTable;
  private readonly hubs = new Map<string, SharedUpstreamHub>();

  constructor(private readonly options: BridgeOptions) {
    this.sessions = new SessionTable(options.settings.sessionIdleTimeoutMs, options.logger);
    for (const upstream of options.upstreams.values()) {
      if (sharingOf(upstream.config) === 'shared') {
        this.hubs.set(
          upstream.name,
          new SharedUpstreamHub(upstream, { logger: options.logger, connectTimeoutMs: options.initializeWaitMs ?? DEFAULT_INITIALIZE_WAIT_MS }),
        );
      }
    }
  }

  hasServer(server: string): boolean {
    return server === AGGREGATE_SERVER || this.options.upstreams.has(server);
  }

  /**
   * Starts a session of `server` on `transport`; `onEnded` runs when it ends from either side.
   * Throws `UPSTREAM_UNAVAILABLE` (503) when a per-session server is at its `maxSessions`.
   */
  open(server: string, transport: Transport, onEnded: () => void): BridgeSession {
    if (server === AGGREGATE_SERVER) {
      const session = new AggregateSession({ upstreams: () => this.options.upstreams.values(), transport, logger: this.options.logger });
      endWithTransport(transport, session, onEnded);
      return session;
    }
    const upstream = this.options.upstreams.get(server);
    if (!upstream) throw new GatewayError('UNKNOWN_UPSTREAM', `no server named "${server}"`);
    const hub = this.hubs.get(server);
    if (hub) {
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
    return new PipedSession({ upstream: upstream.config, downstream: transport, logger: this.options.logger, children: this.options.children, onEnded });
  }

  async close(): Promise<void> {
    await this.sessions.closeAll();
  }
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
