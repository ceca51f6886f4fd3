/**
 * One supervised connection to one configured MCP server.
 *
 * An `Upstream` connects, lists its catalog, keeps the catalog fresh on `list_changed`, and when
 * the connection fails or the child dies it is marked `down` and reconnected with capped
 * exponential backoff. Calls in flight when the connection dies fail at once (the SDK rejects
 * every pending request when the transport closes, and the stdio transport reports the child's
 * exit immediately). Nothing here throws out of the supervision loop: a failing upstream never
 * takes the gateway down.
 *
 * @module
 */
import {
  ProtocolError,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  UnauthorizedError,
  type CallToolResult,
  type Client,
  type GetPromptResult,
  type JSONRPCNotification,
  type ReadResourceResult,
  type StandardSchemaV1,
} from '@modelcontextprotocol/client';
import { copyWith } from '../copy-with.js';
import { configSecrets } from '../config/config-secrets.js';
import type { UpstreamConfig } from '../config/types.js';
import { GatewayError, describeError, upstreamJsonRpcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { SecretValues } from '../log/mask-secrets.js';
import { toolPolicy } from '../hooks/tool-policy.js';
import { asAbortSignal, type CancelSignal } from './call-cancellation.js';
import { emptyCatalog, listCatalog, listTemplates, type Catalog } from './catalog.js';
import type { ChildProcessRegistry } from './child-registry.js';
import { connectUpstream, connectWith, httpTransport, MODERN_PROTOCOL_VERSION, type ConnectOptions, type HttpAuthOptions, type UpstreamConnection } from './connect.js';
import { classifyHttpFailure, describeHttpFailure } from './http-failures.js';
import type { LeanRequestOptions } from './lean-requests.js';
import { ModernLane } from './modern-lane.js';
import { createOAuthEnvironment, UpstreamAuthorization, type OAuthEnvironment, type PendingAuthorization } from './oauth/upstream-authorization.js';
import { ChildProcessTransport } from './stdio-transport.js';

/**
 * - `starting`: connecting (first time or after a failure).
 * - `ready`: connected and catalog listed.
 * - `degraded`: connected, but listing the catalog failed; calls are still attempted.
 * - `down`: not connected; waiting to retry.
 * - `auth_required`: an OAuth server waits for its user to authorize (`authorizationUrl` says where).
 */
export const UPSTREAM_STATES = ['starting', 'ready', 'degraded', 'down', 'auth_required'] as const;
export type UpstreamState = (typeof UPSTREAM_STATES)[number];

/** What `/readyz` reports for one upstream. */
export interface UpstreamStatus {
  name: string;
  transport: string;
  state: UpstreamState;
  /** When the upstream entered its current state (ISO 8601). */
  since: string;
  restarts: number;
  lastError: string | null;
  tools: number;
  resources: number;
  resourceTemplates: number;
  prompts: number;
  pid: number | null;
  protocolVersion: string | null;
  server: { name: string; version: string } | null;
  /** In state `auth_required`: where the user authorizes the gateway. */
  authorizationUrl: string | null;
}

export interface UpstreamOptions {
  logger: Logger;
  /** How mcpgate introduces itself to upstream servers. */
  clientInfo: { name: string; version: string };
  /** Reconnect delays: `initialMs`, doubling per consecutive failure, capped at `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
  /** Bound on one connection attempt (spawn + handshake + listing). */
  connectTimeoutMs?: number;
  /** A connection that stayed up this long resets the backoff. */
  stableAfterMs?: number;
  /** Registers stdio children so the gateway can kill them all on a forced stop. */
  children?: ChildProcessRegistry;
  /**
   * Whether callers may see and call a tool (the hooks' `allowTool`); when left out, the
   * server's own `disabledTools` / `enabledTools`.
   */
  allowTool?: (server: string, tool: string) => boolean;
  /** What OAuth upstreams of the gateway share (callback ports, memory tokens); default one of its own. */
  oauth?: OAuthEnvironment;
}

/** A log message from the server (the params of `notifications/message`). */
export interface UpstreamLogMessage {
  level: string;
  logger?: string;
  data?: unknown;
}

/** Per-call options every frontend can pass. */
export interface CallOptions {
  /** Aborting cancels the upstream request (the caller went away); see `call-cancellation.ts`. */
  signal?: CancelSignal;
  /** Receives the upstream's progress notifications for this call. */
  onprogress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

/**
 * What a 2026-07-28 request carries besides its method and params, which the SDK's server takes
 * off before a handler sees the request, to be put back when it is passed on in that era.
 */
export interface ModernRequestParts {
  /** The `_meta` envelope: protocol version, client info and capabilities, log level. */
  envelope: Record<string, unknown>;
  /** A retry's `inputResponses` and `requestState`. */
  retry: { inputResponses?: Record<string, unknown>; requestState?: string };
  /** Its `Mcp-Param-*` headers (tool arguments the tool asks to see as headers). */
  headers: Record<string, string>;
}

/** How a request is forwarded. */
export interface ForwardOptions extends CallOptions {
  /**
   * A 2026-07-28 client's request: sent in that era, whole again, when the server speaks it, and
   * its `input_required` results passed back unchanged.
   */
  modern?: ModernRequestParts;
}

/** A request the server sends to its client (sampling, elicitation), as a frontend receives it. */
export interface ServerRequest {
  method: string;
  params?: Record<string, unknown>;
}

/** Answers the server's own requests; throws a `ProtocolError` to answer with a JSON-RPC error. */
export type ServerRequestHandler = (request: ServerRequest) => Promise<Record<string, unknown>>;

/**
 * What mcpgate declares to a server when a frontend can answer its requests: sampling,
 * elicitation (both modes) and roots. Each request is answered by the one client waiting on the
 * server (see `src/bridge/shared-hub.ts`); one that no client can be said to have caused is
 * refused, so a server that asks for roots at start-up (server-filesystem replaces its allowed
 * directories with them) keeps its own. A server that keeps the roots one call was given uses
 * them for every client; such a server wants `per-session`. Roots are declared without
 * `listChanged`: a client's roots changing concerns that client only.
 */
const SERVER_REQUEST_CAPABILITIES = { sampling: {}, elicitation: { form: {}, url: {} }, roots: {} };

/** Results passed on as the server sent them: the frontend that forwards them checks what it needs. */
const anyResult: StandardSchemaV1<unknown, Record<string, unknown>> = {
  '~standard': {
    version: 1,
    vendor: 'mcpgate',
    validate(value) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return { issues: [{ message: 'a result must be an object' }] };
      return { value: value as Record<string, unknown> };
    },
  },
};

/** Why a stdio child stopped (exit code, last stderr lines); undefined for HTTP upstreams. */
function exitReasonOf(connection: UpstreamConnection): string | undefined {
  return connection.transport instanceof ChildProcessTransport ? connection.transport.exitReason : undefined;
}

/** What `request` hands the lean path as it is, and the SDK client through `sdkOptions`. */
type RequestOptions = LeanRequestOptions;

function sdkOptions(options: RequestOptions): { timeout: number; signal?: AbortSignal; onprogress?: CallOptions['onprogress'] } {
  const signal = asAbortSignal(options.signal);
  return { timeout: options.timeout, ...(signal ? { signal } : {}), ...(options.onprogress ? { onprogress: options.onprogress } : {}) };
}

/**
 * The result check of a session-era `tools/call`: only the shape the gateway relies on (an
 * object with a `content` list). A gateway passes results on, and leaves the rest, and
 * `structuredContent` against the tool's `outputSchema`, to the caller (the SDK's `callTool`
 * parses the whole result with zod). 2026-07-28 connections keep `callTool`, which also mirrors
 * tool arguments into HTTP headers as that era asks.
 */
function callToolResultOf(result: Record<string, unknown>): CallToolResult {
  if (result.content === undefined && result.structuredContent !== undefined) return copyWith(result, { content: [] }) as CallToolResult;
  if (!Array.isArray(result.content)) throw new SdkError(SdkErrorCode.InvalidResult, 'Invalid result for tools/call: a tools/call result needs a "content" list');
  return result as CallToolResult;
}

/** What an upstream in state `auth_required` waits for (its `lastError`). */
function waitingMessage(authorizationUrl: string): string {
  return `waiting for the user to authorize mcpgate: open ${authorizationUrl}`;
}

const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 };
const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;
const DEFAULT_STABLE_AFTER_MS = 30_000;

