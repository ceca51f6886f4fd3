/**
 * A lean client session of the gateway's legacy HTTP+SSE endpoint (`/sse`): a GET opens the event
 * stream, whose first event (`endpoint`) names where to POST (`messages?sessionId=…`); each request
 * is one POST, answered 202, and its answer arrives on the stream, matched by id. The handshake is
 * done by hand, as on `/mcp`. Closing the stream ends the session.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { CallTimeoutError } from './call-loop.js';
import { CALL_TIMEOUT_MS, httpRequest, openStream } from './http-request.js';
import { INITIALIZE_PARAMS, notificationBody, requestBody, resultOf, type JsonRpcAnswer, type RequestId } from './json-rpc.js';
import { SseParser } from './sse-events.js';

const POST_HEADERS = { 'content-type': 'application/json' };

interface Waiting {
  resolve: (answer: JsonRpcAnswer) => void;
  reject: (error: Error) => void;
  sentAt: number;
}

export class SseSession {
  private readonly waiting = new Map<RequestId, Waiting>();
  private lastId = 0;
  private ended: Error | undefined;
  /** One timer for every call: a timer per call would cost this process CPU on each one. */
  private readonly timeoutSweep: NodeJS.Timeout;

  private constructor(
    private readonly stream: IncomingMessage,
    private readonly messagesUrl: URL,
    parser: SseParser,
  ) {
    stream.on('data', (chunk: string) => {
      for (const event of parser.push(chunk)) if (event.event === 'message') this.settle(JSON.parse(event.data) as JsonRpcAnswer);
    });
    stream.on('close', () => this.end(new Error('the SSE stream ended')));
    this.timeoutSweep = setInterval(() => this.expire(), 1_000);
    this.timeoutSweep.unref();
  }

  /** Opens a session on `sseUrl` (e.g. `http://127.0.0.1:8000/sse`) and makes the handshake. */
  static async open(sseUrl: URL): Promise<SseSession> {
    const stream = await openStream(sseUrl, { accept: 'text/event-stream' });
    if (stream.statusCode !== 200) {
      stream.destroy();
      throw new Error(`GET ${sseUrl.pathname}: HTTP ${stream.statusCode}`);
    }
    stream.setEncoding('utf8');
    const parser = new SseParser();
    const endpoint = await new Promise<string>((resolve, reject) => {
      const read = (chunk: string): void => {
        const first = parser.push(chunk)[0];
        if (!first) return;
        stream.off('data', read);
        if (first.event === 'endpoint') resolve(first.data);
        else reject(new Error(`the SSE stream began with "${first.event}" rather than "endpoint"`));
      };
      stream.on('data', read);
      stream.once('close', () => reject(new Error('the SSE stream ended before its endpoint event')));
    }).catch((error: unknown) => {
      stream.destroy();
      throw error;
    });
    // Relative to the stream's URL, as the gateway announces it.
    const session = new SseSession(stream, new URL(endpoint, sseUrl), parser);
    try {
      await session.request('initialize', INITIALIZE_PARAMS);
      const initialized = await httpRequest(session.messagesUrl, 'POST', POST_HEADERS, notificationBody('notifications/initialized'));
      if (initialized.status !== 202) throw new Error(`notifications/initialized: HTTP ${initialized.status} ${initialized.body.slice(0, 200)}`);
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  /** Sends a request and resolves with its result once the answer has come on the stream. */
  async request(method: string, params?: unknown): Promise<unknown> {
    if (this.ended) throw this.ended;
    const id = ++this.lastId;
    const answered = new Promise<JsonRpcAnswer>((resolve, reject) => this.waiting.set(id, { resolve, reject, sentAt: performance.now() }));
    const accepted = httpRequest(this.messagesUrl, 'POST', POST_HEADERS, requestBody(id, method, params)).then((answer) => {
      if (answer.status !== 202) throw new Error(`POST ${this.messagesUrl.pathname}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
    });
    // Awaited together: the answer may come before the 202, and either may fail first.
    try {
      const [answer] = await Promise.all([answered, accepted]);
      return resultOf(answer);
    } finally {
      this.waiting.delete(id);
    }
  }

  /** Closes the stream: the gateway ends the session when it sees it go. */
  async close(): Promise<void> {
    clearInterval(this.timeoutSweep);
    this.stream.destroy();
    this.end(new Error('the session was closed'));
  }

  private settle(answer: JsonRpcAnswer): void {
    if (typeof answer.id !== 'number') return;
    const waiting = this.waiting.get(answer.id);
    if (!waiting) return;
    this.waiting.delete(answer.id);
    waiting.resolve(answer);
  }

  private expire(): void {
    const now = performance.now();
    for (const [id, waiting] of this.waiting) {
      if (now - waiting.sentAt < CALL_TIMEOUT_MS) continue;
      this.waiting.delete(id);
      waiting.reject(new CallTimeoutError(`no answer on the SSE stream within ${CALL_TIMEOUT_MS} ms to request ${id}`));
    }
  }

  private end(reason: Error): void {
    this.ended ??= reason;
    clearInterval(this.timeoutSweep);
    for (const waiting of this.waiting.values()) waiting.reject(reason);
    this.waiting.clear();
  }
}
