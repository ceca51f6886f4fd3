/**
 * The requests a gateway passes on (tool calls, forwarded requests) on a session-era connection,
 * written straight to the connection's transport beside the SDK client, which keeps everything
 * else: the handshake, catalog lists, notifications, the server's own requests.
 *
 * Why: the SDK client's request path is built for callers that want typed, checked results. Per
 * request it checks the response's shape with zod twice, decodes the result through its era
 * codec, runs the caller's result schema as a promise, and keeps a timer record and an abort
 * listener in three maps. A gateway hands results on as the server sent them, and that work was
 * a tenth of its CPU per call. Here a request is an id, one object and an entry in one map.
 *
 * What the SDK's request path does and this keeps:
 * - ids of their own (`mcpgate-<n>`, strings, which the specification allows), so a response
 *   is never mistaken for one of the SDK client's requests, nor the reverse;
 * - progress: `notifications/progress` with a request's token goes to its `onprogress` and
 *   restarts its timeout; nobody else sees it, as with the SDK;
 * - the timeout and the caller's abort cancel the request upstream (`notifications/cancelled`)
 *   and fail it with the SDK's own errors, so callers tell them apart as before;
 * - a JSON-RPC error answer fails it with the SDK's `ProtocolError`;
 * - the connection closing fails every request still waiting;
 * - a response is settled one microtask after it arrives, as `connect.ts` makes the SDK client
 *   do, so a log message that came just before it is handled first.
 *
 * Only session-era connections: a 2026-07-28 request carries an envelope and may come back
 * `input_required`, which is the SDK's to handle.
 *
 * @module
 */
import { ProtocolError, SdkError, SdkErrorCode, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/client';
import { copyWith } from '../copy-with.js';
import { InFlightMap } from '../in-flight-map.js';
import type { CancelSignal } from './call-cancellation.js';

/** The id prefix of requests sent here. */
const ID_PREFIX = 'mcpgate-';

/** The options `Upstream` gives every request, the SDK client's or this path's. */
export interface LeanRequestOptions {
  /** In milliseconds, as the SDK client's `timeout`. */
  timeout: number;
  /** Aborting cancels the request upstream. */
  signal?: CancelSignal | undefined;
  /** Receives the server's progress for this request; each one restarts the timeout. */
  onprogress?: ((progress: { progress: number; total?: number; message?: string }) => void) | undefined;
}

/**
 * A request sent and not yet answered: settles its promise once, removing its abort listener. A
 * class rather than closures: one object per request on the hot path.
 */
class Waiting {
  readonly answer: Promise<Record<string, unknown>>;
  /** `performance.now()` past which it has timed out; progress moves it on. */
  deadline: number;
  readonly timeout: number;
  readonly onprogress: LeanRequestOptions['onprogress'];
  private resolveAnswer!: (result: Record<string, unknown>) => void;
  private rejectAnswer!: (error: unknown) => void;
  private readonly signal: CancelSignal | undefined;

  constructor(
    private readonly requests: LeanRequests,
    readonly id: string,
    options: LeanRequestOptions,
  ) {
    this.answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      this.resolveAnswer = resolve;
      this.rejectAnswer = reject;
    });
    this.onprogress = options.onprogress;
    this.timeout = options.timeout;
    this.deadline = performance.now() + options.timeout;
    this.signal = options.signal;
    this.signal?.addEventListener('abort', this.aborted, { once: true });
  }

  /** The caller's abort: the server is told, the caller gets the signal's reason. */
  readonly aborted = (): void => this.requests.giveUp(this.id, this.signal?.reason);

  resolve(result: Record<string, unknown>): void {
    this.settle();
    this.resolveAnswer(result);
  }

  reject(error: unknown): void {
    this.settle();
    this.rejectAnswer(error);
  }

  private settle(): void {
    this.signal?.removeEventListener('abort', this.aborted);
  }
}

/**
 * How often the requests waiting are checked against their deadlines: a tenth of the timeout,
 * between 10 ms and 1 s. One timer for all of them rather than one per request: a request's timer
 * lived as long as the request, and so was copied by every scavenge that found it in flight.
 */
function sweepIntervalMs(timeout: number): number {
  return Math.min(1000, Math.max(10, Math.floor(timeout / 10)));
}

