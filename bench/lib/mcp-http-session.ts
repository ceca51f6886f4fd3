/**
 * A lean client session of the gateway's streamable HTTP endpoint (`/mcp`): the handshake done by
 * hand (`initialize`, then `notifications/initialized`), then each request one POST carrying
 * `Mcp-Session-Id` and `Mcp-Protocol-Version`, its answer read from a JSON body or an SSE body,
 * whichever the gateway chose. It validates nothing beyond the echo's answer, unlike the SDK
 * client, so the benchmark process spends little CPU per call and what is measured is the
 * gateway's own cost. Calls may overlap on one session: each POST is its own HTTP request.
 *
 * @module
 */
import { httpRequest, type HttpAnswer } from './http-request.js';
import { INITIALIZE_PARAMS, answerAmong, notificationBody, requestBody, resultOf, type JsonRpcAnswer, type RequestId } from './json-rpc.js';
import { parseSseBody } from './sse-events.js';

const BASE_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export class McpHttpSession {
  private lastId = 0;

  private constructor(
    private readonly endpoint: URL,
    /** Sent with every request after the handshake. */
    private readonly headers: Record<string, string>,
  ) {}

  /** Opens a session on `endpoint` (e.g. `http://127.0.0.1:8000/mcp`). */
  static async open(endpoint: URL): Promise<McpHttpSession> {
    const id = 0;
    const answer = await httpRequest(endpoint, 'POST', BASE_HEADERS, requestBody(id, 'initialize', INITIALIZE_PARAMS));
    const sessionId = answer.headers['mcp-session-id'];
    if (typeof sessionId !== 'string') throw new Error(`initialize: no Mcp-Session-Id in the answer (HTTP ${answer.status} ${answer.body.slice(0, 200)})`);
    const { protocolVersion } = resultOf(answerTo(answer, id)) as { protocolVersion: string };
    const session = new McpHttpSession(endpoint, { ...BASE_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion });
    const initialized = await httpRequest(endpoint, 'POST', session.headers, notificationBody('notifications/initialized'));
    if (initialized.status !== 202) throw new Error(`notifications/initialized: HTTP ${initialized.status} ${initialized.body.slice(0, 200)}`);
    return session;
  }

  /** Sends a request and resolves with its result (rejects with its JSON-RPC error). */
  async request(method: string, params?: unknown): Promise<unknown> {
    const id = ++this.lastId;
    return resultOf(answerTo(await httpRequest(this.endpoint, 'POST', this.headers, requestBody(id, method, params)), id));
  }

  /** DELETE: the gateway ends the session now rather than at its idle timeout. */
  async close(): Promise<void> {
    const answer = await httpRequest(this.endpoint, 'DELETE', this.headers);
    if (answer.status !== 200) throw new Error(`DELETE: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
  }
}

/** The answer to request `id` in an HTTP answer's body, JSON or SSE; throws when it holds none. */
function answerTo(answer: HttpAnswer, id: RequestId): JsonRpcAnswer {
  const type = answer.headers['content-type'] ?? '';
  if (answer.status === 200) {
    const messages = type.startsWith('text/event-stream')
      ? parseSseBody(answer.body).map((event) => JSON.parse(event.data) as unknown)
      : type.startsWith('application/json')
        ? [JSON.parse(answer.body) as unknown].flat()
        : [];
    const found = answerAmong(messages, id);
    if (found) return found;
  }
  throw new Error(`no answer to request ${id} in HTTP ${answer.status} ${type}: ${answer.body.slice(0, 200)}`);
}
