/**
 * The cancellation of an upstream call made for an HTTP request: it aborts when the client goes
 * away before its answer is written (it closed the connection, or the connection broke), as the
 * Node adapter's `request.signal` does, without making that signal (see
 * `upstream/call-cancellation.ts` for why). Outside Node's server (`app.request()`, another
 * runtime) it is the request's own signal.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { CallCancellation, type CancelSignal } from '../upstream/call-cancellation.js';

export function callerGone(c: Context): CancelSignal {
  const { incoming, outgoing } = (c.env ?? {}) as { incoming?: IncomingMessage; outgoing?: ServerResponse };
  if (!incoming || !outgoing) return c.req.raw.signal;
  const cancellation = new CallCancellation();
  outgoing.once('close', () => {
    if (incoming.errored || !outgoing.writableFinished) cancellation.abort(new Error('the client closed the connection before the answer'));
  });
  return cancellation;
}
