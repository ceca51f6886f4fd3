/**
 * The REST frontend against a real stdio fixture over a real socket: result mapping for every
 * content type, the error table, argument validation and coercion, and request-level errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { post, restFixtureConfig, startRestGateway, type RunningRestGateway } from './rest-gateway.js';

let gateway: RunningRestGateway;
let base: string;

beforeAll(async () => {
  gateway = await startRestGateway([restFixtureConfig({ timeoutMs: 1500 })], { rest: { maxBodyBytes: 4096 } });
  base = gateway.url;
});

describe('results', () => {
  it.each([
    ['text_plain', 'hello world'],
    ['text_json', { a: 1, b: [true, null] }],
    ['text_number', 42],
    ['several', ['one', { two: 2 }]],
    ['empty', []],
    ['image', 'data:image/png;base64,iVBORw0KGgo='],
    ['audio', 'data:audio/wav;base64,UklGRg=='],
    ['embedded_text', 'file body'],
    ['embedded_blob', 'data:application/pdf;base64,JVBERi0='],
    ['resource_link', { type: 'resource_link', uri: 'file:///docs/readme.md', name: 'readme', mimeType: 'text/markdown' }],
    ['structured', { city: 'Paris', temperature: 21 }],
    ['dotted.name', 'dotted'],
  ])('%s maps to its documented body', async (tool, expected) => {
    const response = await post(`${base}/${tool}`, {});
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body).toEqual(expected);
  });

  it('returns the raw CallToolResult with ?raw=true or X-MCP-Raw-Result', async () => {
    const byQuery = await post(`${base}/structured?raw=true`, { city: 'Oslo' });
    expect(byQuery.body).toEqual({ content: [{ type: 'text', text: 'Sunny' }], structuredContent: { city: 'Oslo', temperature: 21 } });
    const byHeader = await post(`${base}/image`, {}, { headers: { 'x-mcp-raw-result': 'true' } });
    expect(byHeader.body).toEqual({ content: [{ type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' }] });
    const errorRaw = await post(`${base}/tool_error?raw=1`, {});
    expect(errorRaw.status).toBe(200);
    expect(errorRaw.body).toEqual({ isError: true, content: [{ type: 'text', text: 'boom happened' }] });
  });

  it('a tool without parameters can be called with no body at all', async () => {
    const response = await fetch(`${base}/text_plain`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await response.json()).toBe('hello world');
  });
});

describe('errors', () => {
  it("isError → 500 with the tool's own text", async () => {
    expect(await post(`${base}/tool_error`, {})).toMatchObject({ status: 500, body: { detail: { message: 'boom happened' } } });
    expect(await post(`${base}/tool_error_empty`, {})).toMatchObject({ status: 500, body: { detail: { message: 'Unknown tool execution error' } } });
  });

  it.each([
    [-32700, 400],
    [-32600, 400],
    [-32601, 404],
    [-32602, 422],
    [-32603, 500],
    [-32000, 500],
    [12345, 500],
  ])('JSON-RPC error %i → %i with message and data', async (code, status) => {
    const response = await post(`${base}/rpc_error`, { code, data: { why: 'because' } });
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ detail: { message: `failed with ${code}`, code, data: { why: 'because' } } });
  });

  it('unknown tool → 404 naming it; wrong method → 405 with Allow', async () => {
    const missing = await post(`${base}/no_such_tool`, {});
    expect(missing.status).toBe(404);
    expect(missing.body.detail.message).toContain('no tool named "no_such_tool"');
    const wrongMethod = await fetch(`${base}/text_plain`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(await wrongMethod.json()).toEqual({ detail: 'Method Not Allowed' });
    expect((await fetch(`${base}/no_such_tool`, { method: 'PUT' })).status).toBe(404);
  });

  it('a call past the server timeout → 504, and the upstream request is cancelled', async () => {
    const response = await post(`${base}/slow`, { ms: 5000 });
    expect(response.status).toBe(504);
    expect(response.body.detail.code).toBe('UPSTREAM_TIMEOUT');
    const cancelled = await post(`${base}/cancelled_ids`, {});
    expect(cancelled.body.length).toBeGreaterThan(0);
  });

  it('a client that disconnects cancels the upstream call', async () => {
    const before = (await post(`${base}/cancelled_ids`, {})).body.length;
    const controller = new AbortController();
    const call = fetch(`${base}/slow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ms: 1400 }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await call;
    await expect.poll(async () => (await post(`${base}/cancelled_ids`, {})).body.length, { timeout: 2000 }).toBe(before + 1);
  });

  it('malformed JSON → 422 json_invalid; wrong content type → 415; too large → 413', async () => {
    const malformed = await post(`${base}/optional_only`, undefined, { raw: '{"note": ' });
    expect(malformed.status).toBe(422);
    expect(malformed.body.detail[0]).toMatchObject({ type: 'json_invalid', loc: ['body', expect.any(Number)] });
    const text = await fetch(`${base}/optional_only`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(text.status).toBe(415);
    expect(((await text.json()) as { detail: string }).detail).toContain('application/json');
    const large = await post(`${base}/optional_only`, { note: 'x'.repeat(5000) });
    expect(large.status).toBe(413);
    // Without a declared length (chunked), the limit holds while reading.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(i === 0 ? '{"note":"' : 'x'.repeat(1000)));
        controller.close();
      },
    });
    const chunked = await fetch(`${base}/optional_only`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('a body nested absurdly deep → 422 naming the limit, not a crash', async () => {
    const roomy = await startRestGateway([restFixtureConfig()], { rest: { maxBodyBytes: 50_000_000 } });
    const tree = (depth: number) => `{"tree":${'{"name":"n","children":['.repeat(depth)}{"name":"x"}${']}'.repeat(depth)}}`;
    const deep = await post(`${roomy.url}/recursive`, undefined, { raw: tree(100_000) });
    expect(deep.status).toBe(422);
    expect(deep.body.detail[0]).toMatchObject({ type: 'too_deep', loc: ['body'], msg: 'JSON nested deeper than 512 levels' });
    expect((await post(`${roomy.url}/optional_only`, undefined, { raw: `{"note":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}` })).status).toBe(422);
    // Deep but within the limit: validated and forwarded.
    expect((await post(`${roomy.url}/recursive`, undefined, { raw: tree(200) })).status).toBe(200);
  });

  it('a JSON body that is not an object → 422 at ["body"]', async () => {
    const response = await post(`${base}/optional_only`, [1, 2]);
    expect(response.status).toBe(422);
    expect(response.body.detail[0]).toMatchObject({ type: 'model_attributes_type', loc: ['body'] });
  });
});

describe('argument validation', () => {
  it('names each bad field FastAPI-style', async () => {
    const response = await post(`${base}/constrained`, { count: 11, unit: 'k', code: 'abc', extra: 1, when: 'not a date', kind: 'other' });
    expect(response.status).toBe(422);
    const byField = Object.fromEntries(response.body.detail.map((issue: { loc: unknown[] }) => [issue.loc.slice(1).join('.'), issue]));
    expect(byField.count).toMatchObject({ type: 'maximum', input: 11 });
    expect(byField.unit).toMatchObject({ type: 'enum', msg: 'Input should be "c", "f"' });
    expect(byField.code).toMatchObject({ type: 'pattern' });
    expect(byField.extra).toMatchObject({ type: 'extra_forbidden' });
    expect(byField.when).toMatchObject({ type: 'format' });
    expect(byField.kind).toMatchObject({ type: 'const' });
  });

  it('a missing required field is "missing" at its location', async () => {
    const response = await post(`${base}/constrained`, {});
    expect(response.status).toBe(422);
    expect(response.body.detail).toEqual([{ type: 'missing', loc: ['body', 'count'], msg: 'Field required', input: {} }]);
    const noBody = await fetch(`${base}/constrained`, { method: 'POST' });
    expect(noBody.status).toBe(422);
  });

  it('converts numeric and boolean strings as mcpo does, and forwards real numbers as numbers', async () => {
    const response = await post(`${base}/constrained`, { count: '3', ratio: '0.5', flag: 'true' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ count: 3, ratio: 0.5, flag: true });
    const notAnInteger = await post(`${base}/constrained`, { count: '2.5' });
    expect(notAnInteger.status).toBe(422);
    expect(notAnInteger.body.detail[0]).toMatchObject({ loc: ['body', 'count'], type: 'integer_type' });
  });

  it('resolves $defs and draft-07 definitions, and validates through them', async () => {
    expect(await post(`${base}/defs`, { home: { street: 'Main', zip: '12345' } })).toMatchObject({ status: 200, body: { home: { street: 'Main', zip: '12345' } } });
    const badZip = await post(`${base}/defs`, { home: { street: 'Main', zip: 'abc' }, work: {} });
    expect(badZip.status).toBe(422);
    expect(badZip.body.detail.map((issue: { loc: unknown[] }) => issue.loc)).toEqual(
      expect.arrayContaining([['body', 'home', 'zip'], ['body', 'work', 'street']]),
    );
    expect(await post(`${base}/definitions`, { color: 'red', pair: ['a', 1] })).toMatchObject({ status: 200 });
    const badColor = await post(`${base}/definitions`, { color: 'pink', pair: ['a', 'b'] });
    expect(badColor.body.detail.map((issue: { loc: unknown[] }) => issue.loc)).toEqual(
      expect.arrayContaining([['body', 'color'], ['body', 'pair', 1]]),
    );
  });

  it('recursive schemas validate at any depth', async () => {
    const tree = { name: 'root', children: [{ name: 'a', children: [{ name: 'b' }] }] };
    expect(await post(`${base}/recursive`, { tree })).toMatchObject({ status: 200, body: { tree } });
    const bad = await post(`${base}/recursive`, { tree: { name: 'root', children: [{ children: [] }] } });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(['body', 'tree', 'children', 0, 'name']);
  });

  it('oneOf / anyOf / allOf / nullable types are enforced and nulls pass where allowed', async () => {
    const good = { target: { id: 1 }, label: null, both: { a: 'x', b: 'y' }, maybe: null };
    expect(await post(`${base}/choice`, good)).toMatchObject({ status: 200, body: good });
    const bad = await post(`${base}/choice`, { target: { id: 'x' }, both: { a: 'x' }, maybe: 'seven' });
    expect(bad.status).toBe(422);
    const locs = bad.body.detail.map((issue: { loc: unknown[] }) => issue.loc.join('.'));
    expect(locs).toEqual(expect.arrayContaining(['body.target', 'body.both.b', 'body.maybe']));
  });

  it('optional-only tools take an empty body; schema defaults are left to the server', async () => {
    expect(await post(`${base}/optional_only`)).toMatchObject({ status: 200, body: {} });
    expect(await post(`${base}/defaults`, {})).toMatchObject({ status: 200, body: {} });
  });
});

describe('event stream', () => {
  it('streams progress and log events, then the result', async () => {
    const response = await fetch(`${base}/progress`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ steps: 3 }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseEvents(await response.text());
    expect(events.filter((event) => event.event === 'progress').map((event) => event.data)).toEqual([
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 2, total: 3, message: 'step 2' },
      { progress: 3, total: 3, message: 'step 3' },
    ]);
    expect(events.find((event) => event.event === 'log')?.data).toEqual({ level: 'info', logger: 'fixture', data: 'starting' });
    expect(events.at(-1)).toEqual({ event: 'result', data: 'finished' });
  });

  it('ends with an error event carrying the status a plain call would get', async () => {
    const response = await fetch(`${base}/tool_error`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: '{}',
    });
    const events = parseEvents(await response.text());
    expect(events).toEqual([{ event: 'error', data: { status: 500, detail: { message: 'boom happened' } } }]);
  });

  it('validation errors are answered before streaming starts', async () => {
    const response = await fetch(`${base}/constrained`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: '{}',
    });
    expect(response.status).toBe(422);
  });
});

function parseEvents(text: string): Array<{ event: string; data: unknown }> {
  return text
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((line) => line.startsWith('event:'))?.slice(6).trim() ?? 'message';
      const data = lines
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      return { event, data: JSON.parse(data) };
    });
}
