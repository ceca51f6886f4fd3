/**
 * A raw MCP client for the HTTP-level tests: `fetch` with the headers a legacy client sends, an
 * SSE reader, and the session handshake, so a test sees exactly what the gateway wrote.
 */
import { afterEach, expect } from 'vitest';

export const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
export const PROTOCOL_VERSION = '2025-06-18';

export type JsonRpcMessage = { jsonrpc: '2.0'; id?: string | number | null; result?: Record<string, unknown>; error?: { code: number; message: string } };

export function initializeRequest(id: string | number = 'init-1', protocolVersion = PROTOCOL_VERSION, capabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion, capabilities, clientInfo: { name: 'raw-fetch', version: '1.0.0' } },
  };
}

/** Streams (GET streams, SSE sessions) opened by a test, aborted after it. */
const openStreams: AbortController[] = [];
afterEach(() => {
  for (const controller of openStreams.splice(0)) controller.abort();
});

export function abortable(): AbortSignal {
  const controller = new AbortController();
  openStreams.push(controller);
  return controller.signal;
}

export interface SseEvent {
  event: string | undefined;
  data: string;
  id: string | undefined;
}

/** Reads server-sent events off a response body, one at a time, as they arrive. */
export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private done = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next event (comments skipped), or undefined when the stream ends. */
  async next(): Promise<SseEvent | undefined> {
    for (;;) {
      const boundary = /\r?\n\r?\n/.exec(this.buffer);
      if (boundary) {
        const block = this.buffer.slice(0, boundary.index);
        this.buffer = this.buffer.slice(boundary.index + boundary[0].length);
        const event = parseEvent(block);
        if (event) return event;
        continue;
      }
      if (this.done) return undefined;
      const { done, value } = await this.reader.read();
      if (done) this.done = true;
      else this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** The first JSON-RPC message (an event with non-empty data) whose id is `id`. */
  async messageWithId(id: string | number, timeoutMs = 10_000): Promise<{ event: SseEvent; message: JsonRpcMessage }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no message with id ${JSON.stringify(id)} on the stream`);
      let timer: NodeJS.Timeout | undefined;
      const event = await Promise.race([
        this.next(),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no message with id ${JSON.stringify(id)} on the stream`)), remaining);
        }),
      ]).finally(() => clearTimeout(timer));
      if (event === undefined) throw new Error(`the stream ended before a message with id ${JSON.stringify(id)}`);
      if (event.data.trim() === '') continue;
      const message = JSON.parse(event.data) as JsonRpcMessage;
      if (message.id === id) return { event, message };
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}

function parseEvent(block: string): SseEvent | undefined {
  let event: string | undefined;
  let id: string | undefined;
  const data: string[] = [];
  let any = false;
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    any = true;
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  return any ? { event, data: data.join('\n'), id } : undefined;
}

/** The JSON-RPC answer to request `id` in a POST's response, whether SSE or JSON. */
export async function answerOf(response: Response, id: string | number): Promise<JsonRpcMessage> {
  const type = response.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    const reader = new SseReader(response.body!);
    try {
      return (await reader.messageWithId(id)).message;
    } finally {
      await reader.cancel();
    }
  }
  expect(type).toMatch(/^application\/json/);
  const body = (await response.json()) as JsonRpcMessage | JsonRpcMessage[];
  const message = (Array.isArray(body) ? body : [body]).find((item) => item.id === id);
  expect(message, JSON.stringify(body)).toBeDefined();
  return message!;
}

export function postMcp(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** Opens a session on `endpoint` (a `/mcp` URL): initialize, then `notifications/initialized`. */
export async function openSession(
  endpoint: string,
  headers: Record<string, string> = {},
  { protocolVersion = PROTOCOL_VERSION, capabilities = {} }: { protocolVersion?: string; capabilities?: Record<string, unknown> } = {},
): Promise<string> {
  const response = await postMcp(endpoint, initializeRequest('open', protocolVersion, capabilities), headers);
  expect(response.status, await response.clone().text()).toBe(200);
  const sessionId = response.headers.get('mcp-session-id');
  expect(sessionId).toBeTruthy();
  const answer = await answerOf(response, 'open');
  expect(answer.result).toBeDefined();
  const initialized = await postMcp(endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': sessionId!, ...headers });
  expect(initialized.status).toBe(202);
  await initialized.body?.cancel();
  return sessionId!;
}

export async function ping(endpoint: string, sessionId: string, id: string | number = 'ping-1'): Promise<Response> {
  return postMcp(endpoint, { jsonrpc: '2.0', id, method: 'ping' }, { 'mcp-session-id': sessionId });
}

