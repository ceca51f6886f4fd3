/**
 * How a caller cancels an upstream call: an `AbortSignal`, or a `CallCancellation`.
 *
 * Every call the gateway passes on must be cancellable (an HTTP client that disconnects, an MCP
 * client's `notifications/cancelled`), yet almost none is cancelled. Under Node 20 an
 * `AbortSignal` with one listener costs about 4 µs to make and use, most of it in `EventTarget`:
 * a twentieth of the gateway's whole CPU per proxied call. A `CallCancellation` has the part of
 * `AbortSignal` the calls use, at the cost of a plain object.
 *
 * @module
 */

/** What a call needs of its cancellation; an `AbortSignal` is one. */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A cancellation that listeners hear once, when `abort` is first called. */
export class CallCancellation implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  // A call has one listener (its upstream request's); an array is made only for more.
  private listener: (() => void) | undefined = undefined;
  private moreListeners: (() => void)[] | undefined = undefined;

  abort(reason: unknown = new Error('the call was cancelled')): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const { listener, moreListeners } = this;
    this.listener = undefined;
    this.moreListeners = undefined;
    listener?.();
    if (moreListeners) for (const more of moreListeners) more();
  }

  /** Listeners hear the abort once, whatever `options` say, as `{once: true}` would. */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    if (this.listener === undefined && this.moreListeners === undefined) this.listener = listener;
    else (this.moreListeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    if (this.listener === listener) {
      this.listener = undefined;
      return;
    }
    const index = this.moreListeners?.indexOf(listener) ?? -1;
    if (index >= 0) this.moreListeners!.splice(index, 1);
  }
}

/**
 * `signal` as an `AbortSignal`, for the SDK's request options: itself when it is one, otherwise
 * one that aborts with it. The SDK's own calls are not on the hot path; the lean one takes any.
 */
export function asAbortSignal(signal: CancelSignal | undefined): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  if (signal.aborted) return AbortSignal.abort(signal.reason);
  const controller = new AbortController();
  signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller.signal;
}
