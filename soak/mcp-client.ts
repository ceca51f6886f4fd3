/**
 * An MCP client of the soak test: the SDK's `Client` over `StreamableHTTPClientTransport`, on the
 * aggregated `/mcp` or on one server's `/{server}/mcp`, calling tools in a loop.
 *
 * Every call has the SDK's own timeout and, in case the SDK itself got stuck, a deadline a little
 * later; either one firing is a hang. Answers are classified as in `outcomes.ts`: a result must
 * carry exactly the expected text; a JSON-RPC error, an `isError` result or an HTTP error of the
 * transport (5xx, or the 404 that ends a session) is a clear failure when it has a message;
 * anything else (connection reset, the SDK's own "connection closed", …) is unclear.
 *
 * A session is opened again after a transport-level failure (an HTTP error, a broken connection,
 * a hang), as a client does when its session is gone: a per-session child that is killed ends
 * its session, the call in flight gets a JSON-RPC error, and the next request gets 404, after
 * which the client starts over. A JSON-RPC error alone leaves the session as it is. Sessions are
 * ended with `DELETE` (`terminateSession`): the SDK's `close()` alone sends none, and the
 * gateway would keep the session (and a per-session child) until it idles out.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, ProtocolError, SdkError, SdkErrorCode, SdkHttpError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { aggregatedToolName, randomCall, type ToolCall } from './calls.js';
import { SERVERS } from './config.js';
import { clear, hang, normalizeMessage, ok, unclear, type Frontend, type Outcome, type Tally } from './outcomes.js';

export interface McpEndpoint {
  frontend: Exclude<Frontend, 'REST'>;
  path: string;
  /** The server behind `/{server}/mcp`; undefined for the aggregated `/mcp`. */
  server?: string;
}

/** The endpoints MCP clients are spread over, in this order (a small run covers the first ones). */
export const MCP_ENDPOINTS: readonly McpEndpoint[] = [
  { frontend: '/mcp', path: '/mcp' },
  { frontend: '/{server}/mcp', path: `/${SERVERS.perSession}/mcp`, server: SERVERS.perSession },
  { frontend: '/{server}/mcp', path: `/${SERVERS.scripted}/mcp`, server: SERVERS.scripted },
  { frontend: '/{server}/mcp', path: `/${SERVERS.everything}/mcp`, server: SERVERS.everything },
];

/** Pause after a failure, so a client does not spin while a server restarts. */
const PAUSE_AFTER_FAILURE_MS = 100;
/** How much later than the SDK's own timeout the outer deadline fires. */
const DEADLINE_MARGIN_MS = 2_000;

class DeadlineExceeded extends Error {}

/** `promise`, or a `DeadlineExceeded` rejection after `ms`. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export interface McpSession {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

/** Errors the SDK reported outside any call (the session's GET stream), by message: shown in the summary, not judged. */
export const backgroundErrors = new Map<string, number>();

/** Opens a session (initialize + initialized) on `url`. */
export async function openSession(url: string, timeoutMs: number): Promise<McpSession> {
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const client = new Client({ name: 'mcpgate-soak', version: '1.0.0' });
  client.onerror = (error) => {
    const key = normalizeMessage(error.message);
    backgroundErrors.set(key, (backgroundErrors.get(key) ?? 0) + 1);
  };
  try {
    await withDeadline(client.connect(transport, { timeout: timeoutMs }), timeoutMs + DEADLINE_MARGIN_MS);
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return { client, transport };
}

/** Ends a session with DELETE, then closes the client; never throws (the session may be gone already). */
export async function closeSession(session: McpSession): Promise<void> {
  // A session that is gone already answers the DELETE with 404: expected here, not worth reporting.
  session.client.onerror = undefined;
  await withDeadline(session.transport.terminateSession(), 5_000).catch(() => undefined);
  await session.client.close().catch(() => undefined);
}

/** What a thrown error means for the caller, and whether the session should be opened again. */
export function classifyError(error: unknown, timeoutMs: number): { outcome: Outcome; renewSession: boolean } {
  if (error instanceof DeadlineExceeded) return { outcome: hang(`${error.message} (the SDK's own timeout did not fire either)`), renewSession: true };
  if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) {
    return { outcome: hang(`no answer within ${timeoutMs / 1000} s`), renewSession: true };
  }
  if (error instanceof ProtocolError) {
    const outcome = error.message.trim() ? clear(`MCP error ${error.code}: ${error.message}`) : unclear(`MCP error ${error.code} without a message`);
    return { outcome, renewSession: false };
  }
  if (error instanceof SdkHttpError) {
    const status = error.status;
    const message = error.message.replace(/^Error POSTing to endpoint: /, '').trim();
    // 404 is how a session that ended (its per-session child died) tells the client to start over.
    const outcome =
      (status >= 500 || status === 404) && message !== '' ? clear(`HTTP ${status}: ${message}`) : unclear(`HTTP ${status}: ${message || '(no message)'}`);
    return { outcome, renewSession: true };
  }
  if (error instanceof SdkError) return { outcome: unclear(`SDK error ${error.code}: ${error.message}`), renewSession: true };
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = `${error.name}: ${error.message}${cause ? ` (${cause.code ?? cause.message ?? ''})` : ''}`;
    return { outcome: unclear(detail), renewSession: true };
  }
  return { outcome: unclear(String(error)), renewSession: true };
}

