/**
 * Every HTTP request gets an id: the caller's `X-Request-Id` when it sends a sane one (a reverse
 * proxy's, so one id follows the request through both), otherwise a new UUID. The id is answered
 * in the `X-Request-Id` response header, kept with the request object (where the frontends read
 * it for the hooks' context, the MCP SDK's transports included), and logged with the request.
 *
 * Done around the app's `fetch` rather than as a Hono middleware (decision 68): Hono calls a
 * route's handler directly when it is the only one a request matches, and through an async
 * chain (a frame, a promise and a closure per layer) when there are more; an app-wide
 * middleware made every request take the chain.
 *
 * Both the id and its header are kept beside the web `Request` and `Response` rather than in
 * their headers: the Node adapter keeps those headers as plain objects until someone touches
 * them, and a `Headers` object made for one more header cost a busy gateway a few per cent of
 * its CPU per call. The id rides on the request object itself, not in a `WeakMap` (whose entries
 * every scavenge must revisit). Under Node's server, an answer made for one request names the id
 * among its own headers ({@link namingRequestId}); others get it on Node's outgoing message once
 * they are made. Setting it there first would make Node merge every header of the answer one by
 * one, which is why the hot answers name it themselves.
 *
 * With `--log-level debug`, one access line per request: method, path, status, duration, id.
 * Not at `info`: the line costs a synchronous write per request, which a busy gateway should not
 * pay unless asked.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Hono } from 'hono';
import { getPath } from 'hono/utils/url';
import type { Logger } from '../log/logger.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What a caller's id may look like: short, printable, no spaces, nothing a log reader could mistake. */
const saneRequestId = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** Where a request keeps its id. */
const REQUEST_ID = Symbol('mcpgate.requestId');
/** Marks an answer whose own headers name its request's id. */
const NAMES_REQUEST_ID = Symbol('mcpgate.namesRequestId');

type WithRequestId = { [REQUEST_ID]?: string };
type NamingRequestId = { [NAMES_REQUEST_ID]?: true };

/** The request's id, as given when the app answered it (undefined for a request that did not pass there). */
export function httpRequestIdOf(request: Request): string | undefined {
  return (request as WithRequestId)[REQUEST_ID];
}

/**
 * `headers` with the id of the request they answer added, and the answer made from them: made
 * this way, a busy answer's headers go to Node's server in one piece. `headers` must be the
 * caller's own object (it is added to).
 */
export function namingRequestId(request: Request, body: string | null, status: number, headers: Record<string, string>): Response {
  const id = httpRequestIdOf(request);
  if (id === undefined) return new Response(body, { status, headers });
  headers[REQUEST_ID_HEADER] = id;
  const response = new Response(body, { status, headers });
  (response as NamingRequestId)[NAMES_REQUEST_ID] = true;
  return response;
}

export interface RequestIdOptions {
  logger: Logger;
  /** Told every answer's status (the metrics count them). */
  onResponse?: (status: number) => void;
  /**
   * Asked once the request has its id: an answer it returns is the request's answer (the
   * gateway's refusal while it stops), counted and logged like any.
   */
  refuse?: () => Response | undefined;
}

type Fetch = Hono['fetch'];

/**
 * Makes `app.fetch` (and with it `app.request()`, and the server given `app.fetch`) give every
 * request its id before the app sees it. An app mounted into another one with `route()` brings
 * its routes only: the outer app's `fetch` is the one that runs.
 */
export function answerWithRequestIds(app: Hono, options: RequestIdOptions): void {
  app.fetch = requestIdFetch(app.fetch, options);
}

function requestIdFetch(dispatch: Fetch, options: RequestIdOptions): Fetch {
  const { logger, onResponse, refuse } = options;
  const accessLog = logger.isLevelEnabled('debug');
  // Not an async function (decision 64): every request passes here.
  return (request, env, executionContext) => {
    const start = accessLog ? performance.now() : 0;
    const given = request.headers.get(REQUEST_ID_HEADER);
    const id = given !== null && saneRequestId.test(given) ? given : randomUUID();
    (request as WithRequestId)[REQUEST_ID] = id;
    // Under Node's server the header goes on the outgoing message, where Node adds it to the
    // head it writes; elsewhere (`app.request()`, another runtime) on the web response.
    const outgoing = (env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    const answered = (response: Response): Response => {
      if ((response as NamingRequestId)[NAMES_REQUEST_ID] !== true) {
        if (!outgoing) setHeader(response, REQUEST_ID_HEADER, id);
        else if (!outgoing.headersSent) outgoing.setHeader(REQUEST_ID_HEADER, id);
      }
      onResponse?.(response.status);
      if (accessLog) {
        const durationMs = Math.round((performance.now() - start) * 1000) / 1000;
        logger.debug({ requestId: id, method: request.method, path: getPath(request), status: response.status, durationMs }, 'request');
      }
      return response;
    };
    const answer = refuse?.() ?? dispatch(request, env, executionContext);
    return answer instanceof Promise ? answer.then(answered) : answered(answer);
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
