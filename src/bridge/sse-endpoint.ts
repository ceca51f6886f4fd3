/**
 * `/sse` + `/messages` (and `/{server}/sse` + `/{server}/messages`): the legacy HTTP+SSE
 * transport. The GET stream is the session: it lives as long as the stream is open, and a POST
 * to `messages?sessionId=…` delivers one message to it (202; the answer comes on the stream), or
 * a batch; a body that is not JSON-RPC is refused with 400 before the session sees it.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { parseJSONRPCMessage, type JSONRPCMessage } from '@modelcontextprotocol/server';
import { namingRequestId } from '../http/request-id.js';
import type { Bridge } from './bridge.js';
import { jsonRpcHttpError, readJsonRpcBody, refusedSession, unknownSession } from './http-answers.js';
import { isStrictRequest, JsonRpcErrorCode } from './json-rpc.js';
import { SSE_RESPONSE_HEADERS, SseServerTransport } from './sse-server-transport.js';

export interface SseEndpointOptions {
  bridge: Bridge;
  maxBodyBytes: number;
}

/** GET `/sse`: opens a session whose stream is the response. */
export function openSseSession(server: string, options: SseEndpointOptions, address?: string): Response {
  const { bridge } = options;
  const transport = new SseServerTransport(randomUUID(), bridge.keepAliveMs);
  try {
    const session = bridge.open(server, transport, () => bridge.sessions.remove(transport.sessionId), { frontend: 'sse', ...(address === undefined ? {} : { address }) });
    bridge.sessions.add({ id: transport.sessionId, server, endpoint: 'sse', transport, session, openStreams: 1 });
  } catch (error) {
    void transport.close();
    return refusedSession(error);
  }
  return new Response(transport.stream, { headers: SSE_RESPONSE_HEADERS });
}

/** POST `/messages?sessionId=…`: one message (or a batch) for an open SSE session. Not an async function (decision 64). */
export function postSseMessage(request: Request, server: string, options: SseEndpointOptions): Response | Promise<Response> {
  const sessionId = sessionIdOf(request.url);
  if (!sessionId) return jsonRpcHttpError(400, JsonRpcErrorCode.ServerError, 'Bad Request: the sessionId query parameter is required');
  const entry = options.bridge.sessions.use(sessionId);
  if (entry?.server !== server || entry.endpoint !== 'sse') return unknownSession(sessionId);
  return readJsonRpcBody(request, options.maxBodyBytes).then((read) => {
    if ('response' in read) return read.response;
    const messages = jsonRpcMessagesOf(read.body);
    if (messages === undefined) {
      return jsonRpcHttpError(400, JsonRpcErrorCode.InvalidRequest, 'Bad Request: the request body is not a valid JSON-RPC message, nor a non-empty batch of them');
    }
    entry.transport.receive(messages);
    return namingRequestId(request, 'Accepted', 202, { 'content-type': 'text/plain' });
  });
}

/**
 * The body's messages, checked against the JSON-RPC schema as the streamable HTTP endpoint's SDK
 * transport checks them; undefined when the body is not a message or a non-empty batch of them.
 * Sessions take what they receive for JSON-RPC messages: a body of `42` or `null` made them throw,
 * a 500 on a shared session and, on a per-session pipe, an unhandled rejection that stopped the
 * whole gateway.
 */
function jsonRpcMessagesOf(body: unknown): JSONRPCMessage[] | undefined {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) return undefined;
  try {
    // A request is checked by hand, as the streamable HTTP endpoint does (the schema's parse was about 5% of this path's CPU).
    return items.map((item) => (isStrictRequest(item) ? item : parseJSONRPCMessage(item)));
  } catch {
    return undefined;
  }
}

/** The `sessionId` query parameter, read from the query alone (parsing the whole URL cost more than the rest of the lookup). */
function sessionIdOf(url: string): string | null {
  const query = url.indexOf('?');
  return query === -1 ? null : new URLSearchParams(url.slice(query + 1)).get('sessionId');
}