export class Upstream {
  readonly name: string;
  readonly config: UpstreamConfig;

  private state: UpstreamState = 'starting';
  private since = Date.now();
  private restarts = 0;
  private lastErrorText: string | undefined;
  /** The credentials of this server's config, kept out of `lastError` (see its setter). */
  private readonly secrets = new SecretValues();
  private connection: UpstreamConnection | undefined;
  /** The 2026-07-28 connection beside a session-era one, for requests of that era (see `modern-lane.ts`). */
  private modernLane: ModernLane | undefined;
  private catalogValue: Catalog = emptyCatalog();
  private nextAttemptAt: number | undefined;
  /** The dropped connection's server is reachable (it only lost the session): skip the backoff. */
  private reconnectAtOnce = false;
  /** Why the current connection was dropped by us (HTTP failures), for `lastError`. */
  private dropReason: string | undefined;
  private supervision: Promise<void> | undefined;
  private readonly lifetime = new AbortController();
  /** Why `close()` was called, when it was given one (calls cut short say it). */
  private stopReason: string | undefined;
  private active = 0;
  private readonly logger: Logger;
  private readonly toolFilter: (server: string, tool: string) => boolean;
  private readonly stateListeners = new Set<(status: UpstreamStatus) => void>();
  private readonly catalogListeners = new Set<(catalog: Catalog) => void>();
  private readonly logListeners = new Set<(message: UpstreamLogMessage) => void>();
  private readonly notificationListeners = new Set<(notification: JSONRPCNotification) => void>();
  private serverRequestHandler: ServerRequestHandler | undefined;
  private settleFirstAttempt!: () => void;
  private readonly firstAttempt = new Promise<void>((resolve) => (this.settleFirstAttempt = resolve));
  /** An OAuth server's tokens and authorizations; undefined without `"oauth"`. */
  private readonly authorization: UpstreamAuthorization | undefined;
  /** The OAuth environment made for this upstream alone (none given), closed with it. */
  private readonly ownOAuthEnvironment: OAuthEnvironment | undefined;

