/**
 * Recognises the failures that mean an HTTP upstream connection is no longer usable, so the
 * supervisor can reconnect instead of failing every later call (mcpo's "Session terminated"
 * on every call after an upstream restart).
 *
 * @module
 */
import { SdkHttpError, SseError } from '@modelcontextprotocol/client';

export type HttpFailure =
  /** The server no longer knows our session (it restarted, or reaped us). It did no work. */
  | 'session-lost'
  /** The server cannot be reached at all (refused, reset, DNS). */
  | 'unreachable'
  /** The legacy SSE event stream broke; the server-side session went with it. */
  | 'stream-lost';

function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** Classifies an error from an HTTP transport, or returns undefined when the connection is fine. */
export function classifyHttpFailure(error: unknown): HttpFailure | undefined {
  if (error instanceof SseError) return 'stream-lost';
  if (error instanceof SdkHttpError) {
    // 404 is the specification's answer for an unknown session; some servers answer 400 and say so.
    if (error.status === 404) return 'session-lost';
    if (error.status === 400 && /session/i.test(error.message)) return 'session-lost';
    return undefined;
  }
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) return 'unreachable';
  const code = causeCode(error);
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'UND_ERR_SOCKET'].includes(code)) return 'unreachable';
  return undefined;
}

/** A readable reason, including the system error code behind undici's bare "fetch failed". */
export function describeHttpFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = causeCode(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
