/**
 * The transport of one legacy streamable HTTP session (`/mcp`, protocol 2024-11-05 …
 * 2025-11-25): the SDK's, with a cheaper way to answer the common request.
 *
 * The specification lets a server answer a POSTed request with one JSON body or with an SSE
 * stream. The SDK's transport always opens a stream: web streams (costly to make), a priming
 * event stored for resumption, then headers, events and the end written one by one. Most
 * requests (a tool call without a progress token, a list, a read) have nothing to send before
 * their answer, so here such a request waits for its first message:
 *
 * - its answer first: one `application/json` body, written at once;
 * - anything else first (a log message, a sampling request) or nothing for a keep-alive interval
 *   (a slow tool): the answer becomes an SSE stream, as the SDK's would have been, with a
 *   priming event, keep-alive comments, and events kept in the session's event store, so a
 *   client whose stream broke resumes it with `Last-Event-ID` (served here for these streams).
 *
 * Everything else goes to the SDK's transport unchanged: `initialize`, batches, notifications
 * and responses, requests with a progress token (they announce messages before the answer),
 * whatever the SDK would refuse (it says why), GET streams and DELETE.
 *
 * @module
 */
import {
  DEFAULT_NEGOTIATED_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  WebStandardStreamableHTTPServerTransport,
  type HandleRequestOptions,
  type JSONRPCMessage,
  type TransportSendOptions,
  type WebStandardStreamableHTTPServerTransportOptions,
} from '@modelcontextprotocol/server';
import { copyWith } from '../copy-with.js';
import { namingRequestId } from '../http/request-id.js';
import { InFlightMap } from '../in-flight-map.js';
import type { BoundedEventStore } from './event-store.js';
import { jsonRpcHttpError } from './http-answers.js';
import { errorResponse, isResponse, isStrictRequest, JsonRpcErrorCode, type RequestId } from './json-rpc.js';
import { SSE_KEEP_ALIVE_MS, SSE_RESPONSE_HEADERS, sseData } from './sse-server-transport.js';

/** Streams opened here are told apart from the SDK's (UUIDs) by their id. */
const STREAM_PREFIX = 'answer-';

const SSE_HEADERS = { ...SSE_RESPONSE_HEADERS, connection: 'keep-alive' };

const encoder = new TextEncoder();

export interface SessionHttpTransportOptions extends WebStandardStreamableHTTPServerTransportOptions {
  eventStore: BoundedEventStore;
  /** Keep-alive interval of every stream, and how long a quiet answer waits before becoming one. */
  keepAliveMs?: number;
}

type JsonRpcRequestMessage = JSONRPCMessage & { id: RequestId; method: string };

export class SessionHttpTransport extends WebStandardStreamableHTTPServerTransport {
  /** Requests answered here, by request id, until their answer is sent. */
  private readonly waiting = new InFlightMap<RequestId, PendingAnswer>();
  /** Those whose answer became a stream, by stream id, until their answer is sent. */
  private readonly streaming = new InFlightMap<string, PendingAnswer>();
  private streams = 0;
  private ended = false;
  private readonly store: BoundedEventStore;
  private readonly keepAliveMs: number;

  constructor(options: SessionHttpTransportOptions) {
    super(options);
    this.store = options.eventStore;
    this.keepAliveMs = options.keepAliveMs ?? SSE_KEEP_ALIVE_MS;
  }