  constructor(
    config: UpstreamConfig,
    private readonly options: UpstreamOptions,
  ) {
    this.name = config.name;
    this.config = config;
    this.logger = options.logger.child({ server: config.name });
    this.secrets.learn(configSecrets({ upstreams: [config] }));
    const ownPolicy = toolPolicy([config]);
    this.toolFilter = options.allowTool ?? ((server, tool) => ownPolicy.allowTool!(server, tool));
    if (config.transport !== 'stdio' && config.oauth !== undefined) {
      if (options.oauth === undefined) this.ownOAuthEnvironment = createOAuthEnvironment();
      this.authorization = new UpstreamAuthorization({
        server: config.name,
        url: config.url,
        config: config.oauth,
        environment: options.oauth ?? this.ownOAuthEnvironment!,
        logger: this.logger,
      });
    }
  }

  /** The credentials an HTTP transport to this server needs (OAuth), for connections of its own (per-session pipes). */
  get httpAuth(): HttpAuthOptions | undefined {
    return this.authorization?.transportOptions();
  }

  /** Why the server is not ready. */
  private get lastError(): string | undefined {
    return this.lastErrorText;
  }

  /**
   * Errors often quote the server's URL, and with it the credentials it holds; `/readyz` (open to
   * anyone) and error answers show this text, so the credentials are masked here, once.
   */
  private set lastError(text: string | undefined) {
    this.lastErrorText = text === undefined ? undefined : this.secrets.mask(text);
  }

