/**
 * The per-request side of one MCP endpoint: 2026-07-28 clients (every request stands alone and
 * carries its protocol version, capabilities and log level in `_meta`), and, with `--stateless`,
 * 2025-era clients without sessions. The SDK's `createMcpHandler` does the wire work of that era:
 * `server/discover`, the `_meta` envelope and `Mcp-Method`/`Mcp-Name` header checks,
 * unsupported-version errors, `resultType`, cache hints, `subscriptions/listen` streams, and
 * JSON or SSE answers. For each request it asks for a server instance; ours answers every request
 * through {@link ModernExchanges}, that is through the same session objects legacy clients use.
 *
 * `subscriptions/listen` streams are fed from the target's change notifications. A stream that
 * asks for a resource's updates holds a counted upstream `resources/subscribe` for as long as it
 * is open, so a 2025-era server sends them.
 *
 * @module
 */
import {
  createMcpHandler,
  InMemoryServerEventBus,
  isLegacyRequest,
  McpServer,
  PROTOCOL_VERSION_META_KEY,
  type JSONRPCRequest,
  type McpHttpHandler,
  type ServerEvent,
} from '@modelcontextprotocol/server';
import type { Logger } from '../log/logger.js';
import { FIRST_STATELESS_PROTOCOL_VERSION, isStrictRequest } from './json-rpc.js';
import { ModernExchanges, type OpenExchangeSession } from './modern-exchange.js';
import type { Subscriber } from './shared-hub.js';
import { whenStreamEnds } from './stream-end.js';

/** What an endpoint serves: one server, or every server as the aggregated endpoint. */
export interface PerRequestTarget {
  /** The identity, capabilities and instructions to announce (`server/discover`, a stateless `initialize`). */
  describe(): Promise<{ serverInfo: { name: string; version: string }; capabilities: Record<string, unknown>; instructions?: string }>;
  /** Opens the session that serves one request. */
  open: OpenExchangeSession;
  /**
   * Whether its server's own `input_required` rounds reach the client (the server speaks
   * 2026-07-28): a `requestState` the gateway did not give is then the server's.
   */
  passesInputRounds(): Promise<boolean>;
  /** The input schema of a tool it offers, by the name its clients call it. */
  toolInputSchema(name: string): Record<string, unknown> | undefined;
  /** Calls `publish` with each change its servers announce (lists changed, a resource updated); returns how to stop. */
  watchChanges(publish: (event: ServerEvent) => void): () => void;
  /** Makes its server send updates of `uri` while `subscriber` holds it; resolves with the way to let go. */
  holdResourceSubscription(subscriber: Subscriber, uri: string): Promise<() => void>;
}

export interface PerRequestEndpointOptions {
  logger: Logger;
  /** `stateless`: 2025-era requests are served here too, one at a time without sessions (`--stateless`). */
  legacy: 'stateless' | 'reject';
  maxBodyBytes: number;
  /** How long a call waits for the client's input between rounds (tests shorten it). */
  parkTimeoutMs?: number;
}

/**
 * The common case the SDK's classifier would call legacy, told at a glance: a well-formed request
 * of a session, naming no 2026-07-28 version in its header or its `_meta`. The classifier checks
 * each message against the protocol's schemas, a cost per call a busy session need not pay.
 */
function isSessionRequest(request: Request, body: unknown): boolean {
  if (!request.headers.has('mcp-session-id') || !isStrictRequest(body)) return false;
  const version = request.headers.get('mcp-protocol-version');
  if (version !== null && version >= FIRST_STATELESS_PROTOCOL_VERSION) return false;
  const meta = body.params?._meta;
  return meta === undefined || !(PROTOCOL_VERSION_META_KEY in (meta as Record<string, unknown>));
}

export class PerRequestEndpoint {
  private readonly handler: McpHttpHandler;
  private readonly exchanges: ModernExchanges;
  private readonly stopWatching: () => void;

  constructor(
    private readonly target: PerRequestTarget,
    private readonly options: PerRequestEndpointOptions,
  ) {
    this.exchanges = new ModernExchanges({ logger: options.logger, ...(options.parkTimeoutMs === undefined ? {} : { parkTimeoutMs: options.parkTimeoutMs }) });
    const bus = new InMemoryServerEventBus((error) => options.logger.debug({ err: error }, 'a subscriptions/listen stream failed'));
    this.stopWatching = target.watchChanges((event) => bus.publish(event));
    this.handler = createMcpHandler(() => this.createServer(), {
      legacy: options.legacy,
      bus,
      maxRequestBodySize: options.maxBodyBytes,
      onerror: (error) => options.logger.debug({ err: error }, 'a per-request MCP exchange failed'),
    });
  }