  override handleRequest(request: Request, options?: HandleRequestOptions): Promise<Response> {
    // Not an async function: the request answered here is a session's every call, and a frame
    // around the promise it already has would only cost it.
    if (request.method === 'POST' && options?.parsedBody !== undefined) {
      const message = this.answerableHere(request, options.parsedBody);
      if (message) return this.answer(request, message);
    } else if (request.method === 'GET') {
      const resumed = this.resume(request);
      if (resumed) return Promise.resolve(resumed);
    }
    return super.handleRequest(request, options);
  }

  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.waiting.size > 0) {
      const answered = isResponse(message) && message.id !== null ? message.id : undefined;
      const related = answered ?? options?.relatedRequestId;
      if (related !== undefined) {
        const pending = this.waiting.get(related);
        if (pending) {
          if (answered !== undefined) this.waiting.delete(related);
          return pending.deliver(message, answered !== undefined);
        }
      }
    }
    return super.send(message, options);
  }

  override async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      // Nothing may be left waiting: a request the session did not answer gets an error.
      for (const [, pending] of this.waiting) pending.abandon('the MCP session ended before the request was answered');
      this.waiting.clear();
      this.streaming.clear();
    }
    return super.close();
  }

  /**
   * The request when it can be answered here: one JSON-RPC request, valid as the SDK's own check
   * would find it, on this open session, with the headers the SDK would accept, and no progress
   * token.
   */
  private answerableHere(request: Request, body: unknown): JsonRpcRequestMessage | undefined {
    if (this.ended || this.sessionId === undefined || !isStrictRequest(body) || body.method === 'initialize') return undefined;
    if ((body.params?._meta as { progressToken?: unknown } | undefined)?.progressToken !== undefined) return undefined;
    if (this.waiting.has(body.id)) return undefined;
    const { headers } = request;
    if (headers.get('mcp-session-id') !== this.sessionId) return undefined;
    const accept = headers.get('accept');
    if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
    const version = headers.get('mcp-protocol-version');
    if (version !== null && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return undefined;
    return body;
  }

  private answer(request: Request, message: JsonRpcRequestMessage): Promise<Response> {
    const protocolVersion = request.headers.get('mcp-protocol-version') ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION;
    return new Promise((resolve) => {
      this.waiting.set(
        message.id,
        new PendingAnswer(message.id, resolve, {
          request,
          sessionId: this.sessionId!,
          keepAliveMs: this.keepAliveMs,
          store: this.store,
          primed: readsEmptyEvents(protocolVersion),
          openStream: (pending) => {
            const streamId = `${STREAM_PREFIX}${++this.streams}`;
            this.streaming.set(streamId, pending);
            return streamId;
          },
          closeStream: (streamId) => this.streaming.delete(streamId),
        }),
      );
      this.onmessage?.(message, { request });
    });
  }

  /** A GET with the `Last-Event-ID` of a stream opened here: its missed events, then the rest of it while its request runs. */
  private resume(request: Request): Response | undefined {
    const lastEventId = request.headers.get('last-event-id');
    const streamId = lastEventId === null ? undefined : this.store.streamIdOf(lastEventId);
    if (lastEventId === null || !streamId?.startsWith(STREAM_PREFIX)) return undefined;
    if (this.ended || request.headers.get('mcp-session-id') !== this.sessionId || !request.headers.get('accept')?.includes('text/event-stream')) {
      return undefined;
    }
    const pending = this.streaming.get(streamId);
    if (pending?.attached) return jsonRpcHttpError(409, JsonRpcErrorCode.ServerError, 'Conflict: Stream already has an active connection');
    const missed = this.store.eventsAfter(lastEventId, streamId).filter((event) => Object.keys(event.message).length > 0);
    const { body, writer } = sseBody();
    for (const event of missed) writer.write(sseEvent(event.message, event.id));
    if (pending) pending.attach(writer);
    else writer.end();
    return new Response(body, { status: 200, headers: copyWith(SSE_HEADERS, { 'mcp-session-id': this.sessionId! }) });
  }
}

interface PendingAnswerHost {
  /** The HTTP request the answer is for. */
  request: Request;
  sessionId: string;
  keepAliveMs: number;
  store: BoundedEventStore;
  /** Whether the client reads an empty priming event (protocol 2025-11-25 and later). */
  primed: boolean;
  openStream(pending: PendingAnswer): string;
  closeStream(streamId: string): void;
}

