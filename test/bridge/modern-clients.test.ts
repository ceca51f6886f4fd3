/**
 * 2026-07-28 clients on `/mcp`: no handshake, no session, everything in each request. Real SDK
 * clients pinned to that revision (and raw `fetch`) against server-everything over stdio (a
 * 2025-era server, so the gateway translates: server requests become `input_required` results,
 * `subscriptions/listen` becomes upstream subscriptions) and the 2026-07-28-only HTTP fixture.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { httpConfig, textOf, waitFor } from '../helpers/fixtures.js';
import { restFixtureConfig } from '../rest/rest-gateway.js';
import { startModernHttpServer } from '../fixtures/modern-http-server.js';
import { connectClient, everythingStdio, messagesOf, startBridgeGateway } from './bridge-gateway.js';

const MODERN = '2026-07-28';
const modernServer = await startModernHttpServer();
const gateway = await startBridgeGateway(
  [everythingStdio({ disabledTools: ['get-env'] }), restFixtureConfig(), httpConfig(modernServer.url, { name: 'modern' }), everythingStdio({ name: 'private', sharing: 'per-session' })],
  { mode: 'multi' },
);
afterAll(() => modernServer.close());

const opened: Client[] = [];
afterAll(async () => {
  await Promise.all(opened.map((client) => client.close().catch(() => undefined)));
});

/** An SDK client that speaks only 2026-07-28. */
async function modernClient(url: string, capabilities: Record<string, unknown> = {}): Promise<Client> {
  const client = new Client({ name: 'modern-client', version: '1.0.0' }, { capabilities, versionNegotiation: { mode: { pin: MODERN } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  opened.push(client);
  return client;
}


/** A bare 2026-07-28 POST: the envelope in `_meta` and the `Mcp-Method`/`Mcp-Name` headers. */
function modernPost(url: string, message: { id?: unknown; method: string; params?: Record<string, unknown> }, extra: { headers?: Record<string, string>; meta?: Record<string, unknown>; signal?: AbortSignal } = {}) {
  const params = message.params ?? {};
  const name = (params.name ?? params.uri) as string | undefined;
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': message.method,
      ...(name === undefined ? {} : { 'mcp-name': name }),
      ...extra.headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      ...message,
      params: {
        ...params,
        _meta: {
          ...(params._meta as Record<string, unknown> | undefined),
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientCapabilities': {},
          ...extra.meta,
        },
      },
    }),
    ...(extra.signal ? { signal: extra.signal } : {}),
  });
}

const everything = `${gateway.url}/everything/mcp`;

