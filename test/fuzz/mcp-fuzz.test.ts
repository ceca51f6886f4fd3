/**
 * Fuzzing the MCP endpoints of the real `mcpgate` command (config file: server-everything shared,
 * and again as `private` with a connection per session): `/{server}/mcp` and the aggregated `/mcp`
 * in both protocol eras — legacy sessions after a real `initialize`, and stateless 2026-07-28
 * requests with their `_meta` envelope and `Mcp-Method`/`Mcp-Name` headers — and the HTTP+SSE
 * endpoints (`/sse` + `messages`). Generated JSON-RPC-shaped messages (wrong `jsonrpc`, ids of
 * odd types, unknown methods, params of wrong types, batches, empty arrays), random bytes, odd
 * Unicode, bad headers, huge and deeply nested bodies: every answer is below 500, a 4xx carries a
 * JSON-RPC error naming the problem, every request the endpoint accepted is answered (no hang),
 * and the gateway keeps serving.
 */
import { get as httpGet, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopCleanly, useCliLifecycle } from '../cli/run-cli.js';
import {
  anyJson,
  BODY_LIMIT,
  deeplyNested,
  edgeNumber,
  everythingServer,
  expectStillServing,
  FUZZ_SEED,
  fuzz,
  gatewayBugRecords,
  headerValue,
  messagesOfAnswer,
  oddString,
  parseJson,
  percentEncode,
  randomBytes,
  rawRequest,
  request,
  startFuzzGateway,
  transcriptTail,
  type Answer,
  type Body,
  type FuzzGateway,
} from './fuzz-gateway.js';

const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';

const temp = useCliLifecycle();
const owner = {};
let gateway: FuzzGateway;
/** The same servers behind a gateway with hooks: the metrics hook, and the audit log recording arguments. */
let hooked: FuzzGateway;

const SERVERS = {
  everything: everythingServer,
  private: { ...everythingServer, sharing: 'per-session', maxSessions: 8 },
};

beforeAll(async () => {
  // Without the metrics hook no hook is configured, so sessions read the client's transport
  // directly: the paths a hook-free gateway runs. The hooked one wraps every session's transport.
  [gateway, hooked] = await Promise.all([
    startFuzzGateway(temp, owner, SERVERS, ['--no-metrics']),
    startFuzzGateway(temp, owner, SERVERS, ['--audit-log', join(temp.dir, 'audit.jsonl'), '--audit-log-arguments'], 'hooked-config.json'),
  ]);
}, 30_000);

/** The streamable HTTP endpoints: a shared connection, the aggregated endpoint, a connection per session. */
const ENDPOINTS = ['/everything/mcp', '/mcp', '/private/mcp'] as const;
type Endpoint = (typeof ENDPOINTS)[number];

/** Tools safe to call with generated arguments (no sleeping, network, client requests or state changes), by the name each endpoint gives them. */
const SAFE_TOOLS = ['echo', 'get-sum', 'get-annotated-message', 'get-env', 'get-resource-links', 'get-resource-reference', 'get-structured-content', 'get-tiny-image'];
const TOOL_NAMES = [...SAFE_TOOLS, ...SAFE_TOOLS.map((name) => `everything_${name}`), ...SAFE_TOOLS.map((name) => `private_${name}`)];

/** Methods of both eras, and notifications. `subscriptions/listen` is left out: its answer is a stream that stays open. */
const METHODS = [
  'ping', 'initialize', 'tools/list', 'tools/call', 'prompts/list', 'prompts/get', 'resources/list', 'resources/templates/list',
  'resources/read', 'resources/subscribe', 'resources/unsubscribe', 'logging/setLevel', 'completion/complete', 'server/discover',
  'tasks/list', 'tasks/get', 'tasks/cancel', 'roots/list', 'sampling/createMessage', 'elicitation/create',
];
const NOTIFICATIONS = ['notifications/initialized', 'notifications/cancelled', 'notifications/progress', 'notifications/roots/list_changed', 'notifications/message'];

// ---------------------------------------------------------------------------------------------
// Generated JSON-RPC-shaped messages

const jsonrpcField = fc.oneof({ weight: 12, arbitrary: fc.constant('2.0') }, { weight: 1, arbitrary: fc.constantFrom('1.0', '2', 2, null, '', ' 2.0', '2.0\u0000') });
const idField: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -1_000_000, max: 2_000_000_000 }) },
  { weight: 4, arbitrary: oddString(200) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, 1.5, -0, 1e300, 2 ** 53 + 2, {}, [], { a: 1 }, [1]) },
);
const toolName = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...TOOL_NAMES) }, { weight: 1, arbitrary: oddString(300) });
const toolArguments = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(fc.constantFrom('message', 'a', 'b', 'location', 'count', 'resourceId', 'resourceType', 'messageType', 'includeImage', 'x'), fc.oneof(oddString(3_000), edgeNumber, anyJson), { maxKeys: 4 }) },
  { weight: 1, arbitrary: anyJson },
);
const paramsField: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record(
      {
        name: toolName,
        arguments: toolArguments,
        uri: fc.oneof(fc.constantFrom('demo://resource/static/document/architecture.md', 'demo://resource/dynamic/text/1', 'file:///etc/passwd', 'http://[::1'), oddString(500)),
        level: fc.oneof(fc.constantFrom('debug', 'info', 'error', 'emergency'), anyJson),
        cursor: fc.oneof(oddString(100), anyJson),
        requestId: idField,
        progressToken: idField,
        _meta: fc.oneof({ weight: 4, arbitrary: fc.record({ progressToken: fc.oneof(fc.integer(), oddString(40)) }, { requiredKeys: [] }) }, { weight: 1, arbitrary: anyJson }),
        ref: anyJson,
        argument: anyJson,
        protocolVersion: fc.oneof(fc.constantFrom(LEGACY, MODERN, '2024-11-05'), oddString(30)),
        capabilities: anyJson,
        clientInfo: anyJson,
        taskId: oddString(50),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: anyJson },
);
const methodField = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...METHODS) }, { weight: 2, arbitrary: oddString(200) }, { weight: 1, arbitrary: anyJson });

