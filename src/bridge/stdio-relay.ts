/**
 * The stdio relay: MCP on a pair of streams (this process's stdin/stdout) relayed, message by
 * message, to one server reached over streamable HTTP, HTTP+SSE or a child's stdio. Not an SDK
 * `Client`: requests, responses, notifications and the server's own requests (sampling,
 * elicitation, roots) pass both ways unchanged, ids included, with no timeout of ours on a call.
 *
 * What the relay adds, and only where the client could not do it itself:
 * - a URL without a type tries streamable HTTP and falls back to HTTP+SSE when the first POST
 *   answers 400/404/405;
 * - a session the server no longer knows (404: it restarted or expired the session) is replaced
 *   transparently: the client's own `initialize` params are replayed under an id of the relay's
 *   (its answer is not forwarded), `notifications/initialized` follows, then the refused message
 *   is sent again;
 * - a request that cannot be delivered is answered with a JSON-RPC error naming the reason.
 *
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import { SdkHttpError, type JSONRPCMessage } from '@modelcontextprotocol/client';
import type { Transport } from '@modelcontextprotocol/server';
import type { UpstreamConfig } from '../config/types.js';
import { JsonLinesReader, toJsonLine } from '../framing/json-lines.js';
import type { Logger } from '../log/logger.js';
import type { ChildProcessRegistry } from '../upstream/child-registry.js';
import { classifyHttpFailure, describeHttpFailure } from '../upstream/http-failures.js';
import type { HookRunner } from '../hooks/hook-runner.js';
import { withHooks } from './hooked-transport.js';
import { createRelayTransport, initialKind, type RelayTransport, type RelayTransportKind } from './relay-transport.js';
import { filterToolList, refusedToolCall } from './tool-policy.js';

export interface StdioRelayOptions {
  upstream: UpstreamConfig;
  /** Where the client's messages arrive (stdin). */
  input: Readable;
  /** Where the server's messages go (stdout): nothing else is ever written there. */
  output: Writable;
  logger: Logger;
  /** Registers the stdio child for a forced stop. */
  children?: ChildProcessRegistry;
  /** Wait before the one retry of a server that cannot be reached (default 1000 ms). */
  retryDelayMs?: number;
  /** Bound on the relay's own re-initialize handshake (default 15 s); clients' calls have none. */
  handshakeTimeoutMs?: number;
  /** Hooks on the client's messages and calls, and their tool policy. */
  hooks?: HookRunner;
}

/** Why the relay stopped. */
export type RelayOutcome =
  /** The client closed stdin (or stdout): a normal end. */
  | { kind: 'input-ended' }
  /** The server is gone for good: the child exited, or the remote stayed unreachable after a retry. */
  | { kind: 'upstream-gone'; reason: string };

type RequestId = string | number;

interface Connection {
  link: RelayTransport;
  /** Replaced by a newer connection (or closing): its messages and its close are ignored. */
  retired: boolean;
}

interface PendingRequest {
  id: RequestId;
  method: string;
  /** The connection the request was delivered on, once it was. */
  connection?: Connection;
}

/** HTTP statuses on the first POST that mean "no streamable HTTP here, try HTTP+SSE" (the specification's rule). */
const SSE_FALLBACK_STATUSES = new Set([400, 404, 405]);

/** JSON-RPC "internal error", the code a relay uses for a message it could not deliver (as mcp-remote does). */
const DELIVERY_FAILED = -32603;

/** Recoveries (fallback, new session, retry) tried for one message before giving up on it. */
const MAX_RECOVERIES = 3;

function isRequest(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId; method: string } {
  return 'method' in message && 'id' in message && message.id !== undefined;
}

