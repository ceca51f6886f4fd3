/**
 * `gateway.reload()` called as a library, against real scripted stdio servers, a real socket and
 * real SDK clients: the report and which children stay or go; the drain deadline for REST calls
 * and for MCP sessions (per-session and shared) of servers taken out; the aggregated endpoint for
 * 2026-07-28 clients; hooks given in code and hook modules across reloads (a module that fails to
 * load changes nothing); a single-server gateway refusing; reloads applied in the order asked; and
 * `close()` during a reload leaving no child behind. The config file, its watcher and SIGHUP are
 * covered end to end through the command in `test/cli/hot-reload.test.ts`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { GatewayConfig, StdioUpstreamConfig, UpstreamConfig } from '../../src/config/types.js';
import { GatewayError } from '../../src/errors.js';
import type { Gateway } from '../../src/gateway.js';
import type { Hook } from '../../src/hooks/types.js';
import { connectClient } from '../bridge/bridge-gateway.js';
import { processIsGone, stdioConfig, textOf, waitFor } from '../helpers/fixtures.js';
import { post, startRestGateway } from '../rest/rest-gateway.js';

const temp = await mkdtemp(join(tmpdir(), 'mcpgate-reload-'));
afterAll(() => rm(temp, { recursive: true, force: true }));

/** A scripted stdio server; a different `env` makes it a changed server. */
const scripted = (name: string, overrides: Partial<StdioUpstreamConfig> = {}): StdioUpstreamConfig => stdioConfig({ name, ...overrides });

/** The running config with other servers, as a config file read again would give it. */
const withServers = (gateway: Gateway, upstreams: UpstreamConfig[], extra: Partial<GatewayConfig> = {}): GatewayConfig => ({
  ...gateway.config,
  upstreams,
  disabledUpstreams: [],
  ...extra,
});

const pidOf = (gateway: Gateway, server: string): number => {
  const pid = gateway.upstreams.get(server)?.status().pid;
  if (typeof pid !== 'number') throw new Error(`server "${server}" has no child`);
  return pid;
};

/** The error `promise` rejects with; fails when it resolves instead. */
async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
}

const MODERN = '2026-07-28';
const modernClients: Client[] = [];
afterAll(async () => {
  await Promise.all(modernClients.map((client) => client.close().catch(() => undefined)));
});