type Message = Record<string, unknown>;
const withoutUndefined = (message: Record<string, unknown>): Message => Object.fromEntries(Object.entries(message).filter(([, value]) => value !== undefined));
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 3 });

/** One JSON-RPC-shaped message: mostly requests, then notifications, answers, and shapes that are none of these. */
const message: fc.Arbitrary<Message> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ jsonrpc: jsonrpcField, id: idField, method: methodField, params: optional(paramsField) }).map(withoutUndefined) },
  {
    weight: 3,
    arbitrary: fc
      .record({ jsonrpc: jsonrpcField, method: fc.oneof(fc.constantFrom(...NOTIFICATIONS), methodField), params: optional(paramsField) })
      .map(withoutUndefined),
  },
  { weight: 1, arbitrary: fc.record({ jsonrpc: jsonrpcField, id: idField, result: anyJson }) },
  { weight: 1, arbitrary: fc.record({ jsonrpc: jsonrpcField, id: idField, error: fc.oneof(fc.record({ code: fc.integer(), message: oddString(100), data: anyJson }, { requiredKeys: ['code', 'message'] }), anyJson) }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ jsonrpc: jsonrpcField, id: idField, method: methodField, params: paramsField, result: anyJson, error: anyJson, extra: anyJson }, { requiredKeys: [] })
      .map(withoutUndefined),
  },
);

/**
 * A body: one message, a batch (empty included) or any JSON value. Within a batch ids are made
 * unique and a request is never cancelled by its own batch, so that every request the endpoint
 * accepts must get exactly one answer.
 */
const jsonRpcBody: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: message },
  { weight: 2, arbitrary: fc.array(message, { maxLength: 4 }).map(cleanBatch) },
  { weight: 1, arbitrary: anyJson },
);

function cleanBatch(batch: Message[]): Message[] {
  const seen = new Set<string>();
  const kept = batch.filter((item) => {
    if (!('id' in item)) return true;
    const key = JSON.stringify(item.id);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return kept.filter((item) => !(item.method === 'notifications/cancelled' && seen.has(JSON.stringify((item.params as { requestId?: unknown } | undefined)?.requestId))));
}

/** The requests of a body (messages with a method and an id): each one accepted must be answered. */
function requestsIn(body: unknown): Message[] {
  const items = Array.isArray(body) ? body : [body];
  return items.filter((item): item is Message => typeof item === 'object' && item !== null && 'method' in item && 'id' in item && (item as Message).id !== undefined);
}

/** An id as it comes back through JSON (-0 becomes 0, 2^53+2 stays what JSON.parse made of it). */
const idKey = (id: unknown): string => JSON.stringify(JSON.parse(JSON.stringify(id ?? null)));

// ---------------------------------------------------------------------------------------------
// HTTP

function legacyHeaders(sessionId?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': LEGACY,
    ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId }),
  };
}

const postMcp = (path: string, body: Body, headers: Record<string, string>, base = gateway.url): Promise<Answer> =>
  request(`${base}${path}`, { method: 'POST', headers, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);

/** A legacy session after a real handshake (`initialize`, then `notifications/initialized`). */
async function openSession(path: string, base = gateway.url): Promise<string> {
  const init = await postMcp(
    path,
    JSON.stringify({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } }),
    legacyHeaders(),
    base,
  );
  const sessionId = init.headers.get('mcp-session-id');
  expect(sessionId, `${path} initialize: ${init.status} ${init.text}`).toBeTruthy();
  const initialized = await postMcp(path, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), legacyHeaders(sessionId!), base);
  expect(initialized.status).toBe(202);
  return sessionId!;
}

async function closeSession(path: string, sessionId: string, base = gateway.url): Promise<void> {
  await request(`${base}${path}`, { method: 'DELETE', headers: legacyHeaders(sessionId) });
}

/** A generated request may have opened a session (a valid `initialize`): close it, so no child outlives its use. */
async function closeOpenedSession(path: string, answer: Answer): Promise<void> {
  const opened = answer.headers.get('mcp-session-id');
  if (opened) await closeSession(path, opened);
}

/** The 2026-07-28 envelope every request of that era carries in `params._meta`. */
function envelope(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {}, ...extra };
}

function modernHeaders(method: string, name?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': MODERN,
    'mcp-method': method,
    ...(name === undefined ? {} : { 'mcp-name': name }),
  };
}

/**
 * What an MCP endpoint answered to `sent`: below 500; a 4xx carries a JSON-RPC error (or, for a
 * path that fell through to the REST routes, FastAPI's `detail`) naming the problem; a 200 (the
 * endpoint accepted every message) answers each request exactly once, under its own id, and a
 * 202 is only for bodies without requests.
 */
