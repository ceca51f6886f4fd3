/**
 * `/sse` + `/messages` (and `/{server}/sse` + `/{server}/messages`): the legacy HTTP+SSE
 * transport. The GET stream is the session: it lives as long as the stream is open, and a POST
 * to `messages?sessionId=…` delivers one message to it (202; the answer comes on the stream).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { Bridge } from './bridge.js';
import { jsonRpcHttpError, readJsonRpcBody, unknownSession } from './http-answers.js';
import { JsonRpcErrorCode } from './json-rpc.js';
import type { SessionEntry } from './session-table.js';
import { SseServerTransport } from './sse-server-transport.js';

export interface SseEndpointOptions {
  bridge: Bridge;
  maxBodyBytes: number;
}

const transports = new WeakMap<SessionEntry, SseServerTransport>();

/** GET `/sse`: opens a session whose stream is the response. */
export function openSseSession(server: string, options: SseEndpointOptions): Response {
  const { bridge } = options;
  const transport = new SseServerTransport(randomUUID());
  try {
    const session = bridge.open(server, transport, () => bridge.sessions.remove(transport.sessionId));
    const entry = bridge.sessions.add({ id: transport.sessionId, server, endpoint: 'sse', session, openStreams: 1 });
    transports.set(entry, transport);
  } catch (error) {
    void transport.close();
    if (error instanceof GatewayError) {
      const headers: Record<string, string> = error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) };
      return jsonRpcHttpError(error.status, JsonRpcErrorCode.ServerError, error.message, headers);
    }
    throw error;
  }
  return new Response(transport.stream, {
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' },
  });
}

/** POST `/messages?sessionId=…`: one message (or a batch) for an open SSE session. */
export async function postSseMessage(request: Request, server: string, options: SseEndpointOptions): Promise<Response> {
  const sessionId = new URL(request.url).searchParams.get('sessionId');
  if (!sessionId) return jsonRpcHttpError(400, JsonRpcErrorCode.ServerError, 'Bad Request: the sessionId query parameter is required');
  const entry = options.bridge.sessions.use(sessionId);
  const transport = entry && entry.server === server ? transports.get(entry) : undefined;
  if (!transport) return unknownSession(sessionId);
  const read = await readJsonRpcBody(request, options.maxBodyBytes);
  if ('response' in read) return read.response;
  transport.receive(read.body);
  return new Response('Accepted', { status: 202, headers: { 'content-type': 'text/plain' } });
}
