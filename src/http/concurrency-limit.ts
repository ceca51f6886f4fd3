/**
 * At most `max` requests in flight at once per caller: per API key when keys are set (the
 * credentials presented, so one key's burst never starves another's), per client address
 * otherwise. One more is answered 429 with `Retry-After` at once, never queued: a queue would
 * hold the caller's connection and memory for a server that is already busy.
 *
 * A request counts until its answer is complete: an MCP call answered as an SSE stream returns
 * its `Response` at once and streams the result later, so its count is released when the stream
 * ends (or the client goes away), not when the handler returns. Only POSTs count: they carry
 * the calls; a GET listening on an MCP stream is a subscription, not work in flight.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono';
import { whenStreamEnds } from '../bridge/stream-end.js';
import { GatewayError } from '../errors.js';
import { remoteAddressOf } from './remote-address.js';

export interface ConcurrencyLimitOptions {
  max: number;
  /** Whether API keys are set: callers are then told apart by their credentials. */
  byApiKey: boolean;
}

/** Seconds a refused caller is asked to wait: calls in flight usually end within that. */
const RETRY_AFTER_SECONDS = 1;

export function concurrencyLimit(options: ConcurrencyLimitOptions): MiddlewareHandler {
  const inFlight = new Map<string, number>();
  const release = (caller: string): void => {
    const count = (inFlight.get(caller) ?? 1) - 1;
    if (count <= 0) inFlight.delete(caller);
    else inFlight.set(caller, count);
  };
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const caller = callerOf(c, options.byApiKey);
    const count = inFlight.get(caller) ?? 0;
    if (count >= options.max) {
      const who = options.byApiKey ? 'this API key' : 'this client address';
      throw new GatewayError('TOO_MANY_REQUESTS', `too many requests in flight for ${who}: at most ${options.max} at once (--max-concurrent-requests); retry when one has finished`, {
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      });
    }
    inFlight.set(caller, count + 1);
    try {
      await next();
    } catch (error) {
      release(caller);
      throw error;
    }
    // Only a stream is still at work once the handler has returned; any other body is complete.
    const streaming = c.res.body !== null && (c.res.headers.get('content-type') ?? '').startsWith('text/event-stream');
    if (streaming) c.res = whenStreamEnds(c.res, () => release(caller));
    else release(caller);
  };
}

/** The key a caller's requests are counted under; the credentials are kept only while a request of theirs is in flight. */
function callerOf(c: Context, byApiKey: boolean): string {
  if (byApiKey) return `key:${c.req.header('authorization') ?? ''}`;
  return `address:${remoteAddressOf(c) ?? ''}`;
}