function expectMcpAnswer(answer: Answer, sent: unknown, what: string): void {
  const context = `${what}\nsent: ${JSON.stringify(sent)?.slice(0, 600)}\nanswered ${answer.status}: ${answer.text.slice(0, 600)}`;
  expect(answer.status, context).toBeLessThan(500);
  if (answer.status >= 400) {
    const problem = answer.json?.error?.message ?? answer.json?.detail;
    expect(problem, context).toBeDefined();
    if (answer.json?.error !== undefined) expect(answer.json.error.message, context).toBeTypeOf('string');
    return;
  }
  if (answer.status === 202) {
    expect(requestsIn(sent), context).toEqual([]);
    return;
  }
  expect(answer.status, context).toBe(200);
  const responses = messagesOfAnswer(answer).filter((item) => item !== null && typeof item === 'object' && ('result' in item || 'error' in item));
  for (const item of responses) expect(item.jsonrpc, context).toBe('2.0');
  for (const requested of requestsIn(sent)) {
    const answered = responses.filter((item) => idKey(item.id) === idKey(requested.id));
    expect(answered.length, `${context}\nrequest ${idKey(requested.id)} was answered ${answered.length} times`).toBe(1);
  }
}

/** A plain call through the MCP endpoints of both eras, which must keep working whatever was sent before. */
async function mcpStillWorks(): Promise<void> {
  const sessionId = await openSession('/everything/mcp');
  const legacy = await postMcp('/everything/mcp', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'still here' } } }), legacyHeaders(sessionId));
  expect(messagesOfAnswer(legacy).at(-1)?.result?.content?.[0]?.text, legacy.text).toBe('Echo: still here');
  await closeSession('/everything/mcp', sessionId);
  const modern = await postMcp(
    '/mcp',
    JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'everything_echo', arguments: { message: 'still here' }, _meta: envelope() } }),
    modernHeaders('tools/call', 'everything_echo'),
  );
  expect(messagesOfAnswer(modern).at(-1)?.result?.content?.[0]?.text, modern.text).toBe('Echo: still here');
}

// ---------------------------------------------------------------------------------------------
// HTTP+SSE sessions

/**
 * A client of the HTTP+SSE transport: the GET stream read in the background (over `node:http`,
 * whose socket is really closed by {@link close}, as a client that goes away does), and where to POST.
 */
class SseClient {
  readonly messages: any[] = [];
  ended = false;
  private constructor(
    readonly messagesUrl: string,
    private readonly stream: ClientRequest,
  ) {}

  static async open(path: string, base = gateway.url): Promise<SseClient> {
    let client: SseClient | undefined;
    let endpoint: string | undefined;
    let buffer = '';
    const stream = httpGet(`${base}${path}`, { headers: { accept: 'text/event-stream' } }, (response) => {
      expect(response.statusCode).toBe(200);
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === 'endpoint') endpoint = data;
          else if (event !== undefined && data !== undefined) client?.messages.push(JSON.parse(data));
        }
      });
      response.on('close', () => {
        if (client) client.ended = true;
      });
    });
    stream.on('error', () => undefined);
    const deadline = Date.now() + 5_000;
    while (endpoint === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(endpoint, `${path} sent no endpoint event`).toBeDefined();
    client = new SseClient(new URL(endpoint!, `${base}${path}`).href, stream);
    return client;
  }

  post(body: Body, contentType = 'application/json'): Promise<Answer> {
    return request(this.messagesUrl, { method: 'POST', headers: { 'content-type': contentType }, body });
  }

  /** Resolves with the first message from `from` on for which `predicate` holds; fails after `timeoutMs`. */
  async waitFor(predicate: (message: any) => boolean, from: number, what: string, timeoutMs = 10_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no answer on the SSE stream for ${what} within ${timeoutMs} ms; received: ${JSON.stringify(this.messages.slice(from)).slice(0, 600)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async initialize(): Promise<void> {
    const from = this.messages.length;
    const answer = await this.post(JSON.stringify({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } }));
    expect(answer.status).toBe(202);
    await this.waitFor((item) => item.id === 'init', from, 'initialize');
    expect((await this.post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }))).status).toBe(202);
  }

  close(): void {
    this.stream.destroy();
  }
}

const sseClients: SseClient[] = [];
afterAll(() => sseClients.forEach((client) => client.close()));

async function openSseClient(path: string, base?: string): Promise<SseClient> {
  const client = await SseClient.open(path, base);
  sseClients.push(client);
  await client.initialize();
  return client;
}

// ---------------------------------------------------------------------------------------------