  /**
   * Whether this endpoint serves the request (rather than the session endpoints): 2026-07-28
   * traffic, or everything when stateless. Told at once for a session's plain request, so that
   * the common case waits for nothing; otherwise once the SDK's classifier has looked.
   */
  serves(request: Request, body: unknown): boolean | Promise<boolean> {
    if (this.options.legacy === 'stateless') return true;
    if (isSessionRequest(request, body)) return false;
    return isLegacyRequest(request, body, { maxRequestBodySize: this.options.maxBodyBytes }).then((legacy) => !legacy);
  }

  /** Serves one request; `body` is its parsed JSON body (POST) or undefined. */
  async fetch(request: Request, body: unknown): Promise<Response> {
    const uris = resourceSubscriptionsOf(body);
    if (uris.length === 0) return this.handler.fetch(request, body === undefined ? {} : { parsedBody: body });
    // The stream's claim on the subscriptions; the updates themselves reach it through the bus.
    const stream: Subscriber = { deliver: () => undefined };
    const releases = await Promise.all(
      uris.map((uri) =>
        this.target.holdResourceSubscription(stream, uri).catch((error: unknown) => {
          this.options.logger.warn({ err: error, uri }, 'could not subscribe to a resource for a subscriptions/listen stream');
          return () => undefined;
        }),
      ),
    );
    const release = (): void => releases.forEach((letGo) => letGo());
    const response = await this.handler.fetch(request, { parsedBody: body }).catch((error: unknown) => {
      release();
      throw error;
    });
    return whenStreamEnds(response, release);
  }

  async close(): Promise<void> {
    this.stopWatching();
    this.exchanges.closeAll();
    await this.handler.close();
  }

  private async createServer(): Promise<McpServer> {
    const { serverInfo, capabilities, instructions } = await this.target.describe();
    const product = new ForwardingMcpServer(serverInfo, { capabilities, ...(instructions === undefined ? {} : { instructions }) }, (name) =>
      this.target.toolInputSchema(name),
    );
    const { server } = product;
    // Handlers for what the server offers, and no fallback: any other method is answered by the
    // SDK itself, with the 404 the 2026-07-28 transport gives an unknown method.
    for (const [capability, methods] of Object.entries(METHODS_OF_CAPABILITY)) {
      if (capabilities[capability] === undefined) continue;
      for (const method of methods) {
        server.setRequestHandler(method, (request, ctx) => this.exchanges.serve({ jsonrpc: '2.0', id: ctx.mcpReq.id, ...request } as JSONRPCRequest, ctx, this.target) as never);
      }
    }
    return product;
  }
}

/**
 * The per-request server: the SDK checks a `tools/call`'s `Mcp-Param-*` headers against the
 * tool's `x-mcp-header` declarations only for an `McpServer`, by asking it for the tool's input
 * schema; this one answers from the server's catalog, and registers no tools of its own.
 */
class ForwardingMcpServer extends McpServer {
  constructor(
    serverInfo: ConstructorParameters<typeof McpServer>[0],
    options: ConstructorParameters<typeof McpServer>[1],
    private readonly inputSchemaOf: (name: string) => Record<string, unknown> | undefined,
  ) {
    super(serverInfo, options);
  }

  override toolInputSchemaJson(name: string): Record<string, unknown> | undefined {
    return this.inputSchemaOf(name);
  }
}

/** The requests a 2026-07-28 client may send, by the server capability that offers them. */
const METHODS_OF_CAPABILITY = {
  tools: ['tools/list', 'tools/call'],
  prompts: ['prompts/list', 'prompts/get'],
  resources: ['resources/list', 'resources/templates/list', 'resources/read'],
  completions: ['completion/complete'],
} as const;

/** The URIs a `subscriptions/listen` request asks updates of. */
function resourceSubscriptionsOf(body: unknown): string[] {
  const message = body as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } } | undefined;
  if (message?.method !== 'subscriptions/listen') return [];
  const uris = message.params?.notifications?.resourceSubscriptions;
  return Array.isArray(uris) ? [...new Set(uris.filter((uri): uri is string => typeof uri === 'string'))] : [];
}
