/**
 * The HTTP answers the MCP endpoints give themselves (before a message reaches a session): a
 * JSON-RPC error body with `id: null` and the status the specification names, and the JSON body
 * of a POST read under the size and nesting limits.
 *
 * @module
 */
import { isJsonContentType, readRequestBody } from '@modelcontextprotocol/server';
import { GatewayError } from '../errors.js';
import { MAX_NESTING, nestingExceeds } from '../rest/request-body.js';
import { JsonRpcErrorCode } from './json-rpc.js';
import { markLargeIds } from './large-ids.js';

export function jsonRpcHttpError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** The parsed JSON body of an MCP POST, or the error answer when there is none to parse. */
export type JsonRpcBody = { body: unknown; largeIds: boolean } | { response: Response };

/**
 * The parsed JSON body of an MCP POST, or the error answer when there is none to parse.
 * `largeIds` says that an id beyond the safe integer range was marked (see `large-ids.ts`).
 * Not an async function (decision 64): every MCP POST passes here.
 */
export function readJsonRpcBody(request: Request, maxBytes: number): Promise<JsonRpcBody> {
  if (!isJsonContentType(request.headers.get('content-type'))) {
    return Promise.resolve({ response: jsonRpcHttpError(415, JsonRpcErrorCode.ServerError, 'Unsupported Media Type: Content-Type must be application/json') });
  }
  const declaredLength = request.headers.get('content-length');
  if (declaredLength !== null && Number(declaredLength) > maxBytes) return Promise.resolve(tooLarge(maxBytes));
  // With a declared length, `text()` is served by the Node adapter straight from the socket;
  // reading the web stream (needed to stop an undeclared body at the limit) costs far more.
  let text: Promise<string | undefined>;
  try {
    text = declaredLength !== null ? request.text() : readRequestBody(request, maxBytes).then((read) => (read.tooLarge ? undefined : read.text));
  } catch (error) {
    text = Promise.reject(error);
  }
  return text.then(
    (read) => (read === undefined ? tooLarge(maxBytes) : parsedBody(read)),
    // The client closed the connection before the whole body arrived (or broke its chunked
    // encoding): the request's fault, not an error of the gateway's, which the error handler
    // would log as a bug. Nobody may be left to read this answer.
    (error: unknown) => ({
      response: jsonRpcHttpError(400, JsonRpcErrorCode.ServerError, `Bad Request: the request body could not be read (${(error as Error).message})`),
    }),
  );
}

function parsedBody(text: string): JsonRpcBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return { response: jsonRpcHttpError(400, JsonRpcErrorCode.ParseError, `Parse error: ${(error as Error).message}`) };
  }
  // The REST frontend's limit, for the same reason: what walks a message later (hooks such as the
  // audit log's masking, its serialisation for the server) recurses, and a body nested a hundred
  // thousand levels deep overflowed the stack there, failing the call with an internal error.
  if (nestingExceeds(body, MAX_NESTING)) {
    return { response: jsonRpcHttpError(400, JsonRpcErrorCode.InvalidRequest, `Bad Request: the JSON body is nested deeper than ${MAX_NESTING} levels`) };
  }
  return { body, largeIds: markLargeIds(body, text) };
}

/** The answer for a body over the limit, made only when one is (not per request). */
function tooLarge(maxBytes: number): { response: Response } {
  return { response: jsonRpcHttpError(413, JsonRpcErrorCode.ServerError, `Payload Too Large: the body is over ${maxBytes} bytes`) };
}

/** The answer for a session id no session has (expired, closed, or from before a restart). */
export function unknownSession(sessionId: string): Response {
  return jsonRpcHttpError(404, -32001, `Session not found: ${sessionId} (it ended or expired; start a new one with initialize)`);
}

/** A session that cannot be opened (a per-session server at its `maxSessions`), with `Retry-After`; other errors are rethrown. */
export function refusedSession(error: unknown): Response {
  if (!(error instanceof GatewayError)) throw error;
  const headers: Record<string, string> = error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) };
  return jsonRpcHttpError(error.status, JsonRpcErrorCode.ServerError, error.message, headers);
}
