/**
 * `/mcp` (and `/{server}/mcp`): streamable HTTP with legacy sessions (protocol 2024-11-05 …
 * 2025-11-25). An `initialize` POST without a session id opens a session; every later request
 * names it in `Mcp-Session-Id`. The SDK's server transport does the wire work of each session
 * (SSE or JSON answers, the GET stream, `Last-Event-ID` replay, keep-alive comments); this module
 * finds the session and answers what comes before one:
 *
 * - 400 for a request other than `initialize` without a session id;
 * - 404 for a session id the gateway does not know (expired, closed, or from before a restart),
 *   the specification's cue for the client to start a new session;
 * - 405 for methods other than GET, POST and DELETE;
 * - 503 with `Retry-After` when a per-session server is at its `maxSessions`.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { isInitializeRequest } from '@modelcontextprotocol/server';
import { rememberAddress } from '../http/remote-address.js';
import type { Bridge } from './bridge.js';
import type { PerRequestEndpoint } from './per-request-endpoint.js';
import { BoundedEventStore } from './event-store.js';
import { jsonRpcHttpError, readJsonRpcBody, refusedSession, unknownSession } from './http-answers.js';
import { JsonRpcErrorCode } from './json-rpc.js';
import { restoringLargeIds } from './large-ids.js';
import type { SessionEntry } from './session-table.js';
import { SessionHttpTransport } from './session-http-transport.js';
import { whenStreamEnds } from './stream-end.js';

const SESSION_HEADER = 'mcp-session-id';

export interface StreamableHttpEndpointOptions {
  bridge: Bridge;
  maxBodyBytes: number;
}

/**
 * Serves one request to the streamable HTTP endpoint of `server`. Not an async function, nor is
 * `servePost` (decision 64): every MCP POST passes here.
 */
export function serveStreamableHttp(request: Request, server: string, options: StreamableHttpEndpointOptions, address?: string): Response | Promise<Response> {
  const { bridge } = options;
  const sessionId = request.headers.get(SESSION_HEADER) ?? undefined;
  if (bridge.stateless && request.method !== 'POST') return bridge.perRequestEndpoint(server, options.maxBodyBytes).fetch(request, undefined);
  if (request.method === 'POST') {
    return readJsonRpcBody(request, options.maxBodyBytes).then((read) => {
      if ('response' in read) return read.response;
      const answer = servePost(request, read.body, sessionId, server, options, address);
      return read.largeIds ? Promise.resolve(answer).then(restoringLargeIds) : answer;
    });
  }
  if (request.method === 'GET' || request.method === 'DELETE') {
    if (sessionId === undefined) {
      return jsonRpcHttpError(400, JsonRpcErrorCode.ServerError, `Bad Request: ${request.method} needs the Mcp-Session-Id header of an open session`);
    }
    const entry = sessionOf(bridge, sessionId, server);
    if (!entry) return unknownSession(sessionId);
    const response = entry.transport.handleRequest(request);
    return request.method === 'GET' ? response.then((stream) => countedStream(stream, entry)) : response;
  }
  return jsonRpcHttpError(405, JsonRpcErrorCode.ServerError, `Method Not Allowed: ${request.method} (the MCP endpoint takes GET, POST and DELETE)`, {
    allow: 'GET, POST, DELETE',
  });
}

/** A POST's message (or batch), parsed: a request standing alone, an `initialize`, or a session's. */
function servePost(request: Request, body: unknown, sessionId: string | undefined, server: string, options: StreamableHttpEndpointOptions, address: string | undefined): Response | Promise<Response> {
  const { bridge } = options;
  const perRequest = bridge.perRequestEndpoint(server, options.maxBodyBytes);
  // 2026-07-28 requests (and every request with --stateless) stand alone, without a session.
  const standsAlone = perRequest.serves(request, body);
  if (standsAlone === true) return serveAlone(perRequest, request, body, address);
  if (standsAlone !== false) {
    return standsAlone.then((alone) => (alone ? serveAlone(perRequest, request, body, address) : serveInSession(request, body, sessionId, server, bridge, address)));
  }
  return serveInSession(request, body, sessionId, server, bridge, address);
}

function serveAlone(perRequest: PerRequestEndpoint, request: Request, body: unknown, address: string | undefined): Promise<Response> {
  // The request's session is opened deep in the SDK's handler; the hooks' caller address rides along.
  rememberAddress(request, address);
  return perRequest.fetch(request, body);
}

/** A message for a session: an `initialize` opens one, anything else goes to the one its header names. */
function serveInSession(request: Request, body: unknown, sessionId: string | undefined, server: string, bridge: Bridge, address: string | undefined): Response | Promise<Response> {
  if (sessionId === undefined) {
    if (!isInitializeRequest(body)) {
      return jsonRpcHttpError(400, JsonRpcErrorCode.ServerError, 'Bad Request: the Mcp-Session-Id header is required; start a session with an initialize request first');
    }
    return openSession(request, body, server, bridge, address);
  }
  const entry = sessionOf(bridge, sessionId, server);
  if (!entry) return unknownSession(sessionId);
  return entry.transport.handleRequest(request, { parsedBody: body });
}

type StreamableHttpEntry = Extract<SessionEntry, { endpoint: 'streamable-http' }>;

function sessionOf(bridge: Bridge, sessionId: string, server: string): StreamableHttpEntry | undefined {
  const entry = bridge.sessions.use(sessionId);
  return entry && entry.server === server && entry.endpoint === 'streamable-http' ? entry : undefined;
}

async function openSession(request: Request, body: unknown, server: string, bridge: Bridge, address: string | undefined): Promise<Response> {
  const transport = new SessionHttpTransport({
    sessionIdGenerator: randomUUID,
    eventStore: new BoundedEventStore(),
    ...(bridge.keepAliveMs === undefined ? {} : { keepAliveMs: bridge.keepAliveMs }),
    // A DELETE from the client ends the session, and with it its upstream connection.
    onsessionclosed: (id) => void bridge.sessions.remove(id)?.session.close(),
  });
  let session;
  try {
    session = bridge.open(server, transport, () => bridge.sessions.remove(transport.sessionId), {
      frontend: 'streamable-http',
      ...(address === undefined ? {} : { address }),
    });
  } catch (error) {
    return refusedSession(error);
  }
  const response = await transport.handleRequest(request, { parsedBody: body });
  if (transport.sessionId === undefined) {
    // The transport refused the initialize (a bad header, say): there is no session to keep.
    void session.close();
    return response;
  }
  bridge.sessions.add({ id: transport.sessionId, server, endpoint: 'streamable-http', transport, session });
  return response;
}

/** A GET stream counts as activity for as long as it is open: a listening client is not idle. */
function countedStream(response: Response, entry: SessionEntry): Response {
  if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) return response;
  entry.openStreams += 1;
  return whenStreamEnds(response, () => {
    entry.openStreams -= 1;
    entry.lastActivity = Date.now();
  });
}