/** One request answered here: its HTTP answer, JSON until something other than the answer comes first. */
class PendingAnswer {
  private resolve: ((response: Response) => void) | undefined;
  private streamId: string | undefined;
  private writer: SseWriter | undefined;
  private readonly quiet: NodeJS.Timeout;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(
    private readonly id: RequestId,
    resolve: (response: Response) => void,
    private readonly host: PendingAnswerHost,
  ) {
    this.resolve = resolve;
    this.quiet = setTimeout(() => this.becomeStream(), host.keepAliveMs);
  }

  get attached(): boolean {
    return this.writer !== undefined;
  }

  deliver(message: JSONRPCMessage, final: boolean): void {
    if (final && this.resolve) {
      clearTimeout(this.quiet);
      const resolve = this.resolve;
      this.resolve = undefined;
      resolve(namingRequestId(this.host.request, JSON.stringify(message), 200, { 'content-type': 'application/json', 'mcp-session-id': this.host.sessionId }));
      return;
    }
    const streamId = this.becomeStream();
    const eventId = this.host.store.store(streamId, message);
    this.writer?.write(sseEvent(message, eventId));
    if (final) this.finish();
  }

  /** The session ended first: the answer is an error rather than nothing. */
  abandon(reason: string): void {
    this.deliver(errorResponse(this.id, JsonRpcErrorCode.InternalError, reason), true);
  }

  /** A client resuming the stream (its connection had broken): what comes next goes to it. */
  attach(writer: SseWriter): void {
    this.writer = writer;
    writer.onCancel(() => this.detach(writer));
  }

  private becomeStream(): string {
    if (this.streamId !== undefined) return this.streamId;
    clearTimeout(this.quiet);
    this.streamId = this.host.openStream(this);
    const { body, writer } = sseBody();
    this.attach(writer);
    if (this.host.primed) writer.write(`id: ${this.host.store.store(this.streamId, {} as JSONRPCMessage)}\ndata: \n\n`);
    this.keepAlive = setInterval(() => this.writer?.write(': keepalive\n\n'), this.host.keepAliveMs);
    const resolve = this.resolve!;
    this.resolve = undefined;
    resolve(new Response(body, { status: 200, headers: copyWith(SSE_HEADERS, { 'mcp-session-id': this.host.sessionId }) }));
    return this.streamId;
  }

  private detach(writer: SseWriter): void {
    if (this.writer === writer) this.writer = undefined;
  }

  private finish(): void {
    clearInterval(this.keepAlive);
    this.writer?.end();
    this.writer = undefined;
    if (this.streamId !== undefined) this.host.closeStream(this.streamId);
  }
}

interface SseWriter {
  write(text: string): void;
  end(): void;
  onCancel(listener: () => void): void;
}

/** An SSE body and the way to write to it; writes after the client went away are dropped. */
function sseBody(): { body: ReadableStream<Uint8Array>; writer: SseWriter } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  let cancelled: (() => void) | undefined;
  const body = new ReadableStream<Uint8Array>({
    start: (streamController) => {
      controller = streamController;
    },
    cancel: () => {
      open = false;
      cancelled?.();
    },
  });
  const writer: SseWriter = {
    write: (text) => {
      if (open) controller.enqueue(encoder.encode(text));
    },
    end: () => {
      if (!open) return;
      open = false;
      controller.close();
    },
    onCancel: (listener) => {
      cancelled = listener;
    },
  };
  return { body, writer };
}

/** Whether a client of this version reads an empty priming event (the fix shipped with 2025-11-25), as the SDK decides. */
function readsEmptyEvents(protocolVersion: string): boolean {
  return SUPPORTED_PROTOCOL_VERSIONS.includes(protocolVersion) && protocolVersion >= '2025-11-25';
}

function sseEvent(message: JSONRPCMessage, eventId: string): string {
  return `event: message\nid: ${eventId}\ndata: ${sseData(message)}\n\n`;
}
