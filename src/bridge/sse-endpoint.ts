/**
 * `/sse` + `/messages` (and `/{server}/sse` + `/{server}/messages`): the legacy HTTP+SSE
 * transport. The GET stream is the session: it lives as long as the stream is open, and a POST
 * to `messages?sessionId=…` delivers one message to it (202; the answer comes on the stream).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Bridge } from './bridge.js';
import { jsonRpcHttpError, readJsonRpcBody, refusedSession, unknownSession } from './http-answers.js';
import { JsonRpcErrorCode } from './json-rpc.js';
import { SseServerTransport } from './sse-server-transport.js';

export interface SseEndpointOptions {
  bridge: Bridge;
  maxBodyBytes: number;
}

/** GET `/sse`: opens a session whose stream is the response. */
export function openSseSession(server: string, options: SseEndpointOptions, address?: string): Response {
  const { bridge } = options;
  const transport = new SseServerTransport(randomUUID());
  try {
    const session = bridge.open(server, transport, () => bridge.sessions.remove(transport.sessionId), { frontend: 'sse', ...(address === undefined ? {} : { address }) });
    bridge.sessions.add({ id: transport.sessionId, server, endpoint: 'sse', transport, session, openStreams: 1 });
  } catch (error) {
    void transport.close();
    return refusedSession(error);
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
  if (entry?.server !== server || entry.endpoint !== 'sse') return unknownSession(sessionId);
  const read = await readJsonRpcBody(request, options.maxBodyBytes);
  if ('response' in read) return read.response;
  entry.transport.receive(read.body);
  return new Response('Accepted', { status: 202, headers: { 'content-type': 'text/plain' } });
}
