/**
 * The few JSON-RPC shapes the bridge tells apart, and the error answers it writes itself. Ids are
 * kept exactly as the client sent them (string, number, large number), and are map keys as they
 * are: a `Map` (and `===`) never confuses the string "1" with the number 1. A key made of the id's
 * type and text was a string built and hashed several times per call, for nothing.
 *
 * @module
 */
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage } from '@modelcontextprotocol/client';
import { copyWith } from '../copy-with.js';
import { isJsonObject } from '../config/json-path.js';
import { GatewayError } from '../errors.js';
import { MODERN_PROTOCOL_VERSION } from '../upstream/connect.js';

export type RequestId = string | number;

export type JsonRpcRequest = { jsonrpc: '2.0'; id: RequestId; method: string; params?: Record<string, unknown> };
export type JsonRpcNotification = { jsonrpc: '2.0'; method: string; params?: Record<string, unknown> };
export type JsonRpcResponse = { jsonrpc: '2.0'; id: RequestId | null } & (
  | { result: Record<string, unknown> }
  | { error: { code: number; message: string; data?: unknown } }
);

export function isRequest(message: JSONRPCMessage): message is JSONRPCMessage & JsonRpcRequest {
  return 'method' in message && 'id' in message && message.id !== undefined;
}

export function isNotification(message: JSONRPCMessage): message is JSONRPCMessage & JsonRpcNotification {
  return 'method' in message && !('id' in message && message.id !== undefined);
}

export function isResponse(message: JSONRPCMessage): message is JSONRPCMessage & JsonRpcResponse {
  return !('method' in message) && ('result' in message || 'error' in message);
}

/**
 * A JSON-RPC request exactly as the SDK's message schema accepts one: `jsonrpc`, an `id` that is
 * a string or a safe integer, a `method`, object `params` (with an object `_meta` when present),
 * and no other member.
 */
export function isStrictRequest(body: unknown): body is JSONRPCMessage & JsonRpcRequest {
  if (!isJsonObject(body) || body.jsonrpc !== '2.0' || typeof body.method !== 'string') return false;
  const { id, params } = body;
  if (typeof id !== 'string' && !Number.isSafeInteger(id)) return false;
  for (const key in body) if (key !== 'jsonrpc' && key !== 'id' && key !== 'method' && key !== 'params') return false;
  if (params === undefined) return true;
  return isJsonObject(params) && (params._meta === undefined || isJsonObject(params._meta));
}

/** The first protocol version without sessions; versions are dates, so they compare as strings. */
export const FIRST_STATELESS_PROTOCOL_VERSION = MODERN_PROTOCOL_VERSION;

/** The client capability each request a server may send its client needs. */
export const CLIENT_CAPABILITY_OF: Readonly<Record<string, string>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/** JSON-RPC error codes the bridge answers with. */
export const JsonRpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** The transport-level error the specification's examples use for session problems. */
  ServerError: -32000,
  /** The SDKs' "request timed out". */
  RequestTimeout: -32001,
} as const;

export function errorResponse(id: RequestId | null, code: number, message: string, data?: unknown): JSONRPCMessage {
  return { jsonrpc: '2.0', id, error: { code, message, ...(data === undefined ? {} : { data }) } } as JSONRPCMessage;
}

export function resultResponse(id: RequestId, result: Record<string, unknown>): JSONRPCMessage {
  return { jsonrpc: '2.0', id, result } as JSONRPCMessage;
}

/** A gateway failure as the JSON-RPC error an MCP client expects: the server's own error unchanged. */
export function gatewayErrorResponse(id: RequestId, error: unknown): JSONRPCMessage {
  if (!(error instanceof GatewayError)) {
    return errorResponse(id, JsonRpcErrorCode.InternalError, error instanceof Error ? error.message : String(error));
  }
  const details = error.details as { code?: unknown; data?: unknown } | undefined;
  switch (error.code) {
    case 'UPSTREAM_ERROR':
      return typeof details?.code === 'number'
        ? errorResponse(id, details.code, error.message, details.data)
        : errorResponse(id, JsonRpcErrorCode.InternalError, error.message);
    case 'UPSTREAM_TIMEOUT':
      return errorResponse(id, JsonRpcErrorCode.RequestTimeout, error.message);
    case 'UNKNOWN_TOOL':
      return errorResponse(id, JsonRpcErrorCode.InvalidParams, error.message);
    default:
      return errorResponse(id, JsonRpcErrorCode.InternalError, error.message, {
        reason: error.code,
        ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      });
  }
}

/**
 * When the client asked for progress (`_meta.progressToken`), a callback that passes the
 * server's progress on to it under the client's own token; the SDK client gives the server a
 * token of its own, so tokens of different clients never meet upstream.
 */
export function progressRelay(
  params: Record<string, unknown> | undefined,
  deliver: (notification: JSONRPCMessage) => void,
): ((progress: Record<string, unknown>) => void) | undefined {
  const progressToken = (params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
  if (typeof progressToken !== 'string' && typeof progressToken !== 'number') return undefined;
  return (progress) => deliver({ jsonrpc: '2.0', method: 'notifications/progress', params: copyWith(progress, { progressToken }) } as JSONRPCMessage);
}

/** The protocol version to answer an `initialize` with: the client's when the gateway speaks it, else the latest. */
export function negotiatedProtocolVersion(params: Record<string, unknown> | undefined): string {
  const requested = params?.protocolVersion;
  return typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
}
