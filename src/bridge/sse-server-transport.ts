/**
 * The server end of the legacy HTTP+SSE transport (protocol 2024-11-05), for clients that still
 * speak it: a GET opens an event stream whose first event, `endpoint`, names where to POST; every
 * message to the client is an `event: message` on that stream. The SDK's v2 server has no such
 * transport, and it is small enough to own.
 *
 * The endpoint is sent as a relative URL (`messages?sessionId=…`), so it resolves against the
 * URL the client actually used: `/sse` gives `/messages`, `/{server}/sse` gives
 * `/{server}/messages`, and both survive a reverse proxy's path prefix.
 *
 * @module
 */
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import { hasMarkedId, restoreLargeIds } from './large-ids.js';

const encoder = new TextEncoder();

/** The headers of an event stream's response; `no-transform` and `x-accel-buffering` keep proxies from buffering it. */
export const SSE_RESPONSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const;

/** Comment frames keep proxies from cutting a quiet stream (many cut after 60 s of silence). */
export const SSE_KEEP_ALIVE_MS = 15_000;

/**
 * A message as the `data` of an SSE event. U+2028 and U+2029 are valid inside JSON strings but
 * some SSE parsers split lines on them; escaped, the JSON means the same and every parser reads
 * one line. A large id marked when its request was read gets its digits back.
 */
export function sseData(message: JSONRPCMessage): string {
  const written = JSON.stringify(message);
  const json = hasMarkedId(message) ? restoreLargeIds(written) : written;
  return /[\u2028\u2029]/.test(json) ? json.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') : json;
}

export class SseServerTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  /** The stream to return as the GET's response body. */
  readonly stream: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly keepAlive: NodeJS.Timeout;
  private closed = false;
  /** Frames written during this round of the event loop, sent together after it (one write to the socket, not one each). */
  private pending = '';

  constructor(
    readonly sessionId: string,
    keepAliveMs = SSE_KEEP_ALIVE_MS,
  ) {
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        controller.enqueue(encoder.encode(`event: endpoint\ndata: messages?sessionId=${encodeURIComponent(sessionId)}\n\n`));
      },
      cancel: () => void this.close(),
    });
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), keepAliveMs);
    this.keepAlive.unref();
  }

  async start(): Promise<void> {}

  /** The messages (one, or a batch) the client POSTed to the endpoint, already checked to be JSON-RPC. */
  receive(messages: readonly JSONRPCMessage[]): void {
    for (const message of messages) this.onmessage?.(message);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('the SSE stream is closed');
    this.write(`event: message\ndata: ${sseData(message)}\n\n`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.flush();
    try {
      this.controller.close();
    } catch {
      // Already closed by the client going away.
    }
    this.onclose?.();
  }

  private write(frame: string): void {
    if (this.closed) return;
    if (this.pending === '') setImmediate(() => this.flush());
    this.pending += frame;
  }

  private flush(): void {
    if (this.pending === '') return;
    const frames = this.pending;
    this.pending = '';
    try {
      this.controller.enqueue(encoder.encode(frames));
    } catch (error) {
      this.onerror?.(error as Error);
      void this.close();
    }
  }
}
