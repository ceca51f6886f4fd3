/**
 * How a legacy `/mcp` session answers a POSTed request, seen on the wire with raw `fetch`
 * against a real gateway and server-everything: one JSON body when the answer is all there is;
 * an SSE stream when something comes first (a sampling request), when the client asked for
 * progress, or when the answer is slow to come (with keep-alive comments, resumable with
 * `Last-Event-ID`); and never a request left without an answer when the session ends.
 */
import { describe, expect, it } from 'vitest';
import { everythingStdio, startBridgeGateway } from './bridge-gateway.js';
import { abortable, openSession, postMcp, SseReader, type JsonRpcMessage } from './raw-mcp.js';

/** A version whose clients read priming events, so SSE answers are resumable. */
const LATEST = '2025-11-25';
const KEEP_ALIVE_MS = 300;

const gateway = await startBridgeGateway([everythingStdio()], {}, undefined, [], { streamKeepAliveMs: KEEP_ALIVE_MS });
const endpoint = `${gateway.url}/mcp`;

async function session(capabilities: Record<string, unknown> = {}): Promise<Record<string, string>> {
  const sessionId = await openSession(endpoint, { 'mcp-protocol-version': LATEST }, { protocolVersion: LATEST, capabilities });
  return { 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST };
}

function call(id: string | number, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>): Record<string, unknown> {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } };
}

/** The text of a `tools/call` answer. */
function textOf(message: JsonRpcMessage): string {
  const content = (message.result as { content: Array<{ text?: string }> } | undefined)?.content;
  return content?.map((item) => item.text ?? '').join('') ?? JSON.stringify(message);
}