/** Whether a tool result is the expected answer. */
export function classifyResult(result: { content?: unknown; isError?: boolean }, call: ToolCall): Outcome {
  const content = Array.isArray(result.content) ? (result.content as Array<{ type?: string; text?: string }>) : [];
  const text = content.map((item) => (item.type === 'text' ? (item.text ?? '') : `[${item.type}]`)).join('');
  if (result.isError) return text.trim() ? clear(`tool error: ${text}`) : unclear('an isError result without a message');
  if (content.length === 1 && text === call.expected) return ok;
  return unclear(`wrong result: ${JSON.stringify(result).slice(0, 160)}`);
}

/** The tool name of `call` on `endpoint`. */
export function toolNameOn(endpoint: McpEndpoint, call: ToolCall): string {
  return endpoint.server === undefined ? aggregatedToolName(call) : call.tool;
}

/** Makes one call on an open session and classifies the answer. */
export async function mcpCall(session: McpSession, endpoint: McpEndpoint, call: ToolCall, timeoutMs: number): Promise<{ outcome: Outcome; renewSession: boolean }> {
  try {
    const result = await withDeadline(
      session.client.callTool({ name: toolNameOn(endpoint, call), arguments: call.arguments }, { timeout: timeoutMs }),
      timeoutMs + DEADLINE_MARGIN_MS,
    );
    return { outcome: classifyResult(result as { content?: unknown; isError?: boolean }, call), renewSession: false };
  } catch (error) {
    return classifyError(error, timeoutMs);
  }
}

export interface McpClientStats {
  /** Sessions opened after the first one (the previous one had failed). */
  reopened: number;
}

/**
 * Calls in a loop until `running()` is false, opening a session when it has none. The call in
 * hand is finished, then the session is ended with DELETE.
 */
export async function mcpClientLoop(
  id: number,
  baseUrl: string,
  endpoint: McpEndpoint,
  tally: Tally,
  stats: McpClientStats,
  timeoutMs: number,
  running: () => boolean,
): Promise<void> {
  const url = `${baseUrl}${endpoint.path}`;
  let session: McpSession | undefined;
  let opened = 0;
  let sequence = 0;
  while (running()) {
    if (!session) {
      const started = performance.now();
      try {
        session = await openSession(url, timeoutMs);
        tally.record(endpoint.frontend, `${endpoint.path} initialize`, ok, performance.now() - started);
        if (opened++ > 0) stats.reopened += 1;
      } catch (error) {
        tally.record(endpoint.frontend, `${endpoint.path} initialize`, classifyError(error, timeoutMs).outcome, performance.now() - started);
        await sleep(PAUSE_AFTER_FAILURE_MS);
        continue;
      }
    }
    const call = randomCall(`mcp${id}-${sequence++}`, endpoint.server);
    const started = performance.now();
    const { outcome, renewSession } = await mcpCall(session, endpoint, call, timeoutMs);
    tally.record(endpoint.frontend, call.kind, outcome, performance.now() - started);
    if (renewSession) {
      await closeSession(session);
      session = undefined;
    }
    if (outcome.kind !== 'ok') await sleep(PAUSE_AFTER_FAILURE_MS);
  }
  if (session) await closeSession(session);
}
