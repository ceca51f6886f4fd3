/**
 * Every HTTP request gets an id: the caller's `X-Request-Id` when it sends a sane one (a reverse
 * proxy's, so one id follows the request through both), otherwise a new UUID. The id is answered
 * in the `X-Request-Id` response header, put on the request itself (where the frontends read it
 * for the hooks' context, the MCP SDK's transports included), and logged with the request.
 *
 * With `--log-level debug`, one access line per request: method, path, status, duration, id.
 * Not at `info`: the line costs a synchronous write per request, which a busy gateway should not
 * pay unless asked.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../log/logger.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What a caller's id may look like: short, printable, no spaces, nothing a log reader could mistake. */
const saneRequestId = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The request's id, as the middleware set it (undefined for a request that did not pass it). */
export function httpRequestIdOf(request: Request): string | undefined {
  return request.headers.get(REQUEST_ID_HEADER) ?? undefined;
}

export interface RequestIdOptions {
  logger: Logger;
  /** Told every answer's status (the metrics count them). */
  onResponse?: (status: number) => void;
}

export function requestIdMiddleware(options: RequestIdOptions): MiddlewareHandler {
  const { logger, onResponse } = options;
  const accessLog = logger.isLevelEnabled('debug');
  return async (c, next) => {
    const start = accessLog ? performance.now() : 0;
    const given = c.req.header(REQUEST_ID_HEADER);
    let id = given;
    if (given === undefined || !saneRequestId.test(given)) {
      id = randomUUID();
      c.req.raw.headers.set(REQUEST_ID_HEADER, id);
    }
    await next();
    setHeader(c.res, REQUEST_ID_HEADER, id!);
    onResponse?.(c.res.status);
    if (accessLog) {
      const durationMs = Math.round((performance.now() - start) * 1000) / 1000;
      logger.debug({ requestId: id, method: c.req.method, path: c.req.path, status: c.res.status, durationMs }, 'request');
    }
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
