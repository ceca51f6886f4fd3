/**
 * One MCP client session on a shared upstream: the client's messages are answered here or
 * forwarded through the upstream's one supervised connection, where the SDK client gives each
 * forwarded request an id of its own. So ids of any type come back exactly as the client sent
 * them, two clients' ids never meet, progress is re-tagged with the caller's token, and a
 * cancellation reaches the right upstream request.
 *
 * Answered here, because one server connection serves every session:
 * - `initialize`, from the server's own handshake (capabilities, identity, instructions);
 * - `ping`;
 * - `logging/setLevel`: a level per session, applied to the log messages this session receives;
 * - `resources/subscribe` / `unsubscribe`: counted across sessions by the hub, so one client
 *   leaving does not end another's subscription.
 *
 * @module
 */
import { ProtocolError, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/server';
import type { Logger } from '../log/logger.js';
import type { ModernRequestParts, Upstream } from '../upstream/upstream.js';
import {
  errorResponse,
  gatewayErrorResponse,
  isNotification,
  isRequest,
  isResponse,
  JsonRpcErrorCode,
  negotiatedProtocolVersion,
  resultResponse,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type RequestId,
} from './json-rpc.js';
import type { BridgeSession } from './bridge-session.js';
import { ForwardedRequests } from './forwarded-requests.js';
import { filterToolList, refusedToolCall } from './tool-policy.js';

/** Log levels of `notifications/message`, least severe first. */
const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** What a session needs from the hub that owns the shared upstream. */
export interface SharedHubAccess {
  readonly upstream: Upstream;
  readonly logger: Logger;
  /** How long `initialize` waits for a server that is still starting. */
  readonly connectTimeoutMs: number;
  subscribe(session: SharedSession, uri: string): Promise<Record<string, unknown>>;
  unsubscribe(session: SharedSession, uri: string): Promise<Record<string, unknown>>;
  /** Asks the server to send every log level (each session filters for itself). */
  enableServerLogging(): void;
  detach(session: SharedSession): void;
}

export class SharedSession implements BridgeSession {
  readonly server: string;
  /** What the client declared in `initialize` (sampling, elicitation, …). */
  clientCapabilities: Record<string, unknown> = {};
  private logThreshold = 0;
  private readonly forwarded = new ForwardedRequests((message, relatedRequestId) => this.send(message, relatedRequestId));
  /** The client's answers to requests the server sent it through this session. */
  private readonly awaitingClient = new Map<RequestId, { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  private serverRequestIds = 0;
  private closed = false;
  private readonly allowsTool = (tool: string): boolean => this.hub.upstream.allowsTool(tool);

  constructor(
    private readonly hub: SharedHubAccess,
    private readonly transport: Transport,
  ) {
    this.server = hub.upstream.name;
    transport.onmessage = (message) => this.receive(message);
  }

  get inFlight(): number {
    return this.forwarded.size + this.awaitingClient.size;
  }

  /**
   * A 2026-07-28 request between rounds: its call is blocked on the input its client was asked
   * for, so a new request of the server is not its (and a client that never comes back must not
   * make every later request ambiguous).
   */
  betweenRounds = false;

  /**
   * A 2026-07-28 request's session, with what its request carried besides its params: the
   * request goes to the server in that era when the server speaks it (see `Upstream.forward`),
   * so the server sees the client's own capabilities, and what it answers, `input_required`
   * included, is the client's to see unchanged.
   */
  modernRequest: ModernRequestParts | undefined;

  /**
   * A 2026-07-28 request's session: given the server's requests even for capabilities its client
   * did not declare, since it answers those itself rather than asking the client.
   */
  get answersUndeclaredRequests(): boolean {
    return this.modernRequest !== undefined;
  }

  /** True while a forwarded request of this session waits for the server. */
  get hasCallsInFlight(): boolean {
    return this.forwarded.size > 0 && !this.betweenRounds;
  }

  /** Sends a server notification to this client, on the stream of a request in flight when there is one. */
  deliver(message: JSONRPCMessage & JsonRpcNotification): void {
    if (this.closed) return;
    if (message.method === 'notifications/message') {
      const level = LOG_LEVELS.indexOf(String((message.params as { level?: unknown } | undefined)?.level));
      if (level !== -1 && level < this.logThreshold) return;
    }
    this.send(message, this.forwarded.latestId);
  }

  /**
   * Sets the least severe log level this client receives, as a 2026-07-28 request does in its
   * `_meta` (there is no `logging/setLevel` in that era); without one it receives none.
   */
  receiveLogsFrom(level: string | undefined): void {
    const index = level === undefined ? -1 : LOG_LEVELS.indexOf(level);
    this.logThreshold = index === -1 ? LOG_LEVELS.length : index;
    if (index !== -1) this.hub.enableServerLogging();
  }

  /** Relays a request of the server (sampling, elicitation) to this client and resolves with its answer. */
  requestFromClient(method: string, params: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new ProtocolError(JsonRpcErrorCode.InternalError, 'the MCP client disconnected'));
    // A prefix no client uses, so the client's answer cannot be mistaken for anything else.
    const id = `mcpgate-${++this.serverRequestIds}`;
    return new Promise((resolve, reject) => {
      this.awaitingClient.set(id, { resolve, reject });
      const request = { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) } as JSONRPCMessage;
      this.send(request, this.forwarded.latestId);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.forwarded.abortAll();
    for (const waiting of this.awaitingClient.values()) {
      waiting.reject(new ProtocolError(JsonRpcErrorCode.InternalError, 'the MCP client session ended before it answered'));
    }
    this.awaitingClient.clear();
    this.hub.detach(this);
    await this.transport.close().catch(() => undefined);
  }

  private receive(message: JSONRPCMessage): void {
    if (this.closed) return;
    if (isRequest(message)) void this.answer(message);
    else if (isResponse(message)) this.settleClientAnswer(message);
    else if (isNotification(message)) this.forwardNotification(message.method, message.params);
  }

  private async answer(request: JsonRpcRequest): Promise<void> {
    const { id, method, params } = request;
    switch (method) {
      case 'initialize':
        return this.initialize(id, params);
      case 'ping':
        return this.send(resultResponse(id, {}), id);
      case 'logging/setLevel': {
        const level = LOG_LEVELS.indexOf(String(params?.level));
        if (level === -1) {
          return this.send(errorResponse(id, JsonRpcErrorCode.InvalidParams, `unknown log level ${JSON.stringify(params?.level)}`), id);
        }
        this.logThreshold = level;
        this.hub.enableServerLogging();
        return this.send(resultResponse(id, {}), id);
      }
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return this.changeSubscription(request);
      case 'tools/call': {
        const refusal = refusedToolCall(this.allowsTool, id, params);
        if (refusal) return this.send(refusal, id);
        return this.forwarded.forward(this.hub.upstream, request, { modern: this.modernRequest });
      }
      case 'tools/list':
        return this.forwarded.forward(this.hub.upstream, request, {
          shape: (result) => filterToolList(this.allowsTool, result),
          modern: this.modernRequest,
        });
      default:
        return this.forwarded.forward(this.hub.upstream, request, { modern: this.modernRequest });
    }
  }

  private async initialize(id: RequestId, params: Record<string, unknown> | undefined): Promise<void> {
    this.clientCapabilities = (params?.capabilities as Record<string, unknown> | undefined) ?? {};
    const upstream = this.hub.upstream;
    if (!(await upstream.whenConnected(this.hub.connectTimeoutMs))) {
      return this.send(gatewayErrorResponse(id, upstream.unavailableError()), id);
    }
    const description = upstream.serverDescription;
    if (!description) return this.send(gatewayErrorResponse(id, upstream.unavailableError()), id);
    const result: Record<string, unknown> = {
      protocolVersion: negotiatedProtocolVersion(params),
      capabilities: description.capabilities,
      serverInfo: description.serverInfo,
      ...(description.instructions === undefined ? {} : { instructions: description.instructions }),
    };
    return this.send(resultResponse(id, result), id);
  }

  private async changeSubscription(request: JsonRpcRequest): Promise<void> {
    const { id, method, params } = request;
    const uri = params?.uri;
    if (typeof uri !== 'string') return this.send(errorResponse(id, JsonRpcErrorCode.InvalidParams, `${method} needs a "uri" string`), id);
    try {
      const result = method === 'resources/subscribe' ? await this.hub.subscribe(this, uri) : await this.hub.unsubscribe(this, uri);
      this.send(resultResponse(id, result), id);
    } catch (error) {
      this.send(gatewayErrorResponse(id, error), id);
    }
  }

  private forwardNotification(method: string, params: Record<string, unknown> | undefined): void {
    switch (method) {
      case 'notifications/initialized':
        return; // The server's handshake was done once, by the gateway.
      case 'notifications/cancelled':
        // Aborting sends the server the cancellation, with its own id for the request.
        return this.forwarded.cancel(params?.requestId);
      case 'notifications/progress':
      case 'notifications/roots/list_changed':
        // Progress of the client's own work and its roots belong to this session only; the
        // shared server never asked for either.
        return;
      default:
        void this.hub.upstream.notify(method, params);
    }
  }

  private settleClientAnswer(message: JSONRPCMessage & { id: RequestId | null }): void {
    if (message.id === null) return;
    const waiting = this.awaitingClient.get(message.id);
    if (!waiting) return;
    this.awaitingClient.delete(message.id);
    if ('result' in message) waiting.resolve(message.result as Record<string, unknown>);
    else if ('error' in message) {
      const { code, message: text, data } = message.error as { code: number; message: string; data?: unknown };
      waiting.reject(new ProtocolError(code, text, data));
    }
  }

  private send(message: JSONRPCMessage, relatedRequestId: RequestId | undefined): void {
    if (this.closed && !('id' in message)) return;
    this.transport.send(message, relatedRequestId === undefined ? undefined : { relatedRequestId }).catch((error: unknown) => {
      this.hub.logger.debug({ err: error, server: this.server }, 'a message to an MCP client could not be delivered');
    });
  }
}