/** An SDK client that speaks only 2026-07-28 (one request per exchange, no session). */
async function modernClient(url: string): Promise<Client> {
  const client = new Client({ name: 'modern-client', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  modernClients.push(client);
  return client;
}

/** A hook given in code that counts the `tools/call` requests clients send, after passing each on. */
function clientCallCounter(): { hook: Hook; count: () => number } {
  let calls = 0;
  const hook: Hook = {
    name: 'call-counter',
    onClientMessage: (next) => async (message, context) => {
      const answer = await next(message, context);
      if ('method' in message && message.method === 'tools/call') calls += 1;
      return answer;
    },
  };
  return { hook, count: () => calls };
}

describe('gateway.reload()', () => {
  it('reports what it did: unchanged servers keep their Upstream and child, changed ones get a new child, removed ones stop', async () => {
    const { gateway, url } = await startRestGateway([scripted('keep'), scripted('change'), scripted('gone')], { mode: 'multi' });
    const keep = gateway.upstreams.get('keep')!;
    const keepPid = pidOf(gateway, 'keep');
    const changePid = pidOf(gateway, 'change');
    const gonePid = pidOf(gateway, 'gone');

    const report = await gateway.reload(withServers(gateway, [scripted('keep'), scripted('change', { env: { VERSION: '2' } }), scripted('added')]));

    expect(report).toEqual({ added: ['added'], removed: ['gone'], restarted: ['change'], unchanged: ['keep'], hooksChanged: false, restartRequired: [] });
    expect([...gateway.upstreams.keys()]).toEqual(['keep', 'change', 'added']);
    expect(gateway.config.upstreams.map((upstream) => upstream.name)).toEqual(['keep', 'change', 'added']);
    expect(gateway.upstreams.get('keep')).toBe(keep);
    expect(pidOf(gateway, 'keep')).toBe(keepPid);
    // The reload resolved once the replacement had connected, so it serves already.
    const newChangePid = pidOf(gateway, 'change');
    expect(newChangePid).not.toBe(changePid);
    expect((await post(`${url}/change/pid`, {})).body).toBe(newChangePid);
    await waitFor('the added server to be ready', () => gateway.upstreams.get('added')!.currentState === 'ready');
    expect((await post(`${url}/added/echo`, { message: 'hi' })).body).toBe('hi');
    await waitFor('the old child of the changed server and the removed server\'s child to stop', () => processIsGone(changePid) && processIsGone(gonePid));
    expect((await post(`${url}/gone/echo`, { message: 'hi' })).status).toBe(404);
    expect(processIsGone(keepPid)).toBe(false);
  });

  describe('the drain deadline of a removed server', () => {
    it('past it, a REST call still in flight fails with 503 naming the reason', async () => {
      const { gateway, url } = await startRestGateway([scripted('stay'), scripted('x')], { mode: 'multi' }, undefined, [], { reloadDrainMs: 300 });
      const x = gateway.upstreams.get('x')!;
      const xPid = pidOf(gateway, 'x');
      const call = post(`${url}/x/slow`, { ms: 5_000 });
      await waitFor('the slow call to reach the server', () => x.inFlight === 1);

      const started = Date.now();
      expect((await gateway.reload(withServers(gateway, [scripted('stay')]))).removed).toEqual(['x']);
      const answer = await call;
      expect(answer.status).toBe(503);
      expect(answer.body.detail.message).toContain('was cut short: server "x" was removed from the config');
      expect(Date.now() - started, 'the call ends at the deadline, not when the tool would have').toBeLessThan(4_000);
      await waitFor('the removed server\'s child to stop', () => processIsGone(xPid));
    });

    it('within it, a REST call in flight finishes normally, then the server stops', async () => {
      const { gateway, url } = await startRestGateway([scripted('stay'), scripted('x')], { mode: 'multi' }, undefined, [], { reloadDrainMs: 20_000 });
      const x = gateway.upstreams.get('x')!;
      const xPid = pidOf(gateway, 'x');
      const call = post(`${url}/x/slow`, { ms: 800 });
      await waitFor('the slow call to reach the server', () => x.inFlight === 1);

      expect((await gateway.reload(withServers(gateway, [scripted('stay')]))).removed).toEqual(['x']);
      expect((await post(`${url}/x/echo`, { message: 'new call' })).status, 'no new call reaches it').toBe(404);
      expect(await call).toMatchObject({ status: 200, body: 'done' });
      await waitFor('the removed server\'s child to stop once drained', () => processIsGone(xPid));
    });
  });

  it('a per-session server changed: a session call running past the drain gets an error naming the reason, the session ends, a new one reaches the new config', async () => {
    const counter = clientCallCounter();
    const perSession = (env: Record<string, string> = {}) => scripted('private', { sharing: 'per-session', env });
    const { gateway, url } = await startRestGateway([perSession(), scripted('other')], { mode: 'multi' }, undefined, [counter.hook], { reloadDrainMs: 300 });
    const session = await connectClient(`${url}/private/mcp`, 'streamable-http');
    const sessionChildPid = Number(textOf(await session.callTool({ name: 'pid', arguments: {} })));
    expect(sessionChildPid).not.toBe(pidOf(gateway, 'private'));

    const slow = rejectionOf(session.callTool({ name: 'slow', arguments: { ms: 20_000 } }));
    await waitFor('the slow call to reach the session', () => counter.count() === 2);
    const started = Date.now();
    expect((await gateway.reload(withServers(gateway, [perSession({ VERSION_2: '1' }), scripted('other')]))).restarted).toEqual(['private']);

    expect((await slow).message, 'the call fails rather than hangs').toContain('server "private" was changed in the config and restarted');
    expect(Date.now() - started).toBeLessThan(8_000);
    await expect(session.callTool({ name: 'echo', arguments: { message: 'after' } }), 'the session is closed').rejects.toThrow();
    await waitFor('the old session\'s child to stop', () => processIsGone(sessionChildPid));

    const fresh = await connectClient(`${url}/private/mcp`, 'streamable-http');
    expect(JSON.parse(textOf(await fresh.callTool({ name: 'env', arguments: {} })))).toContain('VERSION_2');
  });

  it('a per-session server at its maxSessions, changed: its draining session does not count, so a new session opens at once', async () => {
    const counter = clientCallCounter();
    const perSession = (env: Record<string, string> = {}) => scripted('solo', { sharing: 'per-session', maxSessions: 1, env });
    const { gateway, url } = await startRestGateway([perSession(), scripted('other')], { mode: 'multi' }, undefined, [counter.hook], { reloadDrainMs: 20_000 });
    const draining = await connectClient(`${url}/solo/mcp`, 'streamable-http');
    const slow = draining.callTool({ name: 'slow', arguments: { ms: 1500 } });
    await waitFor('the slow call to reach the session', () => counter.count() === 1);
    await gateway.reload(withServers(gateway, [perSession({ VERSION_2: '1' }), scripted('other')]));

    // The old session still drains (its call runs on); a second session would be over the limit if it counted.
    const fresh = await connectClient(`${url}/solo/mcp`, 'streamable-http');
    expect(JSON.parse(textOf(await fresh.callTool({ name: 'env', arguments: {} })))).toContain('VERSION_2');
    expect(textOf(await slow), 'the draining session\'s call finishes').toBe('done');
  });

  it('a shared server changed: its session closes after the drain and a new one reaches the new child; a session of an unchanged server never fails', async () => {
    const { gateway, url } = await startRestGateway([scripted('shared'), scripted('other')], { mode: 'multi' }, undefined, [], { reloadDrainMs: 300 });
    const oldPid = pidOf(gateway, 'shared');
    const otherPid = pidOf(gateway, 'other');
    const changedSession = await connectClient(`${url}/shared/mcp`, 'streamable-http');
    const otherSession = await connectClient(`${url}/other/mcp`, 'streamable-http');
    expect(textOf(await changedSession.callTool({ name: 'pid', arguments: {} }))).toBe(String(oldPid));

    const failures: string[] = [];
    let calls = 0;
    let looping = true;
    const loop = (async () => {
      while (looping) {
        const result = await otherSession.callTool({ name: 'echo', arguments: { message: 'loop' } }).catch((error: Error) => error);
        if (result instanceof Error) failures.push(result.message);
        else if (textOf(result) !== 'loop') failures.push(`unexpected result ${JSON.stringify(result)}`);
        calls += 1;
      }
    })();

    expect((await gateway.reload(withServers(gateway, [scripted('shared', { env: { VERSION: '2' } }), scripted('other')]))).restarted).toEqual(['shared']);
    const newPid = pidOf(gateway, 'shared');
    expect(newPid).not.toBe(oldPid);
    await waitFor('the old session to be closed', () => changedSession.callTool({ name: 'echo', arguments: { message: 'x' } }).then(() => false, () => true));
    await waitFor('the old child to stop', () => processIsGone(oldPid));
    const fresh = await connectClient(`${url}/shared/mcp`, 'streamable-http');
    expect(textOf(await fresh.callTool({ name: 'pid', arguments: {} }))).toBe(String(newPid));

    const before = calls;
    await waitFor('more calls of the unchanged server\'s session', () => calls > before + 5);
    looping = false;
    await loop;
    expect(failures).toEqual([]);
    expect(pidOf(gateway, 'other')).toBe(otherPid);
  });

  it('the aggregated endpoint /mcp follows reloads for 2026-07-28 clients', async () => {
    const { gateway, url } = await startRestGateway([scripted('a')], { mode: 'multi' });
    const client = await modernClient(`${url}/mcp`);
    const toolNames = async () => (await client.listTools()).tools.map((tool) => tool.name);
    expect(await toolNames()).toContain('a_echo');
    expect(await toolNames()).not.toContain('b_echo');

    await gateway.reload(withServers(gateway, [scripted('a'), scripted('b')]));
    await waitFor('the added server\'s tools', async () => (await toolNames()).includes('b_echo'));
    expect(textOf(await client.callTool({ name: 'b_echo', arguments: { message: 'via b' } }))).toBe('via b');

    await gateway.reload(withServers(gateway, [scripted('b')]));
    const names = await toolNames();
    expect(names.some((name) => name.startsWith('a_'))).toBe(false);
    expect(names).toContain('b_echo');
    expect((await rejectionOf(client.callTool({ name: 'a_echo', arguments: { message: 'gone' } }))).message).toContain('Unknown tool: a_echo');
  });

  it('hooks: one given in code runs throughout; a module added gets onStart and sees calls, removed gets onClose; one that fails to load rejects and changes nothing', async () => {
    // The module records into a global: it is loaded into this process, through the test runner's
    // module transform, which loses a named import of node:fs in a file outside the project.
    const events: string[] = [];
    (globalThis as Record<string, unknown>).__mcpgateReloadHookEvents = events;
    const recorder = join(temp, 'recorder.mjs');
    await writeFile(
      recorder,
      `const log = (line) => globalThis.__mcpgateReloadHookEvents.push(line);
export default {
  name: 'recorder',
  onStart(info) { log('start ' + info.servers.join(',')); },
  onClose() { log('close'); },
  onToolCall: (next) => (call, context) => { log('call ' + call.server + '/' + call.tool); return next(call, context); },
};
`,
    );
    let inCode = 0;
    const counter: Hook = { name: 'in-code', onToolCall: (next) => (call, context) => ((inCode += 1), next(call, context)) };
    const { gateway, url } = await startRestGateway([scripted('a')], { mode: 'multi' }, undefined, [counter]);
    const echo = async () => expect((await post(`${url}/a/echo`, { message: 'hi' })).status).toBe(200);

    await echo();
    expect(inCode).toBe(1);

    const withModule = await gateway.reload(withServers(gateway, [scripted('a')], { hookModules: [recorder] }));
    expect(withModule.hooksChanged).toBe(true);
    expect(events).toEqual(['start a']);
    await echo();
    expect(inCode).toBe(2);
    expect(events).toEqual(['start a', 'call a/echo']);

    // A module that cannot be loaded: the reload is refused, and the servers, children and hooks stay.
    const upstream = gateway.upstreams.get('a');
    const pid = pidOf(gateway, 'a');
    const broken = await rejectionOf(
      gateway.reload(withServers(gateway, [scripted('a', { env: { VERSION: '2' } }), scripted('b')], { hookModules: [recorder, join(temp, 'missing.mjs')] })),
    );
    expect(broken).toBeInstanceOf(GatewayError);
    expect(broken.code).toBe('CONFIG_INVALID');
    expect(broken.message).toContain('missing.mjs');
    expect([...gateway.upstreams.keys()]).toEqual(['a']);
    expect(gateway.upstreams.get('a')).toBe(upstream);
    expect(pidOf(gateway, 'a')).toBe(pid);
    expect(gateway.config.upstreams).toEqual([scripted('a')]);
    expect(gateway.config.hookModules).toEqual([recorder]);
    await echo();
    expect(inCode).toBe(3);
    expect(events).toEqual(['start a', 'call a/echo', 'call a/echo']);

    const without = await gateway.reload(withServers(gateway, [scripted('a')], { hookModules: [] }));
    expect(without.hooksChanged).toBe(true);
    expect(events).toEqual(['start a', 'call a/echo', 'call a/echo', 'close']);
    await echo();
    expect(inCode).toBe(4);
    expect(events).toHaveLength(4);
    expect(pidOf(gateway, 'a')).toBe(pid);
  });

  it('a single-server gateway refuses to reload (NOT_SUPPORTED) and keeps its server', async () => {
    const { gateway } = await startRestGateway([scripted('only')]);
    expect(gateway.config.mode).toBe('single');
    const pid = pidOf(gateway, 'only');
    const refused = await rejectionOf(gateway.reload({ ...gateway.config, upstreams: [scripted('only', { env: { VERSION: '2' } })] }));
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused.code).toBe('NOT_SUPPORTED');
    expect(pidOf(gateway, 'only')).toBe(pid);
  });

  it('two reloads asked without waiting are applied in order: the second config is the one in force', async () => {
    const { gateway, records } = await startRestGateway([scripted('a')], { mode: 'multi' });
    const first = gateway.reload(withServers(gateway, [scripted('a'), scripted('b')]));
    const second = gateway.reload(withServers(gateway, [scripted('a'), scripted('c')]));
    const [firstReport, secondReport] = await Promise.all([first, second]);

    expect(firstReport).toMatchObject({ added: ['b'], removed: [], unchanged: ['a'] });
    expect(secondReport).toMatchObject({ added: ['c'], removed: ['b'], unchanged: ['a'] });
    expect([...gateway.upstreams.keys()]).toEqual(['a', 'c']);
    expect(gateway.config.upstreams.map((upstream) => upstream.name)).toEqual(['a', 'c']);
    const logged = records.filter((record) => record.msg?.startsWith('config reloaded')).map((record) => record.msg);
    expect(logged).toEqual(['config reloaded: added b', 'config reloaded: added c; removed b']);
    await waitFor('c to be ready', () => gateway.upstreams.get('c')!.currentState === 'ready');
  });

  it('close() while a reload waits for a replacement that never answers leaves no child behind', async () => {
    const pidFile = join(temp, 'hanging.pid');
    // Starts, tells its pid, and never answers `initialize`.
    const hanging = scripted('a', {
      args: ['-e', `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 60000);`],
    });
    const { gateway } = await startRestGateway([scripted('a'), scripted('b')], { mode: 'multi' }, undefined, [], { upstream: { connectTimeoutMs: 60_000 } });
    const oldPid = pidOf(gateway, 'a');
    const bPid = pidOf(gateway, 'b');

    const reload = gateway.reload(withServers(gateway, [hanging, scripted('b')])).catch((error: unknown) => error);
    const hangingPid = Number(await waitFor('the replacement child to start', () => readFile(pidFile, 'utf8').catch(() => '')));
    expect(pidOf(gateway, 'a'), 'the old child serves while the replacement starts').toBe(oldPid);

    const started = Date.now();
    await gateway.close();
    expect(Date.now() - started).toBeLessThan(10_000);
    await reload;
    await waitFor('every child to stop', () => [hangingPid, oldPid, bPid].every(processIsGone));
  });

  it('close() while a reload loads a hook module: the reload rejects and starts nothing', async () => {
    const pidFile = join(temp, 'late.pid');
    const late = scripted('late', {
      args: ['-e', `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 60000);`],
    });
    // A module whose loading the test holds until the gateway is closing.
    const gate = globalThis as { __mcpgateReloadGate?: { loading: boolean; started?: boolean; release: () => void; released: Promise<void> } };
    let release!: () => void;
    gate.__mcpgateReloadGate = { loading: false, release: () => release(), released: new Promise<void>((resolve) => (release = resolve)) };
    const held = join(temp, 'held.mjs');
    await writeFile(
      held,
      `const gate = globalThis.__mcpgateReloadGate;
gate.loading = true;
await gate.released;
export default { name: 'held', onStart() { gate.started = true; } };
`,
    );
    const { gateway } = await startRestGateway([scripted('a')], { mode: 'multi' });
    const aPid = pidOf(gateway, 'a');

    const reload = rejectionOf(gateway.reload(withServers(gateway, [scripted('a'), late], { hookModules: [held] })));
    await waitFor('the hook module to be loading', () => gate.__mcpgateReloadGate!.loading);
    const closed = gateway.close();
    gate.__mcpgateReloadGate.release();
    expect((await reload).message).toMatch(/closed during the reload/);
    expect(gateway.upstreams.has('late')).toBe(false);
    expect(gate.__mcpgateReloadGate.started, 'the module\'s hook was not started').toBeUndefined();
    await closed;
    expect(existsSync(pidFile), 'no child was started for the added server').toBe(false);
    await waitFor('the child to stop', () => processIsGone(aPid));
  });
});
