/**
 * The MCP sessions of one shared upstream, and what crosses between them and the server's one
 * connection that is not a reply to a request:
 *
 * - `notifications/*\/list_changed` go to every session (they describe the shared server);
 * - `notifications/resources/updated` only to the sessions subscribed to that URI;
 * - `notifications/message` to every session, each filtering by its own `logging/setLevel`;
 * - notifications that cannot be attributed to one session (task status, …) are dropped, never
 *   broadcast, so no client sees another's;
 * - the server's requests (sampling, elicitation, roots) go to the one session that is waiting on
 *   the server and declared the capability. When several are, the request cannot be attributed
 *   on a shared connection and is refused with an error that says so (`per-session` sharing
 *   routes every such request exactly). A 2026-07-28 request that is the only one waiting gets
 *   the server's request even when it did not declare the capability: it answers for itself
 *   (`modern-exchange.ts`), with -32021 when that was all the server asked.
 *
 * Resource subscriptions are counted: the server sees one `resources/subscribe` per URI however
 * many sessions (or 2026-07-28 `subscriptions/listen` streams) subscribe, one `unsubscribe` when
 * the last leaves, and the subscriptions again after a reconnect.
 *
 * A 2026-07-28 request is served by a session of its own that lives as long as the request
 * (`modern-exchange.ts`), so it is routed by the same rules.
 *
 * @module
 */
import { ProtocolError, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/server';
import type { Logger } from '../log/logger.js';
import type { ServerRequest, Upstream } from '../upstream/upstream.js';
import { CLIENT_CAPABILITY_OF, JsonRpcErrorCode, type JsonRpcNotification } from './json-rpc.js';
import { SharedSession, type SharedHubAccess } from './shared-session.js';

/** Who may hold a resource subscription: a session, or a listen stream (whose updates reach it another way). */
export interface Subscriber {
  deliver(notification: JSONRPCMessage & JsonRpcNotification): void;
}

export interface SharedHubOptions {
  logger: Logger;
  connectTimeoutMs: number;
}

export class SharedUpstreamHub implements SharedHubAccess {
  readonly logger: Logger;
  readonly connectTimeoutMs: number;
  private readonly sessions = new Set<SharedSession>();
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  /** Some session set a log level: the server is asked for every level on each connection. */
  private loggingWanted = false;
  /** The connection on which the server was asked for every log level, if any. */
  private loggingEnabledFor: unknown;

  constructor(
    readonly upstream: Upstream,
    options: SharedHubOptions,
  ) {
    this.logger = options.logger.child({ server: upstream.name });
    this.connectTimeoutMs = options.connectTimeoutMs;
    upstream.onServerNotification((notification) => this.route(notification as JSONRPCMessage & JsonRpcNotification));
    upstream.handleServerRequests((request) => this.relayServerRequest(request));
    let wasConnected = false;
    upstream.onStateChange((status) => {
      const connected = status.state === 'ready' || status.state === 'degraded';
      if (connected && !wasConnected) this.restoreAfterReconnect();
      wasConnected = connected;
    });
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Starts a session on `transport` (messages flow from now on). */
  attach(transport: Transport): SharedSession {
    const session = new SharedSession(this, transport);
    this.sessions.add(session);
    return session;
  }

  detach(session: SharedSession): void {
    this.sessions.delete(session);
    for (const uri of [...this.subscribers.keys()]) {
      if (this.subscribers.get(uri)?.has(session)) void this.unsubscribe(session, uri).catch(() => undefined);
    }
  }

  async subscribe(session: Subscriber, uri: string): Promise<Record<string, unknown>> {
    const current = this.subscribers.get(uri);
    if (current) {
      current.add(session);
      return {};
    }
    const result = await this.upstream.forward('resources/subscribe', { uri });
    // Another session may have subscribed while the server answered: join it.
    const set = this.subscribers.get(uri) ?? new Set<Subscriber>();
    set.add(session);
    this.subscribers.set(uri, set);
    return result;
  }

  async unsubscribe(session: Subscriber, uri: string): Promise<Record<string, unknown>> {
    const set = this.subscribers.get(uri);
    if (!set?.delete(session)) return {};
    if (set.size > 0) return {};
    this.subscribers.delete(uri);
    return this.upstream.forward('resources/unsubscribe', { uri });
  }

  /** Subscribes `subscriber` to `uri` and resolves with the way to let go (for holders that live as long as a stream). */
  async holdSubscription(subscriber: Subscriber, uri: string): Promise<() => void> {
    await this.subscribe(subscriber, uri);
    return () => void this.unsubscribe(subscriber, uri).catch(() => undefined);
  }

  enableServerLogging(): void {
    this.loggingWanted = true;
    const connection = this.upstream.client;
    if (!connection || this.loggingEnabledFor === connection) return;
    if (!this.upstream.serverDescription?.capabilities.logging) return;
    this.loggingEnabledFor = connection;
    this.upstream.forward('logging/setLevel', { level: 'debug' }).catch((error: unknown) => {
      this.logger.debug({ err: error }, 'the server refused logging/setLevel');
    });
  }

  private route(notification: JSONRPCMessage & JsonRpcNotification): void {
    const { method } = notification;
    if (method === 'notifications/progress') return; // Re-tagged per request by the session that asked.
    if (method === 'notifications/message' || method.endsWith('/list_changed')) {
      for (const session of this.sessions) session.deliver(notification);
      return;
    }
    if (method === 'notifications/resources/updated') {
      const uri = notification.params?.uri;
      for (const session of (typeof uri === 'string' && this.subscribers.get(uri)) || []) session.deliver(notification);
      return;
    }
    this.logger.debug({ method }, 'a server notification that belongs to no single session was not forwarded');
  }

  private relayServerRequest(request: ServerRequest): Promise<Record<string, unknown>> {
    const capability = CLIENT_CAPABILITY_OF[request.method];
    if (!capability) throw new ProtocolError(JsonRpcErrorCode.MethodNotFound, `Method not found: ${request.method}`);
    const waiting = [...this.sessions].filter((session) => session.hasCallsInFlight);
    const able = waiting.filter((session) => session.clientCapabilities[capability] !== undefined);
    if (able.length === 1) return able[0]!.requestFromClient(request.method, request.params);
    if (able.length === 0 && waiting.length === 1 && waiting[0]!.answersUndeclaredRequests) {
      return waiting[0]!.requestFromClient(request.method, request.params);
    }
    const reason =
      able.length > 1
        ? `${able.length} MCP clients are waiting on this shared server, so mcpgate cannot tell which one ${request.method} is for; ` +
          `configure the server with "sharing": "per-session" to route it exactly`
        : waiting.length > 0
          ? `the MCP client waiting on this server does not support ${capability}`
          : `no MCP client that supports ${capability} is waiting on this server`;
    // Servers ask for roots when they start, with nobody waiting: that refusal is expected.
    const expected = waiting.length === 0 && capability === 'roots';
    this.logger[expected ? 'debug' : 'warn']({ method: request.method }, reason);
    return Promise.reject(new ProtocolError(JsonRpcErrorCode.InternalError, reason));
  }

  /** A new connection knows nothing of the old one's subscriptions and log level. */
  private restoreAfterReconnect(): void {
    this.loggingEnabledFor = undefined;
    if (this.loggingWanted) this.enableServerLogging();
    for (const uri of this.subscribers.keys()) {
      this.upstream.forward('resources/subscribe', { uri }).catch((error: unknown) => {
        this.logger.warn({ err: error, uri }, 'could not renew a resource subscription after reconnecting');
      });
    }
  }
}