/** Every event (and comment count) of an SSE body up to its end. */
async function readWholeStream(response: Response): Promise<{ events: Array<{ id: string | undefined; data: string }>; comments: number }> {
  const text = await response.text();
  const blocks = text.split(/\n\n/).filter((block) => block.trim() !== '');
  const events = blocks
    .filter((block) => !block.startsWith(':'))
    .map((block) => {
      const lines = block.split('\n');
      return { id: lines.find((line) => line.startsWith('id: '))?.slice(4), data: lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n') };
    });
  return { events, comments: blocks.filter((block) => block.startsWith(':')).length };
}

describe('/mcp answers', () => {
  it('a request with nothing before its answer gets one JSON body with the session id, the request id as sent', async () => {
    const headers = await session();
    for (const id of [7, 'seven', 0]) {
      const response = await postMcp(endpoint, call(id, 'echo', { message: `hi ${id}` }), headers);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('mcp-session-id')).toBe(headers['mcp-session-id']);
      const message = (await response.json()) as JsonRpcMessage;
      expect(message.id).toBe(id);
      expect(textOf(message)).toBe(`Echo: hi ${id}`);
    }
    const list = await postMcp(endpoint, { jsonrpc: '2.0', id: 'list', method: 'tools/list' }, headers);
    expect(list.headers.get('content-type')).toBe('application/json');
    expect(((await list.json()) as JsonRpcMessage).result?.tools).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'echo' })]));
  });

  it('a request with a progress token gets an SSE stream: the progress, then the answer', async () => {
    const headers = await session();
    const response = await postMcp(endpoint, call(1, 'trigger-long-running-operation', { duration: 0.2, steps: 2 }, { progressToken: 'p' }), headers);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const messages = (await readWholeStream(response)).events.filter((event) => event.data !== '').map((event) => JSON.parse(event.data) as Record<string, unknown>);
    expect(messages.map((message) => message.method ?? `answer ${String(message.id)}`)).toEqual(['notifications/progress', 'notifications/progress', 'answer 1']);
  });

  it('a request whose server asks the client something first gets an SSE stream carrying the question, then the answer', async () => {
    const headers = await session({ sampling: {} });
    const response = await postMcp(endpoint, call('s', 'trigger-sampling-request', { prompt: 'hi', maxTokens: 5 }), headers);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = new SseReader(response.body!);
    const priming = await reader.next();
    expect(priming).toMatchObject({ data: '', id: expect.any(String) });
    const question = await reader.next();
    const request = JSON.parse(question!.data) as { id: string; method: string };
    expect(request.method).toBe('sampling/createMessage');
    expect(question!.id).toEqual(expect.any(String));
    const answered = await postMcp(
      endpoint,
      { jsonrpc: '2.0', id: request.id, result: { role: 'assistant', content: { type: 'text', text: 'sampled on the wire' }, model: 'raw' } },
      headers,
    );
    expect(answered.status).toBe(202);
    const { message } = await reader.messageWithId('s');
    expect(textOf(message)).toContain('sampled on the wire');
    expect(await reader.next()).toBeUndefined();
  });

  it('a slow answer becomes a stream after a keep-alive interval: priming event, keep-alive comments, then the answer', async () => {
    const headers = await session();
    const started = Date.now();
    const response = await postMcp(endpoint, call('slow', 'trigger-long-running-operation', { duration: 1.2, steps: 1 }), headers);
    // The headers come once the answer has been quiet for a keep-alive interval, not with the answer.
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const { events, comments } = await readWholeStream(response);
    expect(comments).toBeGreaterThanOrEqual(1);
    expect(events[0]).toMatchObject({ data: '', id: expect.any(String) });
    expect(events).toHaveLength(2);
    const answer = JSON.parse(events[1]!.data) as JsonRpcMessage;
    expect(answer.id).toBe('slow');
    expect(textOf(answer)).toContain('Long running operation completed');
  });

  it('a client whose slow answer\'s stream broke resumes it with Last-Event-ID and gets the answer', async () => {
    const headers = await session();
    const connection = new AbortController();
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(call('resumed', 'trigger-long-running-operation', { duration: 1.5, steps: 1 })),
      signal: connection.signal,
    });
    const priming = await new SseReader(response.body!).next();
    expect(priming?.id).toEqual(expect.any(String));
    connection.abort();

    // A stream still attached to its client is not taken over (409); once the gateway has seen
    // the broken connection, the client resumes it.
    const resume = () => fetch(endpoint, { headers: { accept: 'text/event-stream', 'last-event-id': priming!.id!, ...headers }, signal: abortable() });
    let resumed = await resume();
    for (let tries = 0; resumed.status === 409 && tries < 50; tries += 1) {
      await resumed.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 20));
      resumed = await resume();
    }
    expect(resumed.status).toBe(200);
    expect(resumed.headers.get('content-type')).toBe('text/event-stream');
    const conflict = await fetch(endpoint, { headers: { accept: 'text/event-stream', 'last-event-id': priming!.id!, ...headers } });
    expect(conflict.status).toBe(409);
    await conflict.body?.cancel();
    const { message, event } = await new SseReader(resumed.body!).messageWithId('resumed');
    expect(textOf(message)).toContain('Long running operation completed');

    // Once answered, the stream can still be replayed from the start: the answer is there.
    const replayed = await fetch(endpoint, { headers: { accept: 'text/event-stream', 'last-event-id': priming!.id!, ...headers } });
    const { events } = await readWholeStream(replayed);
    expect(events.map((item) => item.id)).toEqual([event.id]);
  });

  it('a request still waiting when its session is deleted gets an error answer, not silence', async () => {
    const headers = await session();
    const pending = postMcp(endpoint, call('cut', 'trigger-long-running-operation', { duration: 0.25, steps: 1 }), headers);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const deleted = await fetch(endpoint, { method: 'DELETE', headers });
    expect(deleted.status).toBe(200);
    const response = await pending;
    expect(response.headers.get('content-type')).toBe('application/json');
    const message = (await response.json()) as JsonRpcMessage;
    expect(message.id).toBe('cut');
    expect(message.error?.message).toMatch(/session/);
  });

  it('what the SDK\'s transport refuses is still refused the same way', async () => {
    const headers = await session();
    const extraKey = await postMcp(endpoint, { ...call(1, 'echo', { message: 'x' }), extra: true }, headers);
    expect(extraKey.status).toBe(400);
    expect(((await extraKey.json()) as JsonRpcMessage).error?.code).toEqual(expect.any(Number));
    const fractionalId = await postMcp(endpoint, call(1.5, 'echo', { message: 'x' }), headers);
    expect(fractionalId.status).toBe(400);
    await fractionalId.body?.cancel();
    const jsonOnly = await postMcp(endpoint, call(2, 'echo', { message: 'x' }), { ...headers, accept: 'application/json' });
    expect(jsonOnly.status).toBe(406);
    await jsonOnly.body?.cancel();
    const badVersion = await postMcp(endpoint, call(3, 'echo', { message: 'x' }), { ...headers, 'mcp-protocol-version': '1999-01-01' });
    expect(badVersion.status).toBe(400);
    expect(((await badVersion.json()) as JsonRpcMessage).error?.message).toMatch(/Unsupported protocol version/);
  });
});