describe(`MCP endpoints under fuzzing (seed ${FUZZ_SEED})`, () => {
  it('legacy sessions (shared, aggregated, per-session) after a real initialize: generated JSON-RPC messages and batches', async () => {
    const sessions = new Map<Endpoint, string>();
    for (const endpoint of ENDPOINTS) sessions.set(endpoint, await openSession(endpoint));
    await fuzz(
      'legacy-session messages',
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), jsonRpcBody, async (endpoint, body) => {
        const text = JSON.stringify(body) ?? 'null';
        const answer = await postMcp(endpoint, text, legacyHeaders(sessions.get(endpoint)));
        expectMcpAnswer(answer, body, `POST ${endpoint} (session)`);
      }),
      300,
    );
    // The sessions survived it all: each still answers.
    for (const [endpoint, sessionId] of sessions) {
      const ping = await postMcp(endpoint, JSON.stringify({ jsonrpc: '2.0', id: 'last', method: 'ping' }), legacyHeaders(sessionId));
      expect(messagesOfAnswer(ping).at(-1), `${endpoint}: ${ping.text}`).toMatchObject({ id: 'last', result: {} });
      await closeSession(endpoint, sessionId);
    }
    expect(gateway.cli.logRecords().filter((record) => /closing the session/.test(record.msg)), 'no per-session server went away').toEqual([]);
    await expectStillServing(gateway, mcpStillWorks);
  });

  it('2026-07-28 requests: generated methods, params, envelopes, Mcp-Method / Mcp-Name / version / Accept headers', async () => {
    const envelopeField = fc.oneof(
      { weight: 6, arbitrary: fc.constant(envelope()) },
      { weight: 1, arbitrary: fc.constantFrom('debug', 'error', 'bogus', 5).map((level) => envelope({ 'io.modelcontextprotocol/logLevel': level })) },
      { weight: 1, arbitrary: fc.record({ 'io.modelcontextprotocol/protocolVersion': fc.oneof(fc.constantFrom(MODERN, LEGACY, '2099-01-01'), anyJson), 'io.modelcontextprotocol/clientCapabilities': anyJson }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: anyJson },
    );
    const modernRequest = fc
      .record({
        jsonrpc: jsonrpcField,
        id: optional(idField),
        method: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...METHODS) }, { weight: 1, arbitrary: oddString(100) }),
        params: fc.oneof({ weight: 8, arbitrary: paramsField.filter((params) => typeof params === 'object' && params !== null && !Array.isArray(params)) }, { weight: 1, arbitrary: anyJson }),
        meta: envelopeField,
        state: optional(fc.record({ requestState: fc.oneof(oddString(60), anyJson), inputResponses: anyJson }, { requiredKeys: [] })),
      })
      .map(({ meta, state, params, ...rest }) => {
        const withMeta = typeof params === 'object' && params !== null && !Array.isArray(params) ? { ...params, ...state, _meta: meta } : params;
        return withoutUndefined({ ...rest, params: withMeta });
      });
    const headers = fc.record({
      methodHeader: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: headerValue }),
      nameHeader: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: headerValue }),
      version: fc.oneof({ weight: 8, arbitrary: fc.constant(MODERN) }, { weight: 1, arbitrary: headerValue }),
      accept: fc.oneof({ weight: 8, arbitrary: fc.constant('application/json, text/event-stream') }, { weight: 1, arbitrary: headerValue }),
    });
    const body = fc.oneof({ weight: 8, arbitrary: modernRequest as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.array(modernRequest, { maxLength: 3 }).map(cleanBatch) });
    await fuzz(
      '2026-07-28 requests',
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), body, headers, async (endpoint, sent, header) => {
        const first = (Array.isArray(sent) ? sent[0] : sent) as Message | undefined;
        const name = nameHeaderOf(first);
        const sentHeaders: Record<string, string> = {
          'content-type': 'application/json',
          accept: header.accept,
          'mcp-protocol-version': header.version,
        };
        const method = header.methodHeader ?? (typeof first?.method === 'string' ? first.method : undefined);
        const nameHeader = header.nameHeader ?? name;
        // A header value fetch cannot send (a non-latin1 character) is left out, as a client would have to.
        if (method !== undefined && isLatin1(method)) sentHeaders['mcp-method'] = method;
        if (nameHeader !== undefined && isLatin1(nameHeader)) sentHeaders['mcp-name'] = nameHeader;
        const answer = await postMcp(endpoint, JSON.stringify(sent), sentHeaders);
        await closeOpenedSession(endpoint, answer);
        expectMcpAnswer(answer, sent, `POST ${endpoint} (2026-07-28) ${JSON.stringify(sentHeaders).slice(0, 300)}`);
      }),
      250,
    );
    await expectStillServing(gateway, mcpStillWorks);
  });

  it('HTTP+SSE sessions (shared, aggregated, per-session): generated messages, batches, JSON values and bytes to messages?sessionId', async () => {
    const clients = new Map<string, SseClient>();
    for (const path of ['/everything/sse', '/sse', '/private/sse']) clients.set(path, await openSseClient(path));
    const body = fc.oneof(
      { weight: 6, arbitrary: jsonRpcBody.map((value) => ({ value, text: JSON.stringify(value) ?? 'null' })) },
      { weight: 1, arbitrary: randomBytes.map((bytes) => ({ value: parseJson(Buffer.from(bytes).toString('utf8')), text: Buffer.from(bytes).toString('utf8'), bytes })) },
    );
    await fuzz(
      'HTTP+SSE messages',
      fc.asyncProperty(fc.constantFrom(...clients.keys()), body, async (path, sent) => {
        const client = clients.get(path)!;
        const from = client.messages.length;
        const answer = await client.post('bytes' in sent ? sent.bytes : sent.text);
        const what = `POST ${path} messages: ${sent.text.slice(0, 400)} → ${answer.status} ${answer.text.slice(0, 300)}`;
        expect(answer.status, what).toBeLessThan(500);
        if (answer.status >= 400) {
          expect(answer.json?.error?.message, what).toBeTypeOf('string');
          return;
        }
        expect(answer.status, what).toBe(202);
        // Accepted: every request is answered on the stream, under its own id.
        for (const requested of requestsIn(sent.value)) {
          const key = idKey(requested.id);
          await client.waitFor((item) => ('result' in item || 'error' in item) && idKey(item.id) === key, from, `${what} (id ${key})`);
        }
      }),
      200,
    );
    for (const [path, client] of clients) {
      expect(client.ended, `${path}: the session's stream ended`).toBe(false);
      const from = client.messages.length;
      expect((await client.post(JSON.stringify({ jsonrpc: '2.0', id: 'alive', method: 'ping' }))).status).toBe(202);
      await client.waitFor((item) => item.id === 'alive', from, `${path} ping`);
      client.close();
    }
    await expectStillServing(gateway, mcpStillWorks);
  });

  it('odd Unicode in tool arguments comes back unchanged through every endpoint and both eras', async () => {
    const sessions = new Map<Endpoint, string>();
    for (const endpoint of ENDPOINTS) sessions.set(endpoint, await openSession(endpoint));
    const toolOf = (endpoint: Endpoint): string => (endpoint === '/mcp' ? 'everything_echo' : 'echo');
    await fuzz(
      'argument values',
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), fc.boolean(), oddString(20_000), async (endpoint, modern, text) => {
        const name = toolOf(endpoint);
        const params = { name, arguments: { message: text }, ...(modern ? { _meta: envelope() } : {}) };
        const body = JSON.stringify({ jsonrpc: '2.0', id: 'u', method: 'tools/call', params });
        const answer = await postMcp(endpoint, body, modern ? modernHeaders('tools/call', name) : legacyHeaders(sessions.get(endpoint)));
        const result = messagesOfAnswer(answer).at(-1);
        expect(result?.result?.content?.[0]?.text, `${endpoint} ${modern ? MODERN : 'legacy'}: ${answer.text.slice(0, 300)}`).toBe(`Echo: ${text}`);
      }),
      80,
    );
    for (const [endpoint, sessionId] of sessions) await closeSession(endpoint, sessionId);
    await expectStillServing(gateway, mcpStillWorks);
  });

  it('requests without a session: odd methods, headers (session id, version, Accept, Content-Type, Last-Event-ID, Origin) and bodies', async () => {
    const path = fc.oneof(
      fc.constantFrom('/mcp', '/everything/mcp', '/private/mcp', '/messages', '/everything/messages', '/sse', '/nope/mcp'),
      oddString(100).map((text) => `/everything/messages?sessionId=${percentEncode(text)}`),
    );
    const bodyBytes = fc.oneof(
      jsonRpcBody.map((value) => new Uint8Array(Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'))),
      randomBytes,
    );
    const maybe = (arbitrary: fc.Arbitrary<string>) => fc.option(arbitrary, { nil: undefined, freq: 2 });
    const headers = fc.record({
      'content-type': fc.oneof(fc.constant('application/json'), headerValue),
      accept: maybe(headerValue),
      'mcp-session-id': maybe(fc.oneof(headerValue, fc.uuid())),
      'mcp-protocol-version': maybe(headerValue),
      'last-event-id': maybe(fc.oneof(headerValue, fc.uuid().map((uuid) => `1_${uuid}`))),
      'mcp-method': maybe(headerValue),
      origin: fc.option(fc.constantFrom('http://evil.example', 'null', 'http://localhost:3000', 'garbage'), { nil: undefined, freq: 5 }),
    });
    const method = fc.constantFrom('POST', 'POST', 'POST', 'GET', 'DELETE', 'PUT', 'PATCH', 'OPTIONS');
    await fuzz(
      'requests without a session',
      fc.asyncProperty(method, path, headers, bodyBytes, async (verb, target, sentHeaders, bytes) => {
        const cleanHeaders = Object.fromEntries(Object.entries(sentHeaders).filter((entry): entry is [string, string] => entry[1] !== undefined));
        const answer = await request(`${gateway.url}${target}`, { method: verb, headers: cleanHeaders, ...(verb === 'GET' ? {} : { body: bytes }) });
        await closeOpenedSession(target.split('?')[0]!, answer);
        const what = `${verb} ${target} ${JSON.stringify(cleanHeaders).slice(0, 300)} ${Buffer.from(bytes).toString('utf8').slice(0, 200)} → ${answer.status} ${answer.text.slice(0, 300)}`;
        expect(answer.status, what).toBeLessThan(500);
        if (answer.status >= 400) expect(answer.json?.error?.message ?? answer.json?.detail, what).toBeDefined();
      }),
      200,
    );
    await expectStillServing(gateway, mcpStillWorks);
  });

  it('malformed JSON, wrong Content-Type, missing or garbage Accept', async () => {
    for (const endpoint of ENDPOINTS) {
      const sessionId = await openSession(endpoint);
      for (const body of ['{"jsonrpc":"2.0","id":1,"method":', '{"jsonrpc":"2.0","id":1,"method":"ping"} trailing', 'NaN', '{"jsonrpc":"2.0","id":NaN,"method":"ping"}', "{'jsonrpc':'2.0'}", '', '\u0000']) {
        for (const headers of [legacyHeaders(sessionId), legacyHeaders(), modernHeaders('ping')]) {
          const answer = await postMcp(endpoint, body, headers);
          expect(answer.status, `${endpoint} ${JSON.stringify(body)}: ${answer.text}`).toBe(400);
          expect(answer.json.error.code).toBe(-32700);
          expect(answer.json.error.message).toMatch(/^Parse error/);
        }
      }
      // Valid JSON that is no JSON-RPC message, and empty or invalid batches.
      for (const body of ['42', 'null', '"text"', '{}', '[]', '[1,2]', '[[]]', '{"jsonrpc":"2.0"}', '{"jsonrpc":"1.0","id":1,"method":"ping"}', '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', '{"jsonrpc":"2.0","id":1,"method":"ping","params":null}']) {
        const answer = await postMcp(endpoint, body, legacyHeaders(sessionId));
        expect(answer.status, `${endpoint} ${body}: ${answer.text}`).toBe(400);
        expect(answer.json.error.message, body).toMatch(/Bad Request|Parse error|Invalid Request/);
      }
      for (const type of ['text/plain', 'application/xml', 'garbage', '']) {
        const answer = await postMcp(endpoint, '{"jsonrpc":"2.0","id":1,"method":"ping"}', { ...legacyHeaders(sessionId), 'content-type': type });
        expect(answer.status, `${endpoint} ${type}`).toBe(415);
        expect(answer.json.error.message).toMatch(/Unsupported Media Type/);
      }
      // The streamable HTTP transport needs both JSON and event streams accepted.
      for (const accept of ['garbage', 'text/html', 'application/json', '']) {
        const headers: Record<string, string> = { ...legacyHeaders(sessionId), accept };
        const answer = await postMcp(endpoint, '{"jsonrpc":"2.0","id":1,"method":"ping"}', headers);
        expect(answer.status, `${endpoint} accept ${JSON.stringify(accept)}: ${answer.text}`).toBeLessThan(500);
        if (answer.status >= 400) expect(answer.json.error.message).toMatch(/Not Acceptable/);
      }
      const noAccept = legacyHeaders();
      delete (noAccept as Record<string, string | undefined>).accept;
      const refused = await postMcp(endpoint, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'x', version: '1' } } }), noAccept);
      await closeOpenedSession(endpoint, refused);
      expect(refused.status, refused.text).toBe(406);
      expect(refused.json.error.message).toMatch(/Not Acceptable/);
      await closeSession(endpoint, sessionId);
    }
    await expectStillServing(gateway, mcpStillWorks);
  });

  it('unknown, garbage and ended session ids; a garbage Mcp-Protocol-Version', async () => {
    const sessionId = await openSession('/everything/mcp');
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    for (const id of ['00000000-0000-0000-0000-000000000000', 'garbage', 'x'.repeat(8_000), '\u00ff\u00fe', ' ', '../../etc/passwd']) {
      for (const method of ['POST', 'GET', 'DELETE']) {
        const answer = await request(`${gateway.url}/everything/mcp`, { method, headers: legacyHeaders(id), ...(method === 'POST' ? { body: ping } : {}) });
        expect(answer.status, `${method} ${id.slice(0, 20)}: ${answer.text.slice(0, 200)}`).toBe(404);
        expect(answer.json.error.code).toBe(-32001);
        expect(answer.json.error.message).toMatch(/Session not found/);
      }
    }
    // A session of one endpoint is unknown to the others.
    for (const other of ['/mcp', '/private/mcp']) expect((await postMcp(other, ping, legacyHeaders(sessionId))).status).toBe(404);
    for (const version of ['garbage', '1999-01-01', '', '2026-07-28', '\u00ff']) {
      const answer = await postMcp('/everything/mcp', ping, { ...legacyHeaders(sessionId), 'mcp-protocol-version': version });
      expect(answer.status, `version ${JSON.stringify(version)}: ${answer.text}`).toBeLessThan(500);
      if (answer.status >= 400) expect(answer.json.error.message).toBeTypeOf('string');
    }
    // Garbage Last-Event-ID on the GET stream.
    for (const lastEventId of ['garbage', '_', '1_', '99999_nope']) {
      const answer = await request(`${gateway.url}/everything/mcp`, { method: 'GET', headers: { ...legacyHeaders(sessionId), accept: 'text/event-stream', 'last-event-id': lastEventId } });
      expect(answer.status, `Last-Event-ID ${lastEventId}: ${answer.text}`).toBeLessThan(500);
    }
    await closeSession('/everything/mcp', sessionId);
    const ended = await postMcp('/everything/mcp', ping, legacyHeaders(sessionId));
    expect(ended.status).toBe(404);
    await expectStillServing(gateway, mcpStillWorks);
  });

  it('bodies just over the size limit and many MB over it, sized and chunked, in both eras and on messages', async () => {
    const sessionId = await openSession('/everything/mcp');
    const sse = await openSseClient('/everything/sse');
    const ofSize = (bytes: number): string => {
      const envelopeText = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: '' } });
      return JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(bytes - envelopeText.length) } });
    };
    const atLimit = await postMcp('/everything/mcp', ofSize(BODY_LIMIT), legacyHeaders(sessionId));
    expect(atLimit.status).toBe(200);
    for (const body of [ofSize(BODY_LIMIT + 1), ofSize(16 * 1024 * 1024)]) {
      for (const chunked of [false, true]) {
        const payload = (): Body => (chunked ? streamOf(body) : body);
        for (const answer of [
          await postMcp('/everything/mcp', payload(), legacyHeaders(sessionId)),
          await postMcp('/mcp', payload(), modernHeaders('ping')),
          await postMcp('/private/mcp', payload(), legacyHeaders()),
          await request(sse.messagesUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload(), duplex: 'half' } as RequestInit),
        ]) {
          expect(answer.status, `${body.length} bytes${chunked ? ', chunked' : ''}: ${answer.text}`).toBe(413);
          expect(answer.json.error.message).toMatch(/Payload Too Large/);
        }
      }
    }
    sse.close();
    await closeSession('/everything/mcp', sessionId);
    await expectStillServing(gateway, mcpStillWorks);
  });

  it('deeply nested JSON (100 000 levels) as the whole body or as an argument value is 400, with and without hooks; 500 levels is served', async () => {
    for (const target of [gateway, hooked]) {
      const sessions = new Map<Endpoint, string>();
      for (const endpoint of ENDPOINTS) sessions.set(endpoint, await openSession(endpoint, target.url));
      const sse = await openSseClient('/everything/sse', target.url);
      const call = (endpoint: Endpoint, modern: boolean, value: string): { text: string; headers: Record<string, string> } => {
        const name = endpoint === '/mcp' ? 'everything_echo' : 'echo';
        const meta = modern ? `,"_meta":${JSON.stringify(envelope())}` : '';
        return {
          text: `{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{"name":"${name}","arguments":{"message":${value}}${meta}}}`,
          headers: modern ? modernHeaders('tools/call', name) : legacyHeaders(sessions.get(endpoint)),
        };
      };
      for (const kind of ['array', 'object'] as const) {
        const deep = deeplyNested(100_000, kind);
        for (const endpoint of ENDPOINTS) {
          for (const modern of [false, true]) {
            const asBody = await postMcp(endpoint, deep, modern ? modernHeaders('tools/call', 'echo') : legacyHeaders(sessions.get(endpoint)), target.url);
            const { text, headers } = call(endpoint, modern, deep);
            const asArgument = await postMcp(endpoint, text, headers, target.url);
            for (const [what, answer] of [['the whole body', asBody], ['an argument value', asArgument]] as const) {
              expect(answer.status, `${endpoint} ${kind} as ${what}${modern ? ' (2026-07-28)' : ''}: ${answer.text.slice(0, 200)}`).toBe(400);
              expect(answer.json.error.message).toBe('Bad Request: the JSON body is nested deeper than 512 levels');
            }
          }
        }
        const from = sse.messages.length;
        const onMessages = await sse.post(`{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{"name":"echo","arguments":{"message":${deep}}}}`);
        expect(onMessages.status).toBe(400);
        expect(onMessages.json.error.message).toBe('Bad Request: the JSON body is nested deeper than 512 levels');
        expect(sse.messages.slice(from)).toEqual([]);
      }
      // Under the limit the call is served: the server refuses the argument, and no hook fails on it.
      for (const endpoint of ENDPOINTS) {
        for (const modern of [false, true]) {
          const { text, headers } = call(endpoint, modern, deeplyNested(500, 'object'));
          const answer = await postMcp(endpoint, text, headers, target.url);
          expectMcpAnswer(answer, { jsonrpc: '2.0', id: 'deep', method: 'tools/call' }, `${endpoint} 500 levels`);
          const answered = messagesOfAnswer(answer).at(-1);
          expect(answered.error?.message ?? answered.result?.isError, answer.text.slice(0, 300)).toBeTruthy();
          expect(answered.error?.data?.reason, answer.text.slice(0, 300)).not.toBe('HOOK_FAILED');
        }
      }
      sse.close();
      for (const [endpoint, sessionId] of sessions) await closeSession(endpoint, sessionId, target.url);
    }
    expect(gatewayBugRecords(hooked.cli), transcriptTail(hooked.cli)).toEqual([]);
    expect(hooked.cli.logRecords().filter((record) => /hook .* failed/.test(record.msg)), transcriptTail(hooked.cli)).toEqual([]);
    await expectStillServing(gateway, mcpStillWorks);
  });

  it('messages?sessionId with a body that is no JSON-RPC message is 400, and the session carries on (shared, aggregated, per-session; with and without hooks)', async () => {
    for (const [path, base] of ['/everything/sse', '/sse', '/private/sse'].flatMap((one) => [[one, gateway.url], [one, hooked.url]] as const)) {
      const client = await openSseClient(path, base);
      for (const body of ['42', 'null', '"text"', 'true', '{}', '[]', '[null]', '[1,2]', '[{"jsonrpc":"2.0","id":1,"method":"ping"},42]', '{"jsonrpc":"2.0"}', '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', '{"jsonrpc":"2.0","id":1,"method":"ping","params":5}']) {
        const answer = await client.post(body);
        expect(answer.status, `${path} ${body}: ${answer.text}`).toBe(400);
        expect(answer.json.error.message).toMatch(/not a valid JSON-RPC message/);
      }
      const from = client.messages.length;
      expect((await client.post('[{"jsonrpc":"2.0","id":"a","method":"ping"},{"jsonrpc":"2.0","id":"b","method":"tools/list"}]')).status).toBe(202);
      await client.waitFor((item) => item.id === 'a' && 'result' in item, from, `${path} ping`);
      await client.waitFor((item) => item.id === 'b' && Array.isArray(item.result?.tools), from, `${path} tools/list`);
      expect(client.ended).toBe(false);
      client.close();
    }
    expect(gatewayBugRecords(hooked.cli), transcriptTail(hooked.cli)).toEqual([]);
    await expectStillServing(gateway, mcpStillWorks);
  });

  it('bad headers and broken framing over a raw socket: header bytes, oversize headers, lying Content-Length, broken chunks, bodies cut short', async () => {
    const sessionId = await openSession('/everything/mcp');
    const sse = await openSseClient('/everything/sse');
    const messagesPath = new URL(sse.messagesUrl).pathname + new URL(sse.messagesUrl).search;
    const head = (path: string, extra = ''): string =>
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n${extra}`;
    const ping = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    for (const [what, parts, status] of [
      ['a control byte in Mcp-Session-Id', [`${head('/everything/mcp', 'Mcp-Session-Id: a\u0001b\r\n')}Content-Length: ${ping.length}\r\n\r\n${ping}`], 400],
      ['headers over 16 KiB', [`${head('/mcp', `Mcp-Session-Id: ${'a'.repeat(20_000)}\r\n`)}Content-Length: ${ping.length}\r\n\r\n${ping}`], 431],
      ['a broken chunk size', [`${head('/mcp')}Transfer-Encoding: chunked\r\n\r\nZZ\r\n${ping}\r\n`], 400],
      ['a negative Content-Length', [`${head('/mcp')}Content-Length: -1\r\n\r\n${ping}`], 400],
    ] as Array<[string, string[], number]>) {
      const answer = await rawRequest(gateway.port, parts, { end: true });
      expect(answer.status, `${what}: ${answer.text.slice(0, 200)}`).toBe(status);
    }
    // Latin1 and UTF-8 bytes in MCP header values reach the endpoint, which answers them.
    for (const [header, status] of [
      [`Mcp-Session-Id: \u00ff\u00fe\u0080\r\n`, 404],
      [`Mcp-Session-Id: ${sessionId}\r\nMcp-Protocol-Version: \u00ff\r\n`, 400],
      ['Mcp-Protocol-Version: 2026-07-28\r\nMcp-Method: \u00e9\r\nMcp-Name: \u00c3\u00a9\r\n', 400],
    ] as Array<[string, number]>) {
      const answer = await rawRequest(gateway.port, [`${head('/everything/mcp', header)}Content-Length: ${ping.length}\r\n\r\n${ping}`]);
      expect(answer.status, `${header.trim()}: ${answer.text.slice(0, 300)}`).toBe(status);
    }
    const before = gatewayBugRecords(gateway.cli).length;
    const cutShort: Array<[string, string]> = [
      ['/everything/mcp', `Mcp-Session-Id: ${sessionId}\r\n`],
      ['/mcp', 'Mcp-Protocol-Version: 2026-07-28\r\nMcp-Method: ping\r\n'],
      ['/private/mcp', ''],
      [messagesPath, ''],
    ];
    for (const [path, extra] of cutShort) {
      // A Content-Length larger than the body: no answer until the rest arrives; then the client goes away.
      const lying = await rawRequest(gateway.port, [`${head(path, extra)}Content-Length: 200\r\n\r\n{"jsonrpc":"2.0",`], { waitMs: 250 });
      expect(lying.status, `${path}: no answer before the declared body has arrived`).toBeUndefined();
      // Half-closed, it can never complete: Node answers 400.
      expect((await rawRequest(gateway.port, [`${head(path, extra)}Content-Length: 200\r\n\r\n{"jsonrpc":"2.0",`], { end: true })).status).toBe(400);
      // A chunked body cut short.
      await rawRequest(gateway.port, [`${head(path, extra)}Transfer-Encoding: chunked\r\n\r\n10\r\n{"jsonrpc":"2.0",`], { waitMs: 250 });
    }
    // fetch aborted mid-body.
    for (const [path, headers] of [['/everything/mcp', legacyHeaders(sessionId)], ['/mcp', modernHeaders('ping')]] as const) {
      const controller = new AbortController();
      const body = new ReadableStream<Uint8Array>({
        start(stream) {
          stream.enqueue(new TextEncoder().encode('{"jsonrpc":"2.0","id":1,'));
          setTimeout(() => controller.abort(), 100);
        },
      });
      const aborted = await fetch(`${gateway.url}${path}`, { method: 'POST', headers, body, duplex: 'half', signal: controller.signal } as RequestInit).catch((error: Error) => error);
      expect(aborted).toBeInstanceOf(Error);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(gatewayBugRecords(gateway.cli).slice(before), transcriptTail(gateway.cli)).toEqual([]);
    // The session and the SSE session are still fine.
    const pong = await postMcp('/everything/mcp', ping, legacyHeaders(sessionId));
    expect(messagesOfAnswer(pong).at(-1)).toMatchObject({ id: 1, result: {} });
    const from = sse.messages.length;
    expect((await sse.post(ping)).status).toBe(202);
    await sse.waitFor((item) => item.id === 1, from, 'ping after the broken requests');
    sse.close();
    await closeSession('/everything/mcp', sessionId);
    await expectStillServing(gateway, mcpStillWorks);
  });

  it('is still running after all of it, with no route error or fatal record in its log, and stops cleanly (both gateways)', async () => {
    await expectStillServing(gateway, mcpStillWorks);
    for (const { cli } of [gateway, hooked]) {
      await stopCleanly(cli);
      expect(gatewayBugRecords(cli), transcriptTail(cli)).toEqual([]);
    }
  });
});

/** What `Mcp-Name` carries for a 2026-07-28 request: the tool or prompt name, or the resource URI; nothing for other methods. */
function nameHeaderOf(message: Message | undefined): string | undefined {
  const params = message?.params as Record<string, unknown> | undefined;
  const value = message?.method === 'tools/call' || message?.method === 'prompts/get' ? params?.name : String(message?.method).startsWith('resources/') ? params?.uri : undefined;
  return typeof value === 'string' ? value : undefined;
}

function isLatin1(text: string): boolean {
  return /^[\u0020-\u007e\u00a0-\u00ff]*$/.test(text);
}

/** A body without a declared length (sent chunked), in 64 KiB pieces. */
function streamOf(text: string): ReadableStream<Uint8Array> {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + 65_536));
      offset += 65_536;
    },
  });
}
