/**
 * The built-in hooks (audit log, tool policy) and hook modules loaded from files, through a real
 * gateway with the REST fixture server behind it and real clients on REST and `/mcp`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/gateway.js';
import type { Hook } from '../../src/hooks/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { connectClient, textOf, post, restFixtureConfig, startHookedGateway } from './hook-gateway.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpgate-hooks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the audit log', () => {
  it('writes one JSON line per call from REST and /mcp, with secrets in the arguments masked', async () => {
    const path = join(dir, 'audit.jsonl');
    const { url, gateway } = await startHookedGateway([restFixtureConfig()], [], { auditLog: { path, includeArguments: true } });
    expect((await post(`${url}/optional_only`, { note: 'hello', apiKey: 'sk-123', nested: { password: 'pw', keep: 1 } })).status).toBe(200);
    expect((await post(`${url}/tool_error`, {})).status).toBe(500);
    const client = await connectClient(`${url}/mcp`, 'streamable-http', {}, 'audited-client');
    await client.callTool({ name: 'optional_only', arguments: { note: 'mcp', access_token: 'tok' } });
    await client.close();
    await gateway.close();

    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      server: 'fixture',
      tool: 'optional_only',
      caller: { frontend: 'rest', address: '127.0.0.1' },
      outcome: 'ok',
      arguments: { note: 'hello', apiKey: '[masked]', nested: { password: '[masked]', keep: 1 } },
    });
    expect(typeof lines[0].durationMs).toBe('number');
    expect(Date.parse(lines[0].time)).not.toBeNaN();
    expect(lines[1]).toMatchObject({ tool: 'tool_error', outcome: 'tool_error' });
    expect(lines[2]).toMatchObject({
      caller: { frontend: 'streamable-http', client: { name: 'audited-client', version: '1.0.0' } },
      arguments: { note: 'mcp', access_token: '[masked]' },
      outcome: 'ok',
    });
    expect(lines[2].caller.session).toMatch(/^[0-9a-f-]{36}$/);
    const text = await readFile(path, 'utf8');
    for (const secret of ['sk-123', '"pw"', '"tok"']) expect(text).not.toContain(secret);
  });

  it('leaves the arguments out unless asked', async () => {
    const path = join(dir, 'no-arguments.jsonl');
    const { url, gateway } = await startHookedGateway([restFixtureConfig()], [], { auditLog: { path, includeArguments: false } });
    await post(`${url}/optional_only`, { note: 'private' });
    await gateway.close();
    const [line] = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(line).toMatchObject({ tool: 'optional_only', outcome: 'ok' });
    expect(line).not.toHaveProperty('arguments');
  });
});

describe('tool policy', () => {
  it('hides and refuses disabledTools on REST, its document, /mcp and a per-session pipe', async () => {
    const { url } = await startHookedGateway([restFixtureConfig({ name: 'shared', disabledTools: ['text_plain'] }), restFixtureConfig({ name: 'piped', sharing: 'per-session', disabledTools: ['text_plain'] })], []);
    for (const server of ['shared', 'piped']) {
      const document = (await (await fetch(`${url}/${server}/openapi.json`)).json()) as { paths: object };
      expect(Object.keys(document.paths)).not.toContain('/text_plain');
      expect(Object.keys(document.paths)).toContain('/text_number');
      expect((await post(`${url}/${server}/text_plain`, {})).status).toBe(404);
      const client = await connectClient(`${url}/${server}/mcp`, 'streamable-http');
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).not.toContain('text_plain');
      expect(names).toContain('text_number');
      await expect(client.callTool({ name: 'text_plain', arguments: {} })).rejects.toThrow('Unknown tool: text_plain');
    }
  });

  it("applies a hook's own allowTool the same way, the aggregated endpoint included", async () => {
    const noImages: Hook = { name: 'no-images', allowTool: (_server, tool) => !tool.startsWith('image') };
    const { url } = await startHookedGateway([restFixtureConfig({ name: 'one' }), restFixtureConfig({ name: 'two', sharing: 'per-session' })], [noImages]);
    const root = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: object };
    expect(Object.keys(root.paths).some((path) => path.endsWith('/image'))).toBe(false);
    expect((await post(`${url}/one/image`, {})).status).toBe(404);
    const aggregated = await connectClient(`${url}/mcp`, 'streamable-http');
    const names = (await aggregated.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('one_text_plain');
    expect(names.some((name) => name.endsWith('image'))).toBe(false);
    await expect(aggregated.callTool({ name: 'one_image', arguments: {} })).rejects.toThrow('Unknown tool');
    const piped = await connectClient(`${url}/two/mcp`, 'streamable-http');
    expect((await piped.listTools()).tools.map((tool) => tool.name)).not.toContain('image');
    await expect(piped.callTool({ name: 'image', arguments: {} })).rejects.toThrow('Unknown tool: image');
  });
});

describe('hook modules', () => {
  async function module(name: string, source: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, source);
    return path;
  }

  it('without a name are named after their file, in errors and logs; a module may export a function returning hooks', async () => {
    const failing = await module('failing.mjs', `export default async () => [{ onToolCall: () => () => { throw new Error('broken on purpose'); } }];`);
    const { url, records } = await startHookedGateway([restFixtureConfig()], [], { hookModules: [failing] });
    const refused = await post(`${url}/optional_only`, { note: 'start' });
    expect(refused.status).toBe(500);
    expect(refused.body.detail.message).toBe('hook "failing.mjs" failed during the call of tool "optional_only": broken on purpose');
    expect(records.some((record) => record.hook === 'failing.mjs')).toBe(true);
  });

  it('that export a function get GatewayError, and refuse with it as any hook does (403 over REST)', async () => {
    const refusing = await module(
      'refusing.mjs',
      `export default ({ GatewayError }) => ({ name: 'refusing', onToolCall: (next) => (call, context) => { throw new GatewayError('FORBIDDEN', 'not ' + call.tool); } });`,
    );
    const { url } = await startHookedGateway([restFixtureConfig()], [], { hookModules: [refusing] });
    expect(await post(`${url}/text_plain`, {})).toMatchObject({ status: 403, body: { detail: { message: 'not text_plain', code: 'FORBIDDEN' } } });
  });

  it('may refuse with a GatewayError of another copy of mcpgate: the brand, not the class, is what counts', async () => {
    // What `new GatewayError(…)` of another installed copy is: an Error with the shared brand.
    const foreign = Object.assign(new Error('refused by another copy'), { [Symbol.for('mcpgate.GatewayError')]: true, code: 'FORBIDDEN' });
    const hook: Hook = { name: 'foreign', onToolCall: () => () => Promise.reject(foreign) };
    const { url } = await startHookedGateway([restFixtureConfig()], [hook]);
    expect(await post(`${url}/text_plain`, {})).toMatchObject({ status: 403, body: { detail: { message: 'refused by another copy', code: 'FORBIDDEN' } } });
  });

  it('change calls in the order listed', async () => {
    const append = (mark: string): string =>
      `export default { name: '${mark}', onToolCall: (next) => (call, context) => next({ ...call, arguments: { ...call.arguments, note: call.arguments.note + '|${mark}' } }, context) };`;
    const b = await module('b.mjs', append('b'));
    const a = await module('a.mjs', append('a'));
    const inCode: Hook = { name: 'in-code', onToolCall: (next) => (call, context) => next({ ...call, arguments: { ...call.arguments, note: `${String(call.arguments.note)}|code` } }, context) };
    const { url } = await startHookedGateway([restFixtureConfig()], [inCode], { hookModules: [b, a] });
    expect((await post(`${url}/optional_only`, { note: 'rest' })).body).toEqual({ note: 'rest|b|a|code' });
    const client = await connectClient(`${url}/mcp`, 'streamable-http');
    expect(JSON.parse(textOf(await client.callTool({ name: 'optional_only', arguments: { note: 'mcp' } })))).toEqual({ note: 'mcp|b|a|code' });
  });

  it('may observe calls: a module with observeToolCall loads and hears each call and how it ended', async () => {
    const log = join(dir, 'observed.log');
    const observer = await module(
      'observer.mjs',
      `import { appendFileSync } from 'node:fs';
export default { name: 'observer', observeToolCall: (call, context) => (ending) => appendFileSync(${JSON.stringify(log)}, [call.tool, context.frontend, 'result' in ending ? 'ok' : 'error'].join(' ') + '\\n') };`,
    );
    const { url } = await startHookedGateway([restFixtureConfig()], [], { hookModules: [observer] });
    expect((await post(`${url}/text_plain`, {})).status).toBe(200);
    expect((await post(`${url}/rpc_error`, { code: -32000 })).status).toBe(500);
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['text_plain rest ok', 'rpc_error rest error']);
  });

  it('that are broken stop the start with an error naming the module and the problem, before listening', async () => {
    const misspelt = await module('misspelt.mjs', `export default { name: 'guard', onToolcall: () => () => undefined };`);
    const empty = await module('empty-module.mjs', `export const unrelated = 1;`);
    const syntax = await module('syntax.mjs', `export default {`);
    for (const [path, problem] of [
      [misspelt, 'hook "guard" has an unknown member "onToolcall"'],
      [empty, 'exports no hook'],
      [syntax, 'cannot be loaded'],
    ] as const) {
      const gateway = createGateway(
        { mode: 'single', upstreams: [restFixtureConfig()], disabledUpstreams: [], configPath: undefined, host: '127.0.0.1', port: 0, logLevel: 'silent', info: {}, hookModules: [path] },
        { logger: silentLogger() },
      );
      await expect(gateway.start()).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`hook module ${path}: ${problem}`) });
      // No child was started for a gateway that never listened.
      expect(gateway.upstreams.get('fixture')?.currentState).toBe('starting');
      await gateway.close();
    }
  });

  it('get onStart and onClose', async () => {
    const events: string[] = [];
    const lifecycle: Hook = {
      name: 'lifecycle',
      onStart: (info) => void events.push(`start ${info.servers.join(',')} ${String(info.url).startsWith('http://127.0.0.1:')}`),
      onClose: () => void events.push('close'),
    };
    const { gateway } = await startHookedGateway([restFixtureConfig()], [lifecycle]);
    expect(events).toEqual(['start fixture true']);
    await gateway.close();
    expect(events).toEqual(['start fixture true', 'close']);
  });
});