export class LeanRequests {
  private sent = 0;
  private closed = false;
  private readonly waiting = new InFlightMap<string, Waiting>();
  private sweeper: NodeJS.Timeout | undefined;
  private sweepEveryMs = Infinity;

  /** Takes its own responses and progress off `transport` (already connected by the SDK client). */
  constructor(private readonly transport: Transport) {
    const deliver = transport.onmessage;
    transport.onmessage = (message, extra) => {
      if (!this.take(message)) deliver?.(message, extra);
    };
    const closed = transport.onclose;
    transport.onclose = () => {
      this.failAll(new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed'));
      closed?.();
    };
  }

  /** Sends `method` with `params` and resolves with the server's result object. */
  request(method: string, params: Record<string, unknown> | undefined, options: LeanRequestOptions): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new SdkError(SdkErrorCode.NotConnected, 'Not connected'));
    const { signal, onprogress } = options;
    if (signal?.aborted) return Promise.reject(new SdkError(SdkErrorCode.RequestTimeout, String(signal.reason)));
    const id = `${ID_PREFIX}${++this.sent}`;
    const sentParams = onprogress ? copyWith(params, { _meta: copyWith(params?._meta as object | undefined, { progressToken: id }) }) : params;
    const waiting = new Waiting(this, id, options);
    this.waiting.set(id, waiting);
    this.sweepWithin(sweepIntervalMs(options.timeout));
    const message = (sentParams === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params: sentParams }) as JSONRPCMessage;
    this.transport.send(message).catch((error: unknown) => {
      if (this.waiting.delete(id)) waiting.reject(error);
    });
    return waiting.answer;
  }

  /** Whether `message` was one of ours (a response, or progress for a request sent here). */
  private take(message: JSONRPCMessage): boolean {
    if ('method' in message) {
      if (message.method !== 'notifications/progress' || !('params' in message)) return false;
      const { progressToken, ...progress } = (message.params ?? {}) as { progressToken?: unknown; progress: number };
      if (typeof progressToken !== 'string' || !progressToken.startsWith(ID_PREFIX)) return false;
      const waiting = this.waiting.get(progressToken);
      if (waiting) {
        waiting.deadline = performance.now() + waiting.timeout;
        waiting.onprogress?.(progress);
      }
      return true;
    }
    const id = (message as { id?: unknown }).id;
    if (typeof id !== 'string' || !id.startsWith(ID_PREFIX)) return false;
    const waiting = this.waiting.get(id);
    if (!waiting) return true;
    this.waiting.delete(id);
    // The transports pass on only well-formed messages: a result is an object.
    queueMicrotask(() => {
      if ('error' in message) {
        const { code, message: text, data } = message.error;
        waiting.reject(ProtocolError.fromError(code, text, data));
      } else waiting.resolve((message as { result: Record<string, unknown> }).result);
    });
    return true;
  }

  /** Runs the sweep at least every `intervalMs` while requests wait. */
  private sweepWithin(intervalMs: number): void {
    if (this.sweeper !== undefined && this.sweepEveryMs <= intervalMs) return;
    clearInterval(this.sweeper);
    this.sweepEveryMs = intervalMs;
    this.sweeper = setInterval(() => this.sweep(), intervalMs);
  }

  /** Gives up on the requests past their deadline; stops when none is left waiting. */
  private sweep(): void {
    const now = performance.now();
    const expired: Waiting[] = [];
    for (const waiting of this.waiting.values()) if (waiting.deadline <= now) expired.push(waiting);
    for (const waiting of expired) {
      this.giveUp(waiting.id, new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out', { timeout: waiting.timeout }));
    }
    if (this.waiting.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
      this.sweepEveryMs = Infinity;
    }
  }

  /** Gives up on request `id`: the server is told, the caller gets `reason`. */
  giveUp(id: string, reason: unknown): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.waiting.delete(id);
    const cancelled = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: String(reason) } } as JSONRPCMessage;
    this.transport.send(cancelled).catch(() => undefined);
    waiting.reject(reason instanceof SdkError ? reason : new SdkError(SdkErrorCode.RequestTimeout, String(reason)));
  }

  private failAll(error: SdkError): void {
    this.closed = true;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const request of waiting) request.reject(error);
  }
}