function isResponse(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId | null } {
  return !('method' in message) && ('result' in message || 'error' in message);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export class StdioRelay {
  private readonly logger: Logger;
  private kind: RelayTransportKind;
  /** True once the transport kind is settled (at once, unless a URL has no type). */
  private detected: boolean;
  /** The connection in use, or being opened; undefined before `run()`. */
  private connection: Promise<Connection> | undefined;
  /** The open connection, undefined while one is being opened. */
  private current: Connection | undefined;
  private initializeParams: Record<string, unknown> | undefined;
  private clientInitializeId: RequestId | undefined;
  private readonly pending = new Map<RequestId, PendingRequest>();
  /** Answers to the relay's own requests (the re-initialize handshake), never forwarded. */
  private readonly internal = new Map<RequestId, (message: JSONRPCMessage) => void>();
  private internalIds = 0;
  private ended = false;
  private resolveOutcome!: (outcome: RelayOutcome) => void;
  private readonly outcome = new Promise<RelayOutcome>((resolve) => (this.resolveOutcome = resolve));
  /** The client's side of the relay (stdin/stdout), with the hooks on it when there are any. */
  private readonly client: Transport;
  /** Where stdin's messages enter the client's side. */
  private readonly fromStdin: Transport;

  constructor(private readonly options: StdioRelayOptions) {
    this.logger = options.logger;
    this.kind = initialKind(options.upstream);
    this.detected = options.upstream.transport !== 'http-auto';
    this.fromStdin = {
      start: async () => undefined,
      close: async () => undefined,
      send: async (message) => this.write(message),
    };
    const server = options.upstream.name;
    this.client = options.hooks
      ? withHooks(this.fromStdin, { runner: options.hooks, server, frontend: 'stdio', resolveTool: (tool) => ({ server, tool }) })
      : this.fromStdin;
    this.client.onmessage = (message) => void this.fromClient(message);
  }

  /** Whether callers may see and call a tool (the hooks' tool policy; everything without hooks). */
  private allowsTool(tool: string): boolean {
    return this.options.hooks?.allowsTool(this.options.upstream.name, tool) ?? true;
  }

  /** Starts relaying; resolves when the client or the server goes away. */
  run(): Promise<RelayOutcome> {
    const { input, output } = this.options;
    const reader = new JsonLinesReader({
      onMessage: (message) => this.fromStdin.onmessage?.(message),
      onInvalidLine: (line, reason) =>
        this.logger.warn({ stream: 'stdin', line: line.slice(0, 2000) }, `skipped a line from the client (${reason})`),
    });
    input.on('data', (chunk: Buffer | string) => {
      try {
        reader.push(chunk);
      } catch (error) {
        this.logger.error({ err: error }, `the client's input is unusable: ${describeHttpFailure(error)}`);
        this.finish({ kind: 'input-ended' });
      }
    });
    input.once('end', () => this.finish({ kind: 'input-ended' }));
    input.once('error', (error) => {
      this.logger.debug({ err: error }, 'stdin failed');
      this.finish({ kind: 'input-ended' });
    });
    // The client closed our stdout (EPIPE): nobody is listening any more.
    output.on('error', (error) => {
      this.logger.debug({ err: error }, 'stdout failed');
      this.finish({ kind: 'input-ended' });
    });
    // Connect at once: a child starts warming up, and a command that cannot start is reported now.
    this.connection = this.track(this.open(this.kind, false));
    return this.outcome;
  }

  /** Closes the server side: a child gets stdin EOF, then SIGTERM, then SIGKILL (its whole process group). */
  async close(): Promise<void> {
    this.ended = true;
    const connection = await this.connection?.catch(() => undefined);
    if (!connection) return;
    connection.retired = true;
    await connection.link.transport.close().catch((error: unknown) => this.logger.debug({ err: error }, 'closing the server connection failed'));
  }

  private finish(outcome: RelayOutcome): void {
    if (this.ended) return;
    this.ended = true;
    this.resolveOutcome(outcome);
  }

  /** The server is gone for good: every open request is answered, then the relay ends. */
  private fail(reason: string): void {
    if (this.ended) return;
    for (const request of this.pending.values()) this.answerWithError(request, `the server is gone: ${reason}`);
    this.pending.clear();
    this.finish({ kind: 'upstream-gone', reason });
  }

  private async fromClient(message: JSONRPCMessage): Promise<void> {
    if (this.ended) return;
    let request: PendingRequest | undefined;
    if (isRequest(message)) {
      if (message.method === 'tools/call') {
        const refusal = refusedToolCall((tool) => this.allowsTool(tool), message.id, (message as { params?: Record<string, unknown> }).params);
        if (refusal) return this.toClient(refusal);
      }
      if (message.method === 'initialize') {
        // Kept to open a new session the same way if the server loses this one.
        this.initializeParams = structuredClone((message as { params?: Record<string, unknown> }).params ?? {});
        this.clientInitializeId = message.id;
      }
      request = { id: message.id, method: message.method };
      this.pending.set(message.id, request);
    } else if ('method' in message && message.method === 'notifications/cancelled') {
      // The client expects no answer any more; the server's, if it comes, is still passed on.
      const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (typeof requestId === 'string' || typeof requestId === 'number') this.pending.delete(requestId);
    }
    try {
      const connection = await this.deliver(message, 0);
      if (request) request.connection = connection;
    } catch (error) {
      const reason = describeHttpFailure(error);
      if (request && this.pending.delete(request.id)) {
        this.answerWithError(request, `could not deliver it: ${reason}`);
      } else if (!this.ended) {
        const what = 'method' in message ? message.method : 'a response';
        this.logger.warn({ err: error }, `could not deliver ${what} to the server: ${reason}`);
      }
    }
  }

  /** Sends `message` on the current connection, recovering from what can be recovered. */
  private async deliver(message: JSONRPCMessage, recoveries: number): Promise<Connection> {
    if (!this.connection || this.ended) throw new Error('mcpgate is stopping');
    const connection = await this.connection;
    try {
      await connection.link.transport.send(message);
      this.detected = true;
      return connection;
    } catch (error) {
      if (this.ended || recoveries >= MAX_RECOVERIES) throw error;
      // Replaced while this was in flight: the newer connection takes it.
      if (connection.retired) return this.deliver(message, recoveries + 1);
      if (!this.detected && connection.link.kind === 'streamable-http' && error instanceof SdkHttpError && SSE_FALLBACK_STATUSES.has(error.status)) {
        this.logger.info({ status: error.status }, 'the URL does not speak streamable HTTP; falling back to the HTTP+SSE transport');
        this.detected = true;
        this.kind = 'sse';
        this.replace(connection, false);
        return this.deliver(message, recoveries + 1);
      }
      const failure = classifyHttpFailure(error);
      const isInitialize = 'method' in message && message.method === 'initialize';
      if ((failure === 'session-lost' || failure === 'stream-lost') && this.initializeParams !== undefined && !isInitialize) {
        this.logger.warn(
          { reason: describeHttpFailure(error) },
          'the server no longer knows the session (it restarted or expired it): opening a new session',
        );
        this.replace(connection, true);
        return this.deliver(message, recoveries + 1);
      }
      if (failure === 'unreachable') {
        if (recoveries > 0) {
          const reason = `the server at ${this.target()} is unreachable: ${describeHttpFailure(error)}`;
          this.fail(reason);
          throw new Error(reason, { cause: error });
        }
        this.logger.warn({ reason: describeHttpFailure(error) }, `the server is unreachable; trying again in ${this.retryDelayMs()} ms`);
        await delay(this.retryDelayMs());
        return this.deliver(message, recoveries + 1);
      }
      throw error;
    }
  }

  /**
   * Retires `stale` and opens its successor (with the relay's own handshake when `handshake`).
   * Requests already delivered on `stale` will never be answered there: they are answered now.
   */
  private replace(stale: Connection, handshake: boolean): void {
    if (this.current !== stale) return; // already replaced by another message's recovery
    this.current = undefined;
    stale.retired = true;
    for (const [key, request] of this.pending) {
      if (request.connection !== stale) continue;
      this.pending.delete(key);
      this.answerWithError(request, 'the server lost the session before answering (it restarted or expired the session); the request may not have completed');
    }
    void stale.link.transport.close().catch(() => undefined);
    this.connection = this.track(this.reopen(handshake));
  }

  /** Opens a connection, trying once more after a pause if the server cannot be reached. */
  private async reopen(handshake: boolean): Promise<Connection> {
    try {
      return await this.open(this.kind, handshake);
    } catch (error) {
      if (classifyHttpFailure(error) !== 'unreachable' || this.ended) throw error;
      this.logger.warn({ reason: describeHttpFailure(error) }, `the server is unreachable; trying again in ${this.retryDelayMs()} ms`);
      await delay(this.retryDelayMs());
      return this.open(this.kind, handshake);
    }
  }

  /** Remembers the opened connection; a connection that cannot be opened ends the relay. */
  private track(opening: Promise<Connection>): Promise<Connection> {
    const tracked = opening.then(
      (connection) => {
        this.current = connection;
        return connection;
      },
      (error: unknown) => {
        const child = error instanceof Error && this.options.upstream.transport === 'stdio';
        this.fail(child ? `cannot start the server: ${(error as Error).message}` : `cannot reach the server at ${this.target()}: ${describeHttpFailure(error)}`);
        throw error;
      },
    );
    tracked.catch(() => undefined); // reported through fail(); deliveries see the rejection themselves
    return tracked;
  }

  private async open(kind: RelayTransportKind, handshake: boolean): Promise<Connection> {
    const link = createRelayTransport(this.options.upstream, kind, this.logger, this.options.children);
    const connection: Connection = { link, retired: false };
    const { transport } = link;
    transport.onmessage = (message) => {
      if (!connection.retired) this.fromServer(connection, message);
    };
    transport.onerror = (error) => {
      if (!connection.retired && !this.ended) this.logger.debug({ err: error }, `server connection: ${describeHttpFailure(error)}`);
    };
    transport.onclose = () => {
      if (connection.retired || this.ended) return;
      const reason = link.exitReason();
      this.fail(reason ? `the server process stopped (${reason})` : 'the connection to the server closed');
    };
    try {
      await transport.start();
      if (this.ended) throw new Error('mcpgate is stopping');
      if (handshake) await this.handshake(connection);
      if (this.ended) throw new Error('mcpgate is stopping');
    } catch (error) {
      connection.retired = true;
      await transport.close().catch(() => undefined);
      throw error;
    }
    this.logger.info({ transport: kind }, `relaying stdin/stdout to ${this.target()}`);
    return connection;
  }

  /** Initializes a new session with the client's own params; the answer stays here. */
  private async handshake(connection: Connection): Promise<void> {
    const id = `mcpgate-initialize-${++this.internalIds}`;
    const timeoutMs = this.options.handshakeTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<JSONRPCMessage>((resolve, reject) => {
      this.internal.set(id, resolve);
      timer = setTimeout(() => reject(new Error(`the server did not answer initialize within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    answered.catch(() => undefined);
    try {
      const { transport } = connection.link;
      await transport.send({ jsonrpc: '2.0', id, method: 'initialize', params: this.initializeParams } as JSONRPCMessage);
      const answer = await answered;
      if ('error' in answer) throw new Error(`the server refused to initialize a new session: ${answer.error.message}`);
      this.useProtocolVersion(connection, answer);
      await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    } finally {
      clearTimeout(timer);
      this.internal.delete(id);
    }
  }

  private fromServer(connection: Connection, message: JSONRPCMessage): void {
    if (isResponse(message) && message.id !== null) {
      const internal = this.internal.get(message.id);
      if (internal) return internal(message);
      const request = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.id === this.clientInitializeId) this.useProtocolVersion(connection, message);
      if (request?.method === 'tools/list' && 'result' in message) {
        return this.toClient({ ...message, result: filterToolList((tool) => this.allowsTool(tool), message.result as Record<string, unknown>) } as JSONRPCMessage);
      }
    }
    this.toClient(message);
  }

  /** Later HTTP requests carry the negotiated version in their headers, as the specification asks. */
  private useProtocolVersion(connection: Connection, answer: JSONRPCMessage): void {
    const version = (answer as { result?: { protocolVersion?: unknown } }).result?.protocolVersion;
    if (typeof version === 'string') connection.link.transport.setProtocolVersion?.(version);
  }

  private answerWithError(request: PendingRequest, reason: string): void {
    this.toClient({
      jsonrpc: '2.0',
      id: request.id,
      error: { code: DELIVERY_FAILED, message: `mcpgate: ${request.method}: ${reason}` },
    });
  }

  /** A message for the client, through the hooks. */
  private toClient(message: JSONRPCMessage): void {
    this.client.send(message).catch((error: unknown) => this.logger.debug({ err: error }, 'a message to the client could not be written'));
  }

  private write(message: JSONRPCMessage): void {
    const { output } = this.options;
    if (output.destroyed || output.writableEnded) return;
    output.write(toJsonLine(message));
  }

  private target(): string {
    const upstream = this.options.upstream;
    return upstream.transport === 'stdio' ? [upstream.command, ...upstream.args].join(' ') : upstream.url;
  }

  private retryDelayMs(): number {
    return this.options.retryDelayMs ?? 1000;
  }
}