  private get connectTimeoutMs(): number {
    return this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /** Starts connecting in the background; never throws. */
  start(): void {
    this.supervision ??= this.supervise();
  }

  /** Resolves once the first connection attempt has ended, whether it succeeded or not. */
  whenSettled(): Promise<void> {
    return this.firstAttempt;
  }

  get currentState(): UpstreamState {
    return this.state;
  }

  /** Whether callers may see and call `tool` (see `UpstreamOptions.allowTool`). */
  allowsTool(tool: string): boolean {
    return this.toolFilter(this.name, tool);
  }

  /** The catalog as last listed, without the tools `allowsTool` refuses. */
  get catalog(): Catalog {
    return this.catalogValue;
  }

  /** The live SDK client while connected (for frontends that pass messages through). */
  get client(): Client | undefined {
    return this.connection?.client;
  }

  status(): UpstreamStatus {
    const client = this.connection?.client;
    const transport = this.connection?.transport;
    const server = client?.getServerVersion();
    return {
      name: this.name,
      transport: this.connection?.kind ?? this.config.transport,
      state: this.state,
      since: new Date(this.since).toISOString(),
      restarts: this.restarts,
      lastError: this.lastError ?? null,
      tools: this.catalogValue.tools.length,
      resources: this.catalogValue.resources.length,
      resourceTemplates: this.catalogValue.resourceTemplates.length,
      prompts: this.catalogValue.prompts.length,
      pid: transport instanceof ChildProcessTransport ? (transport.pid ?? null) : null,
      protocolVersion: client?.getNegotiatedProtocolVersion() ?? null,
      server: server ? { name: server.name, version: server.version } : null,
      authorizationUrl: this.state === 'auth_required' ? (this.authorization?.pending?.authorizationUrl ?? null) : null,
    };
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onStateChange(listener: (status: UpstreamStatus) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Subscribes to catalog changes (a refresh after connecting or after `list_changed`). */
  onCatalogChange(listener: (catalog: Catalog) => void): () => void {
    this.catalogListeners.add(listener);
    return () => this.catalogListeners.delete(listener);
  }

  /**
   * Subscribes to the log messages (`notifications/message`) the server sends; returns the
   * unsubscribe function. The protocol does not tie them to a request, so a listener sees all.
   */
  onLogMessage(listener: (message: UpstreamLogMessage) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /**
   * Subscribes to every notification the server sends (before the SDK client handles it);
   * returns the unsubscribe function.
   */
  onServerNotification(listener: (notification: JSONRPCNotification) => void): () => void {
    this.notificationListeners.add(listener);
    return () => this.notificationListeners.delete(listener);
  }

  /**
   * Answers the server's own requests (sampling, elicitation) with `handler`. Call before
   * `start()`: the capabilities to receive them are declared in the handshake.
   */
  handleServerRequests(handler: ServerRequestHandler): void {
    this.serverRequestHandler = handler;
  }

  /** The server's capabilities, identity and instructions from the current handshake. */
  get serverDescription():
    | { capabilities: Record<string, unknown>; serverInfo: { name: string; version: string }; instructions?: string }
    | undefined {
    const client = this.connection?.client;
    const serverInfo = client?.getServerVersion();
    if (!client || !serverInfo) return undefined;
    const instructions = client.getInstructions();
    return {
      capabilities: (client.getServerCapabilities() ?? {}) as Record<string, unknown>,
      serverInfo,
      ...(instructions === undefined ? {} : { instructions }),
    };
  }

  /**
   * Sends any request as it is (unknown methods and fields included) and resolves with the
   * server's result unchanged. The server's JSON-RPC errors come back as `UPSTREAM_ERROR` with
   * their code and data; progress resets the call timeout.
   */
  forward(method: string, params: Record<string, unknown> | undefined, options: ForwardOptions = {}): Promise<Record<string, unknown>> {
    // Not an async function: a session's request (nearly all of them) goes on without a frame of
    // its own. It still never throws: `request` turns every failure into a rejection.
    return options.modern === undefined ? this.forwardOnConnection(method, params, options) : this.forwardModern(method, params, options, options.modern);
  }

  /** `forward` on the connection, in its era. */
  private forwardOnConnection(method: string, params: Record<string, unknown> | undefined, options: ForwardOptions): Promise<Record<string, unknown>> {
    return this.request(`"${method}"`, options, ({ client, lean }, requestOptions) => {
      if (lean) return lean.request(method, params, requestOptions);
      const request = { method, ...(params === undefined ? {} : { params }) } as never;
      return client.request(request, anyResult, copyWith(sdkOptions(requestOptions), { resetTimeoutOnProgress: true }));
    });
  }

  /** `forward` of a 2026-07-28 client's request: in that era when the server speaks it, else on the connection. */
  private async forwardModern(method: string, params: Record<string, unknown> | undefined, options: ForwardOptions, parts: ModernRequestParts): Promise<Record<string, unknown>> {
    const modern = await this.modernClient();
    if (modern === undefined) return this.forwardOnConnection(method, params, options);
    // The client's own envelope: the SDK adds its own `_meta` keys only where they are missing.
    const meta = copyWith(parts.envelope, (params?._meta ?? {}) as Record<string, unknown>);
    const request = { method, params: copyWith(copyWith(params, parts.retry), { _meta: meta }) } as never;
    return this.request(`"${method}"`, options, (_connection, requestOptions) =>
      modern.request(request, anyResult, copyWith(sdkOptions(requestOptions), { resetTimeoutOnProgress: true, allowInputRequired: true, headers: parts.headers })),
    );
  }

  /**
   * Whether 2026-07-28 requests reach the server in their own era: the connection speaks it, or
   * a lane beside it does (opened here on first use). Before the server is connected it cannot be
   * known, and the answer is yes: the request then fails for the server being down.
   */
  async speaksModern(): Promise<boolean> {
    if (!this.connection) return true;
    return (await this.modernClient()) !== undefined;
  }

  /** The client that speaks 2026-07-28 to the server, if any. */
  private async modernClient(): Promise<Client | undefined> {
    const connection = this.connection;
    if (!connection) return undefined;
    if (connection.client.getProtocolEra() === 'modern') return connection.client;
    return this.modernLane?.get();
  }

  /** Sends a notification to the server; dropped when it is not connected. */
  async notify(method: string, params: Record<string, unknown> | undefined): Promise<void> {
    const client = this.connection?.client;
    if (!client) return;
    await client.notification({ method, ...(params === undefined ? {} : { params }) } as never).catch((error: unknown) => {
      this.logger.debug({ err: error, method }, 'a notification could not be sent');
    });
  }

  async callTool(name: string, args: Record<string, unknown> | undefined, options: CallOptions = {}): Promise<CallToolResult> {
    if (!this.allowsTool(name)) {
      throw new GatewayError('UNKNOWN_TOOL', `tool "${name}" is disabled on server "${this.name}"`);
    }
    const params = { name, arguments: args ?? {} };
    return this.request(`tool "${name}"`, options, async ({ client, lean }, requestOptions) => {
      // Session-era connections (every stdio server) take the lean path; see `lean-requests.ts`.
      if (!lean) return client.callTool(params, sdkOptions(requestOptions)) as Promise<CallToolResult>;
      return callToolResultOf(await lean.request('tools/call', params, requestOptions));
    });
  }

  async readResource(uri: string, options: CallOptions = {}): Promise<ReadResourceResult> {
    return this.request(`resource "${uri}"`, options, ({ client }, requestOptions) =>
      client.readResource({ uri }, sdkOptions(requestOptions)),
    );
  }

  async getPrompt(name: string, args: Record<string, string> | undefined, options: CallOptions = {}): Promise<GetPromptResult> {
    return this.request(`prompt "${name}"`, options, ({ client }, requestOptions) =>
      client.getPrompt({ name, arguments: args ?? {} }, sdkOptions(requestOptions)),
    );
  }

  /** Requests to the server being served now (calls, reads, forwarded requests). */
  get inFlight(): number {
    return this.active;
  }

  /**
   * Stops supervising and closes the connection (for stdio: the child and its process group).
   * Calls still running fail; with a `reason` (e.g. a config reload removed the server) their
   * error gives it, and so does `lastError`.
   */
  async close(reason?: string): Promise<void> {
    this.stopReason ??= reason;
    this.lifetime.abort();
    const connection = this.connection;
    this.modernLane?.close();
    await connection?.client.close().catch((error) => this.logger.debug({ err: error }, 'error while closing'));
    await this.authorization?.close();
    await this.supervision;
    await this.ownOAuthEnvironment?.callbackServers.closeAll();
    this.lastError = this.stopReason ?? 'stopped';
    this.setState('down');
    this.settleFirstAttempt();
  }

  private async supervise(): Promise<void> {
    const backoff = this.options.backoff ?? DEFAULT_BACKOFF;
    const stableAfterMs = this.options.stableAfterMs ?? DEFAULT_STABLE_AFTER_MS;
    let failures = 0;
    while (!this.lifetime.signal.aborted) {
      this.setState('starting');
      const connectedAt = Date.now();
      const closed = await this.runOneConnection();
      if (this.lifetime.signal.aborted) break;
      if (closed) this.restarts += 1;
      // A server that answered "unknown session" is up (it restarted): reconnect without waiting,
      // since a caller's request is held until the new session is there.
      let atOnce = closed && this.reconnectAtOnce;
      this.reconnectAtOnce = false;
      if (this.authorization?.pending !== undefined) {
        // An OAuth server waits for its user: no retry until the user has been (or failed).
        if (await this.awaitAuthorization()) {
          failures = 0;
          continue;
        }
        if (this.lifetime.signal.aborted) break;
        atOnce = false;
        failures += 1;
      } else {
        failures = atOnce ? 0 : closed && Date.now() - connectedAt >= stableAfterMs ? 1 : failures + 1;
      }
      this.catalogValue = emptyCatalog();
      this.emitCatalog();
      this.setState('down');
      const delay = atOnce ? 0 : Math.min(backoff.maxMs, backoff.initialMs * 2 ** (failures - 1));
      this.logger.warn({ retryInMs: delay, reason: this.lastError }, `server is down; retrying in ${delay} ms`);
      this.settleFirstAttempt();
      await this.sleep(delay);
    }
  }

  /**
   * State `auth_required` until the user has authorized (true: connect again at once) or the
   * authorization failed (false: `lastError` says why, and the usual backoff follows).
   */
  private async awaitAuthorization(): Promise<boolean> {
    const pending = this.authorization!.pending!;
    this.catalogValue = emptyCatalog();
    this.emitCatalog();
    this.lastError = waitingMessage(pending.authorizationUrl);
    this.setState('auth_required');
    this.settleFirstAttempt();
    try {
      // `close()` stops this wait (it closes the authorization), so no signal is needed here.
      await this.authorization!.waitForUser();
      this.lastError = undefined;
      return true;
    } catch (error) {
      if (this.lifetime.signal.aborted) return false;
      this.lastError = `the authorization failed: ${describeError(error)}`;
      this.logger.warn({ reason: this.lastError }, 'the authorization failed; asking again at the next attempt');
      return false;
    }
  }

  /** How every connection to the server is made; `clientOptions` are the main connection's. */
  private connectOptions(clientOptions: ConnectOptions['clientOptions']): ConnectOptions {
    return {
      logger: this.logger,
      clientInfo: this.options.clientInfo,
      clientOptions,
      connectTimeoutMs: this.connectTimeoutMs,
      children: this.options.children,
      signal: this.lifetime.signal,
      ...(this.authorization === undefined ? {} : { auth: this.authorization.transportOptions() }),
    };
  }

  /**
   * The 2026-07-28 lane beside a session-era streamable HTTP connection, unless the config pins
   * the session era. The lane declares nothing: each request carries its client's envelope. Its
   * log messages reach the same listeners as the main connection's.
   */
  private laneBeside(connection: UpstreamConnection): ModernLane | undefined {
    const { config } = this;
    if (connection.kind !== 'streamable-http' || config.transport === 'stdio' || config.protocol === '2025-11-25') return undefined;
    if (connection.client.getProtocolEra() === 'modern') return undefined;
    return new ModernLane(async () => {
      const transport = httpTransport(config, 'streamable-http', this.authorization?.transportOptions());
      const { client } = await connectWith(transport, 'streamable-http', this.connectOptions({}), { pin: MODERN_PROTOCOL_VERSION });
      client.setNotificationHandler('notifications/message', (notification) => {
        for (const listener of this.logListeners) listener(notification.params);
      });
      return client;
    }, this.logger);
  }

  /**
   * Connects, lists, then waits until the connection closes. Returns true when a working
   * connection closed, false when connecting failed.
   */
  private async runOneConnection(): Promise<boolean> {
    let connection: UpstreamConnection;
    try {
      connection = await connectUpstream(
        this.config,
        this.connectOptions({
          listChanged: this.listChangedHandlers(),
          ...(this.serverRequestHandler ? { capabilities: SERVER_REQUEST_CAPABILITIES } : {}),
        }),
      );
    } catch (error) {
      // An HTTP server's URL says which one (its credentials are masked by the setter).
      const target = this.config.transport === 'stdio' ? '' : ` to ${this.config.url}`;
      this.lastError = `cannot connect${target}: ${this.describeConnectError(error)}`;
      return false;
    }
    if (this.lifetime.signal.aborted) {
      // close() was called while the handshake was finishing: do not keep what it produced.
      await connection.client.close().catch(() => undefined);
      return false;
    }
    const closed = new Promise<void>((resolve) => {
      const previous = connection.client.onclose;
      connection.client.onclose = () => {
        previous?.();
        resolve();
      };
    });
    connection.client.onerror = (error) => {
      this.logger.debug({ err: error }, 'transport error');
      if (error instanceof UnauthorizedError) {
        this.dropConnection(connection, 'the server asks for authorization again', true);
      } else if (connection.kind !== 'stdio' && classifyHttpFailure(error) === 'stream-lost') {
        this.dropConnection(connection, `the event stream broke: ${describeHttpFailure(error)}`);
      }
    };
    connection.client.setNotificationHandler('notifications/message', (notification) => {
      for (const listener of this.logListeners) listener(notification.params);
    });
    const handler = this.serverRequestHandler;
    if (handler) {
      connection.client.fallbackRequestHandler = (request) => handler(request as ServerRequest) as never;
      // A 2026-07-28 server asks with input_required results instead of requests; the SDK client
      // fulfils those only through handlers registered for the method, not the fallback.
      for (const method of ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const) {
        connection.client.setRequestHandler(method, (request) => handler({ method, params: request.params } as ServerRequest) as never);
      }
    }
    this.tapNotifications(connection);
    this.connection = connection;
    this.modernLane = this.laneBeside(connection);
    this.logger.info(
      { transport: connection.kind, protocolVersion: connection.client.getNegotiatedProtocolVersion() },
      'connected',
    );
    await this.refreshCatalog(connection.client);
    this.settleFirstAttempt();
    await closed;
    this.connection = undefined;
    this.modernLane?.close();
    this.modernLane = undefined;
    const reason = exitReasonOf(connection) ?? this.dropReason;
    this.dropReason = undefined;
    if (!this.lifetime.signal.aborted) this.lastError = `connection closed${reason ? `: ${reason}` : ''}`;
    return true;
  }

  /** Shows every notification from the server to `onServerNotification` listeners, then to the SDK client. */
  private tapNotifications(connection: UpstreamConnection): void {
    const deliver = connection.transport.onmessage;
    connection.transport.onmessage = (message, extra) => {
      if (this.notificationListeners.size > 0 && 'method' in message && !('id' in message)) {
        for (const listener of this.notificationListeners) listener(message as JSONRPCNotification);
      }
      deliver?.(message, extra);
    };
  }

  /**
   * Gives up on a connection that can no longer serve (HTTP session lost, server unreachable,
   * event stream broken): closing it wakes the supervisor, which reconnects with a fresh handshake.
   */
  private dropConnection(connection: UpstreamConnection, reason: string, reconnectAtOnce = false): void {
    if (this.connection !== connection) return;
    this.reconnectAtOnce = reconnectAtOnce;
    this.logger.warn({ reason }, 'the connection is broken; reconnecting');
    this.dropReason = reason;
    this.lastError = reason;
    this.connection = undefined;
    this.setState('down');
    void connection.client.close().catch(() => undefined);
  }

  /** Resolves true once connected (ready or degraded; at once if it is), false after `timeoutMs` or on close. */
  whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.connection && (this.state === 'ready' || this.state === 'degraded')) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (connected: boolean): void => {
        clearTimeout(timer);
        unsubscribe();
        this.lifetime.signal.removeEventListener('abort', onAbort);
        resolve(connected);
      };
      const onAbort = (): void => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      const unsubscribe = this.onStateChange((status) => {
        if (status.state === 'ready' || status.state === 'degraded') finish(true);
      });
      this.lifetime.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async refreshCatalog(client: Client): Promise<void> {
    try {
      this.catalogValue = await listCatalog(client, (tool) => this.allowsTool(tool), this.config.timeoutMs);
      this.emitCatalog();
      this.setState('ready');
    } catch (error) {
      if (this.connection?.client !== client) return;
      this.lastError = `listing the catalog failed: ${describeError(error)}`;
      this.setState('degraded');
    }
  }

  /** Keeps the catalog fresh when the server announces a change (the SDK debounces and re-lists). */
  private listChangedHandlers() {
    const logFailure = (what: string, error: Error): void => {
      this.logger.warn({ err: error }, `refreshing ${what} after list_changed failed`);
    };
    return {
      tools: {
        onChanged: (error: Error | null, tools: Catalog['tools'] | null) => {
          if (error) return logFailure('tools', error);
          if (tools) this.updateCatalog({ tools: tools.filter((tool) => this.allowsTool(tool.name)) });
        },
      },
      prompts: {
        onChanged: (error: Error | null, prompts: Catalog['prompts'] | null) => {
          if (error) return logFailure('prompts', error);
          if (prompts) this.updateCatalog({ prompts });
        },
      },
      resources: {
        onChanged: (error: Error | null, resources: Catalog['resources'] | null) => {
          if (error) return logFailure('resources', error);
          const client = this.connection?.client;
          if (!resources || !client) return;
          listTemplates(client, this.config.timeoutMs).then(
            (resourceTemplates) => this.updateCatalog({ resources, resourceTemplates }),
            (templatesError: Error) => {
              logFailure('resource templates', templatesError);
              this.updateCatalog({ resources });
            },
          );
        },
      },
    };
  }

  private updateCatalog(change: Partial<Catalog>): void {
    this.catalogValue = { ...this.catalogValue, ...change };
    this.logger.info(
      { tools: this.catalogValue.tools.length, prompts: this.catalogValue.prompts.length, resources: this.catalogValue.resources.length },
      'catalog changed',
    );
    this.emitCatalog();
    if (this.state === 'degraded') this.setState('ready');
  }

  /**
   * Sends a request on the current connection, counted in `inFlight`, and turns its failure into
   * the gateway's error. Not an async function: every call and forwarded request passes here,
   * and its frame was the largest allocation of a call; a failure takes `failed`.
   */
  private request<T>(
    what: string,
    options: CallOptions,
    send: (connection: UpstreamConnection, requestOptions: RequestOptions) => Promise<T>,
    retryOnNewSession = true,
  ): Promise<T> {
    const connection = this.connection;
    if (!connection || this.state === 'starting' || this.state === 'down') return Promise.reject(this.unavailableError());
    const requestOptions: RequestOptions = { timeout: this.config.timeoutMs, signal: options.signal, onprogress: options.onprogress };
    this.active += 1;
    let sent: Promise<T>;
    try {
      sent = send(connection, requestOptions);
    } catch (error) {
      sent = Promise.reject(error);
    }
    return sent.then(
      (result) => {
        this.active -= 1;
        return result;
      },
      // Still counted while it waits to be retried on a fresh session.
      (error: unknown) =>
        this.failed(error, what, options, send, retryOnNewSession, connection).finally(() => {
          this.active -= 1;
        }),
    );
  }

  /** What a request that failed on `connection` ends with: the translated error, or one retry on a fresh session. */
  private async failed<T>(
    error: unknown,
    what: string,
    options: CallOptions,
    send: (connection: UpstreamConnection, requestOptions: RequestOptions) => Promise<T>,
    retryOnNewSession: boolean,
    connection: UpstreamConnection,
  ): Promise<T> {
    if (this.awaitedAuthorization() !== undefined || (error instanceof UnauthorizedError && !this.lifetime.signal.aborted)) {
      // The tokens are gone (a refresh token revoked): the supervisor asks the user again. The
      // call may also have been cut short by another request's 401 closing the connection.
      this.dropConnection(connection, 'the server asks for authorization again', true);
      throw this.unavailableError();
    }
    const failure = connection.kind === 'stdio' || this.lifetime.signal.aborted ? undefined : classifyHttpFailure(error);
    if (failure === undefined) throw this.translateError(error, what, connection, options.signal);
    this.dropConnection(connection, describeHttpFailure(error), failure === 'session-lost');
    // The server refused the session before doing any work, so one retry on a fresh session
    // is safe; anything else (unreachable, stream lost mid-call) is reported, not repeated.
    if (failure === 'session-lost' && retryOnNewSession && (await this.whenConnected(this.connectTimeoutMs))) {
      return this.request(what, options, send, false);
    }
    throw this.unavailableError();
  }

  /** Turns what the SDK throws into a GatewayError that says what happened, in the caller's terms. */
  private translateError(
    error: unknown,
    what: string,
    connection: UpstreamConnection,
    signal: CancelSignal | undefined,
  ): GatewayError {
    const server = `server "${this.name}"`;
    if (error instanceof GatewayError) return error;
    if (this.lifetime.signal.aborted && this.stopReason !== undefined && !signal?.aborted) {
      return new GatewayError('UPSTREAM_UNAVAILABLE', `the call to ${what} on ${server} was cut short: ${this.stopReason}`, { cause: error, retryAfterSeconds: 1 });
    }
    if (signal?.aborted) {
      return new GatewayError('CALL_ABORTED', `the call to ${what} on ${server} was cancelled by the caller`, { cause: error });
    }
    if (error instanceof SdkError) {
      if (error.code === SdkErrorCode.RequestTimeout) {
        return new GatewayError(
          'UPSTREAM_TIMEOUT',
          `the call to ${what} on ${server} timed out after ${this.config.timeoutMs / 1000} s; the request was cancelled upstream`,
          { cause: error },
        );
      }
      if (error.code === SdkErrorCode.ConnectionClosed || error.code === SdkErrorCode.NotConnected || error.code === SdkErrorCode.SendFailed) {
        const reason = exitReasonOf(connection);
        return new GatewayError(
          'UPSTREAM_CLOSED',
          `${server} closed the connection during the call to ${what}${reason ? ` (${reason})` : ''}; it is being restarted`,
          { cause: error, retryAfterSeconds: 1 },
        );
      }
    }
    if (error instanceof ProtocolError) {
      return upstreamJsonRpcError(error, error);
    }
    return new GatewayError('UPSTREAM_ERROR', `the call to ${what} on ${server} failed: ${describeError(error)}`, { cause: error });
  }

  /** Why the upstream cannot serve right now, with when to retry (for 503 answers). */
  unavailableError(): GatewayError {
    const retryAfterSeconds = this.nextAttemptAt ? Math.max(1, Math.ceil((this.nextAttemptAt - Date.now()) / 1000)) : 1;
    // Waiting for the user says so, also in the moment between a 401 and state `auth_required`.
    const pending = this.awaitedAuthorization();
    const reason = pending !== undefined ? `: ${waitingMessage(pending.authorizationUrl)}` : this.lastError ? `: ${this.lastError}` : '';
    const state = pending !== undefined ? 'not authorized yet' : this.state;
    return new GatewayError('UPSTREAM_UNAVAILABLE', `server "${this.name}" is ${state}${reason}`, { retryAfterSeconds });
  }

  /** The authorization this upstream waits for its user to complete, unless it is stopping. */
  private awaitedAuthorization(): PendingAuthorization | undefined {
    return this.lifetime.signal.aborted ? undefined : this.authorization?.pending;
  }

  /** A failed connection attempt in words; an OAuth server refusing the very token it was given is said plainly. */
  private describeConnectError(error: unknown): string {
    if (this.authorization !== undefined && error instanceof SdkHttpError && error.status === 401) {
      return 'the server refused the access token obtained for it, even after authorizing again (is the authorization server issuing tokens for another resource?)';
    }
    return this.config.transport === 'stdio' ? describeError(error) : describeHttpFailure(error);
  }

  private setState(state: UpstreamState): void {
    if (state === this.state && state !== 'starting') return;
    this.state = state;
    this.since = Date.now();
    if (state !== 'down') this.nextAttemptAt = undefined;
    const status = this.status();
    for (const listener of this.stateListeners) listener(status);
  }

  private emitCatalog(): void {
    for (const listener of this.catalogListeners) listener(this.catalogValue);
  }

  /** Waits before the next attempt; `close()` cuts the wait short. */
  private sleep(ms: number): Promise<void> {
    this.nextAttemptAt = Date.now() + ms;
    const signal = this.lifetime.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
