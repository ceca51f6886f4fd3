/**
 * Every HTTP request gets an id: the caller's `X-Request-Id` when it sends a sane one (a reverse
 * proxy's, so one id follows the request through both), otherwise a new UUID. The id is answered
 * in the `X-Request-Id` response header, kept with the request object (where the frontends read
 * it for the hooks' context, the MCP SDK's transports included), and logged with the request.
 *
 * Both are done beside the web `Request` and `Response` rather than in their headers: the Node
 * adapter keeps those headers as plain objects until someone touches them, and a `Headers`
 * object made for one more header cost a busy gateway a few per cent of its CPU per call.
 *
 * With `--log-level debug`, one access line per request: method, path, status, duration, id.
 * Not at `info`: the line costs a synchronous write per request, which a busy gateway should not
 * pay unless asked.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../log/logger.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What a caller's id may look like: short, printable, no spaces, nothing a log reader could mistake. */
const saneRequestId = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

const requestIds = new WeakMap<Request, string>();

/** The request's id, as the middleware set it (undefined for a request that did not pass it). */
export function httpRequestIdOf(request: Request): string | undefined {
  return requestIds.get(request);
}

export interface RequestIdOptions {
  logger: Logger;
  /** Told every answer's status (the metrics count them). */
  onResponse?: (status: number) => void;
  /**
   * Asked once the request has its id: an answer it returns is the request's answer (the
   * gateway's refusal while it stops), counted and logged like any. Here rather than in a
   * middleware of its own: every request passes here, and each middleware layer costs a request
   * an async step of Hono's.
   */
  refuse?: (c: Context) => Response | undefined;
}

export function requestIdMiddleware(options: RequestIdOptions): MiddlewareHandler {
  const { logger, onResponse, refuse } = options;
  const accessLog = logger.isLevelEnabled('debug');
  // Not an async function (decision 64): every request passes here.
  return (c, next) => {
    const start = accessLog ? performance.now() : 0;
    const given = c.req.header(REQUEST_ID_HEADER);
    const id = given !== undefined && saneRequestId.test(given) ? given : randomUUID();
    requestIds.set(c.req.raw, id);
    // Under Node's server the header goes on the outgoing message, where Node adds it to the
    // head it writes; elsewhere (`app.request()`, another runtime) on the web response.
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    outgoing?.setHeader(REQUEST_ID_HEADER, id);
    const refusal = refuse?.(c);
    if (refusal !== undefined) c.res = refusal;
    const answered = refusal === undefined ? next() : Promise.resolve();
    if (outgoing && !accessLog && !onResponse) return answered;
    return answered.then(() => {
      if (!outgoing) setHeader(c.res, REQUEST_ID_HEADER, id);
      onResponse?.(c.res.status);
      if (accessLog) {
        const durationMs = Math.round((performance.now() - start) * 1000) / 1000;
        logger.debug({ requestId: id, method: c.req.method, path: c.req.path, status: c.res.status, durationMs }, 'request');
      }
    });
  };
}

/** Sets a header on a finished response; a response with immutable headers is answered without it rather than failing. */
function setHeader(response: Response, name: string, value: string): void {
  try {
    response.headers.set(name, value);
  } catch {
    // Immutable headers (a response passed through from `fetch`): the id is still in the log.
  }
}