describe('a 2026-07-28 client and a 2025-era stdio server', () => {
  it("discovers the server's identity and capabilities, and lists and calls its tools, filtered as configured", async () => {
    const client = await modernClient(everything);
    expect(client.getServerVersion()?.name).toBe('mcp-servers/everything');
    expect(client.getServerCapabilities()?.tools).toBeDefined();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('echo');
    expect(tools.map((tool) => tool.name)).not.toContain('get-env');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'hi' } }))).toBe('Echo: hi');
    const refused = await client.callTool({ name: 'get-env', arguments: {} }).catch((error: Error) => error);
    expect(String(refused)).toMatch(/Unknown tool: get-env/);
  });

  it('answers server/discover and a tools/list without a session, with resultType, cache hints and serverInfo', async () => {
    const discover = await messagesOf(await modernPost(everything, { id: 1, method: 'server/discover' }));
    expect(discover[0].result.supportedVersions).toContain(MODERN);
    expect(discover[0].result._meta['io.modelcontextprotocol/serverInfo'].name).toBe('mcp-servers/everything');
    expect(discover[0].result.capabilities.tools).toBeDefined();
    const response = await modernPost(everything, { id: 'list', method: 'tools/list' });
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    const [list] = await messagesOf(response);
    expect(list.id).toBe('list');
    expect(list.result.resultType).toBe('complete');
    expect(list.result.ttlMs).toBeTypeOf('number');
    expect(list.result.cacheScope).toBeDefined();
    expect(list.result._meta['io.modelcontextprotocol/serverInfo'].name).toBe('mcp-servers/everything');
  });

  it('refuses a request whose Mcp-Method header does not match its body (-32020, 400) and an unknown version (-32022)', async () => {
    const mismatch = await modernPost(everything, { id: 2, method: 'tools/list' }, { headers: { 'mcp-method': 'prompts/list' } });
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as any).error.code).toBe(-32020);
    const version = await modernPost(everything, { id: 3, method: 'tools/list' }, { meta: { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' }, headers: { 'mcp-protocol-version': '2099-01-01' } });
    expect(version.status).toBe(400);
    const body = (await version.json()) as any;
    expect(body.error.code).toBe(-32022);
    expect(body.error.data.supported).toContain(MODERN);
  });

  it("passes progress on with the request's own token", async () => {
    const client = await modernClient(everything);
    const progress: number[] = [];
    const result = await client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(result.isError).toBeFalsy();
    expect(progress).toEqual([1, 2, 3]);
  });

  it("turns the server's sampling request into an input_required result, and the client's answer back into the server's", async () => {
    const client = await modernClient(everything, { sampling: {} });
    client.setRequestHandler('sampling/createMessage', async () => ({ model: 'test-model', role: 'assistant' as const, content: { type: 'text' as const, text: 'sampled in two rounds' } }));
    const result = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 10 } });
    expect(textOf(result)).toContain('sampled in two rounds');
  });

  it('does the same for elicitation', async () => {
    const client = await modernClient(everything, { elicitation: {} });
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept' as const, content: { name: 'Ada Lovelace', check: true } }));
    const result = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    expect(textOf(result)).toContain('Ada Lovelace');
  });

  it("asks the client for its roots when the server lists them, with the gateway's key for the server's request", async () => {
    const client = await modernClient(everything, { roots: {} });
    client.setRequestHandler('roots/list', async () => ({ roots: [{ uri: 'file:///work/project', name: 'Project' }] }));
    const result = await client.callTool({ name: 'get-roots-list', arguments: {} });
    expect(textOf(result)).toContain('file:///work/project');
  });

  it('answers -32021 with HTTP 400, naming the capability, when the server asks only for what the request did not declare', async () => {
    const response = await modernPost(everything, { id: 21, method: 'tools/call', params: { name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 10 } } });
    expect(response.status).toBe(400);
    const [answer] = await messagesOf(response);
    expect(answer.id).toBe(21);
    expect(answer.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { sampling: {} } }, message: expect.stringContaining('sampling') });
  });

  it('shows the input_required round on the wire, and refuses a requestState it never gave or gave once already', async () => {
    const capabilities = { 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } };
    const [first] = await messagesOf(await modernPost(everything, { id: 10, method: 'tools/call', params: { name: 'trigger-elicitation-request', arguments: {} } }, { meta: capabilities }));
    expect(first.result.resultType).toBe('input_required');
    const [key, asked] = Object.entries(first.result.inputRequests)[0] as [string, { method: string }];
    expect(asked.method).toBe('elicitation/create');
    const retry = { id: 11, method: 'tools/call', params: { name: 'trigger-elicitation-request', arguments: {}, requestState: first.result.requestState, inputResponses: { [key]: { action: 'decline' } } } };
    const [second] = await messagesOf(await modernPost(everything, retry, { meta: capabilities }));
    expect(second.result.resultType).toBe('complete');
    expect(JSON.stringify(second.result.content)).toMatch(/decline/i);
    const [replayed] = await messagesOf(await modernPost(everything, { ...retry, id: 12 }, { meta: capabilities }));
    expect(replayed.error.code).toBe(-32602);
    const [forged] = await messagesOf(await modernPost(everything, { ...retry, id: 13, params: { ...retry.params, requestState: 'forged' } }, { meta: capabilities }));
    expect(forged.error.code).toBe(-32602);
  });

  it('cancels a call whose client does not come back with the input within the park timeout, and forgets its requestState', async () => {
    const impatient = await startBridgeGateway([everythingStdio()], {}, undefined, [], { parkTimeoutMs: 300 });
    const url = `${impatient.url}/mcp`;
    const capabilities = { 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } };
    const call = { method: 'tools/call', params: { name: 'trigger-elicitation-request', arguments: {} } };
    const [first] = await messagesOf(await modernPost(url, { id: 1, ...call }, { meta: capabilities }));
    expect(first.result.resultType).toBe('input_required');
    const [key] = Object.keys(first.result.inputRequests);
    await waitFor('the park timeout', () =>
      impatient.records.find((record) => record.msg === 'a 2026-07-28 request was cancelled' && String(record.reason).includes('did not come back with the requested input within 0.3 s')),
    );
    const retry = { id: 2, ...call, params: { ...call.params, requestState: first.result.requestState, inputResponses: { [key!]: { action: 'decline' } } } };
    const [late] = await messagesOf(await modernPost(url, retry, { meta: capabilities }));
    expect(late.error).toMatchObject({ code: -32602, message: expect.stringContaining('Invalid or expired requestState') });
  });

  it('cancels the upstream call when the client closes its response stream', async () => {
    const fixture = `${gateway.url}/fixture/mcp`;
    const before = await cancelledCount(fixture);
    const controller = new AbortController();
    const pending = modernPost(fixture, { id: 20, method: 'tools/call', params: { name: 'slow', arguments: { ms: 5000 }, _meta: { progressToken: 'p' } } }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    await pending.then((response) => response.text()).catch(() => undefined);
    await waitFor('the cancellation upstream', async () => (await cancelledCount(fixture)) > before, 5000);
  });

  it('sends log messages at or above the level a request names, on that request\'s stream only', async () => {
    const fixture = `${gateway.url}/fixture/mcp`;
    const call = { method: 'tools/call', params: { name: 'progress', arguments: { steps: 2 } } };
    const withLogs = await messagesOf(await modernPost(fixture, { id: 30, ...call }, { meta: { 'io.modelcontextprotocol/logLevel': 'info' } }));
    expect(withLogs.filter((message) => message.method === 'notifications/message').map((message) => message.params.data)).toEqual(['starting']);
    expect(withLogs.at(-1).result.content[0].text).toBe('finished');
    const above = await messagesOf(await modernPost(fixture, { id: 31, ...call }, { meta: { 'io.modelcontextprotocol/logLevel': 'error' } }));
    const without = await messagesOf(await modernPost(fixture, { id: 32, ...call }));
    expect([...above, ...without].filter((message) => message.method === 'notifications/message')).toEqual([]);
  });

  it('answers concurrent requests that use the same ids (1 and "1") each with its own result, the id type kept', async () => {
    const call = (id: unknown, message: string) =>
      modernPost(everything, { id, method: 'tools/call', params: { name: 'echo', arguments: { message } } }).then(messagesOf);
    const answers = (await Promise.all([call(1, 'a'), call('1', 'b'), call(1, 'c'), call('1', 'd')])).map((messages) => messages.at(-1));
    expect(answers.map((answer) => [answer.id, answer.result.content[0].text])).toEqual([
      [1, 'Echo: a'],
      ['1', 'Echo: b'],
      [1, 'Echo: c'],
      ['1', 'Echo: d'],
    ]);
  });

  it('fails a call at once when the child dies mid-call, and serves the next request after the restart', { timeout: 20_000 }, async () => {
    const fixture = `${gateway.url}/fixture/mcp`;
    const upstream = gateway.gateway.upstreams.get('fixture')!;
    const pid = upstream.status().pid!;
    const started = Date.now();
    const call = modernPost(fixture, { id: 40, method: 'tools/call', params: { name: 'slow', arguments: { ms: 10_000 } } }).then(messagesOf);
    await new Promise((resolve) => setTimeout(resolve, 150));
    process.kill(pid, 'SIGKILL');
    const [answer] = await call;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(answer.error.message).toMatch(/fixture/);
    await waitFor('the restart', () => upstream.currentState === 'ready' && upstream.status().pid !== pid);
    const [next] = await messagesOf(await modernPost(fixture, { id: 41, method: 'tools/call', params: { name: 'slow', arguments: { ms: 10 } } }));
    expect(next.result.content[0].text).toBe('done');
  });

  it('sends resources/updated only on the listen stream that asked for that resource', { timeout: 20_000 }, async () => {
    const watched = 'demo://resource/static/document/architecture.md';
    const client = await modernClient(everything);
    const other = await modernClient(everything);
    const updates: string[] = [];
    const otherUpdates: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (n) => void updates.push(n.params.uri));
    other.setNotificationHandler('notifications/resources/updated', (n) => void otherUpdates.push(n.params.uri));
    // server-everything sends updates of subscribed resources every few seconds.
    const subscription = await client.listen({ resourceSubscriptions: [watched] });
    const otherSubscription = await other.listen({ toolsListChanged: true });
    await client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
    await waitFor('a resource update', () => updates.length > 0, 15_000);
    expect(updates.every((uri) => uri === watched)).toBe(true);
    expect(otherUpdates).toEqual([]);
    await subscription.close();
    await otherSubscription.close();
  });
});

