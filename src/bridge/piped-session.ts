/**
 * One MCP client session with a server connection of its own (`"sharing": "per-session"`): a
 * child process, or an upstream HTTP session, opened with the session and closed with it.
 * Messages pass both ways unchanged — the client's own `initialize` and capabilities, ids,
 * `_meta`, unknown methods, the server's sampling, elicitation and roots requests — so nothing
 * is lost and nothing needs attributing.
 *
 * What the pipe adds:
 * - a server message that is not a response goes on the stream of the request it belongs to
 *   (progress by its token; anything else on the newest request in flight), so a client without
 *   a standalone GET stream still receives it;
 * - the hooks' tool policy (`disabledTools` / `enabledTools` among it), as everywhere;
 * - when the server goes away (the child exits, the HTTP session is lost), every request in
 *   flight is answered with an error naming the reason and the session ends, so the client's
 *   next request gets 404 and it starts a new session with a new connection.
 *
 * @module
 */
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import { copyWith } from '../copy-with.js';
import type { UpstreamConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ChildProcessRegistry } from '../upstream/child-registry.js';
import type { HttpAuthOptions } from '../upstream/connect.js';
import { describeError } from '../errors.js';
import type { BridgeSession } from './bridge-session.js';
import { errorResponse, isRequest, isResponse, JsonRpcErrorCode, type RequestId } from './json-rpc.js';
import { createRelayTransport, initialKind, type RelayTransport } from './relay-transport.js';
import { filterToolList, refusedToolCall, type AllowsTool } from './tool-policy.js';

export interface PipedSessionOptions {
  upstream: UpstreamConfig;
  /** Whether callers may see and call a tool (the hooks' tool policy). */
  allowsTool: AllowsTool;
  /** The client's end (a streamable HTTP or SSE server transport). */
  downstream: Transport;
  logger: Logger;
  children?: ChildProcessRegistry;
  /** An OAuth server's credentials, shared with its supervised connection. */
  auth?: HttpAuthOptions;
  /** Called once when the session has ended, whichever side ended it. */
  onEnded: () => void;
}

interface PendingRequest {
  id: RequestId;
  method: string;
  progressToken?: string | number;
}

export class PipedSession implements BridgeSession {
  readonly server: string;
  private readonly link: RelayTransport;
  private readonly started: Promise<void>;
  private readonly pending = new Map<RequestId, PendingRequest>();
  private readonly logger: Logger;
  private ended = false;

  constructor(private readonly options: PipedSessionOptions) {
    const { upstream, downstream } = options;
    this.server = upstream.name;
    this.logger = options.logger.child({ server: upstream.name });
    this.link = createRelayTransport(upstream, initialKind(upstream), this.logger, options.children, options.auth);
    const { transport } = this.link;
    transport.onmessage = (message) => this.fromServer(message);
    transport.onclose = () => void this.end(this.link.exitReason() ?? 'the server closed the connection');
    transport.onerror = (error) => this.logger.debug({ err: error }, 'upstream transport error');
    downstream.onmessage = (message) => void this.fromClient(message);
    downstream.onclose = () => void this.end(undefined);
    this.started = transport.start();
    this.started.catch((error: unknown) => void this.end(`cannot connect: ${describeError(error)}`));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  async close(reason?: string): Promise<void> {
    await this.end(reason);
  }

  private async fromClient(message: JSONRPCMessage): Promise<void> {
    if (this.ended) return;
    if (isRequest(message)) {
      if (message.method === 'tools/call') {
        const refusal = refusedToolCall(this.options.allowsTool, message.id, message.params);
        if (refusal) return this.toClient(refusal);
      }
      const token = (message.params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
      this.pending.set(message.id, {
        id: message.id,
        method: message.method,
        ...(typeof token === 'string' || typeof token === 'number' ? { progressToken: token } : {}),
      });
    }
    try {
      await this.started;
      await this.link.transport.send(message);
    } catch (error) {
      if (isRequest(message) && this.pending.delete(message.id)) {
        this.toClient(errorResponse(message.id, JsonRpcErrorCode.InternalError, `mcpgate could not deliver ${message.method} to server "${this.server}": ${describeError(error)}`));
      }
    }
  }

  private fromServer(message: JSONRPCMessage): void {
    if (this.ended) return;
    if (isResponse(message)) {
      const request = message.id === null ? undefined : this.pending.get(message.id);
      if (request) this.pending.delete(request.id);
      if (request?.method === 'initialize' && 'result' in message) {
        // Later HTTP requests must carry the negotiated version (a raw pipe has no SDK client to do it).
        const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
        if (typeof version === 'string') this.link.transport.setProtocolVersion?.(version);
      }
      if (request?.method === 'tools/list' && 'result' in message) {
        return this.toClient(copyWith(message, { result: filterToolList(this.options.allowsTool, message.result as Record<string, unknown>) }) as JSONRPCMessage);
      }
      return this.toClient(message);
    }
    this.toClient(message, this.relatedRequestOf(message));
  }

  /** The client request a server notification or request belongs to, as far as it can be told. */
  private relatedRequestOf(message: JSONRPCMessage): RequestId | undefined {
    const params = (message as { params?: Record<string, unknown> }).params;
    if ((message as { method?: string }).method === 'notifications/progress') {
      for (const request of this.pending.values()) if (request.progressToken === params?.progressToken) return request.id;
    }
    let latest: RequestId | undefined;
    for (const request of this.pending.values()) latest = request.id;
    return latest;
  }

  private toClient(message: JSONRPCMessage, relatedRequestId?: RequestId): void {
    this.options.downstream.send(message, relatedRequestId === undefined ? undefined : { relatedRequestId }).catch((error: unknown) => {
      this.logger.debug({ err: error }, 'a message to an MCP client could not be delivered');
    });
  }

  /** Ends the session once: answers what is in flight (when the server went away), closes both ends. */
  private async end(serverGoneReason: string | undefined): Promise<void> {
    if (this.ended) return;
    if (serverGoneReason !== undefined) {
      this.logger.warn({ reason: serverGoneReason }, 'the session\'s server connection ended; closing the session');
      for (const request of this.pending.values()) {
        await this.options.downstream
          .send(errorResponse(request.id, JsonRpcErrorCode.InternalError, `server "${this.server}" went away during ${request.method}: ${serverGoneReason}`))
          .catch(() => undefined);
      }
    }
    this.ended = true;
    this.pending.clear();
    this.options.onEnded();
    await Promise.all([this.link.transport.close().catch(() => undefined), this.options.downstream.close().catch(() => undefined)]);
  }
}
