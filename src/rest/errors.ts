/**
 * How the REST frontend reports every failure: one table from what went wrong to the HTTP status
 * and the body. Bodies follow FastAPI's (and so mcpo's) shapes, because that is what OpenAPI
 * clients of mcpo already parse: `{"detail": {"message": …}}` for call failures and
 * `{"detail": [{"loc", "msg", "type"}]}` for invalid requests.
 *
 * @module
 */
import type { CallToolResult } from '@modelcontextprotocol/client';
import { GatewayError, describeError, errorStatus } from '../errors.js';

/** An HTTP answer that is not the tool's result. */
export interface RestFailure {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One entry of a 422 answer (FastAPI's `ValidationError`). */
export interface ValidationIssue {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

/**
 * JSON-RPC error codes from the upstream, as HTTP statuses. Parse errors and invalid requests
 * are the caller's fault (400), an unknown method is 404, invalid params 422; anything else,
 * including server-defined codes, is the tool failing (500).
 */
const jsonRpcStatus: Record<number, number> = {
  [-32700]: 400,
  [-32600]: 400,
  [-32601]: 404,
  [-32602]: 422,
};

/**
 * The status for each gateway error code, as the REST frontend answers it: the gateway's own
 * table, except that an upstream error without a JSON-RPC code is the tool failing (500, as mcpo
 * answers) rather than a bad gateway. Upstream JSON-RPC errors are looked up in `jsonRpcStatus`.
 */
const gatewayStatus: Record<GatewayError['code'], number> = { ...errorStatus, UPSTREAM_ERROR: 500 };

/** A thrown error (from an upstream call or our own checks) as an HTTP answer. */
export function failureFromError(error: unknown): RestFailure {
  if (!(error instanceof GatewayError)) {
    return { status: 500, body: { detail: { message: 'Unexpected error', error: describeError(error) } } };
  }
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
  if (error.code === 'UPSTREAM_ERROR' && typeof error.details?.code === 'number') {
    const detail: Record<string, unknown> = { message: error.message, code: error.details.code };
    if (error.details.data !== undefined) detail.data = error.details.data;
    return { status: jsonRpcStatus[error.details.code] ?? 500, body: { detail }, headers };
  }
  return { status: gatewayStatus[error.code], body: { detail: { message: error.message, code: error.code } }, headers };
}

/**
 * A tool that answered `isError: true`: 500 with the tool's own text, the body mcpo intends
 * (`{"detail": {"message": …}}`) rather than the mangled one it sends.
 */
export function failureFromToolError(result: CallToolResult): RestFailure {
  const texts = result.content.flatMap((item) => (item.type === 'text' ? [item.text] : []));
  const detail: Record<string, unknown> = { message: texts.length > 0 ? texts.join('\n') : 'Unknown tool execution error' };
  if (result.structuredContent !== undefined) detail.data = result.structuredContent;
  return { status: 500, body: { detail } };
}

/** 422 with FastAPI's body, naming each bad field. */
export function validationFailure(issues: ValidationIssue[]): RestFailure {
  return { status: 422, body: { detail: issues } };
}

export const notFound: RestFailure = { status: 404, body: { detail: 'Not Found' } };
export const methodNotAllowed: RestFailure = { status: 405, body: { detail: 'Method Not Allowed' } };

export function unsupportedMediaType(contentType: string): RestFailure {
  return {
    status: 415,
    body: { detail: `Unsupported Media Type: send the arguments as JSON with "Content-Type: application/json" (got "${contentType}")` },
  };
}

export function payloadTooLarge(limitBytes: number): RestFailure {
  return { status: 413, body: { detail: `Request body is larger than the limit of ${limitBytes} bytes` } };
}

/** A body that ended before it was complete: the client went away mid-body, or sent a broken chunked encoding. */
export function unreadableBody(reason: string): RestFailure {
  return { status: 400, body: { detail: `Request body could not be read: it ended before it was complete (${reason})` } };
}