describe('other pairs of eras and transports', () => {
  it('brings a 2026-07-28-only HTTP server to a 2026-07-28 client', async () => {
    const client = await modernClient(`${gateway.url}/modern/mcp`);
    expect(textOf(await client.callTool({ name: 'whoami', arguments: {} }))).toBe('modern');
  });

  it('brings a 2026-07-28-only HTTP server to a 2025-era client', async () => {
    const client = await connectClient(`${gateway.url}/modern/mcp`, 'streamable-http');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'across eras' } }))).toBe('across eras');
  });

  it("turns a 2026-07-28 server's input_required result into an elicitation request to a 2025-era client", async () => {
    const client = await connectClient(`${gateway.url}/modern/mcp`, 'streamable-http', { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(String(request.params.message));
      return { action: 'accept' as const, content: { ok: true } };
    });
    expect(textOf(await client.callTool({ name: 'confirm', arguments: { question: 'Go on?' } }))).toBe('accept: yes');
    expect(asked).toEqual(['Go on?']);
  });

  it("passes a 2026-07-28 server's input_required round on to a 2026-07-28 client", async () => {
    const client = await modernClient(`${gateway.url}/modern/mcp`, { elicitation: {} });
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept' as const, content: { ok: false } }));
    expect(textOf(await client.callTool({ name: 'confirm', arguments: { question: 'Go on?' } }))).toBe('accept: no');
  });

  it("serves a per-session server's 2026-07-28 requests on its shared connection", async () => {
    const client = await modernClient(`${gateway.url}/private/mcp`);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'no session' } }))).toBe('Echo: no session');
  });

  it('serves the aggregated endpoint to 2026-07-28 clients, with prefixed names', async () => {
    const client = await modernClient(`${gateway.url}/mcp`);
    expect(client.getServerVersion()?.name).toBe('mcpgate');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['everything_echo', 'modern_whoami']));
    expect(textOf(await client.callTool({ name: 'modern_whoami', arguments: {} }))).toBe('modern');
    expect(textOf(await client.callTool({ name: 'everything_echo', arguments: { message: 'aggregated' } }))).toBe('Echo: aggregated');
  });

  it('keeps legacy sessions working on the same endpoint', async () => {
    const client = await connectClient(everything, 'streamable-http');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'legacy' } }))).toBe('Echo: legacy');
  });
});

async function cancelledCount(fixtureMcpUrl: string): Promise<number> {
  const [answer] = await messagesOf(await modernPost(fixtureMcpUrl, { id: 'count', method: 'tools/call', params: { name: 'cancelled_ids', arguments: {} } }));
  return (JSON.parse(answer.result.content[0].text) as unknown[]).length;
}
