/**
 * A supervised stdio upstream against real child processes: the scripted fixture (exact control
 * of the wire) and server-everything from npm.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StdioUpstreamConfig } from '../../src/config/types.js';
import { isGatewayError, type GatewayError } from '../../src/errors.js';
import { CallCancellation } from '../../src/upstream/call-cancellation.js';
import { Upstream } from '../../src/upstream/upstream.js';
import {
  everythingServerPath,
  processExists,
  recordingLogger,
  stdioConfig,
  textOf,
  waitFor,
  type RecordingLogger,
} from '../helpers/fixtures.js';

const open: Upstream[] = [];

function startUpstream(config: StdioUpstreamConfig, log: RecordingLogger = recordingLogger()): Upstream {
  const upstream = new Upstream(config, {
    logger: log.logger,
    clientInfo: { name: 'mcpgate-test', version: '0' },
    backoff: { initialMs: 50, maxMs: 200 },
  });
  open.push(upstream);
  upstream.start();
  return upstream;
}

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (isGatewayError(error)) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((upstream) => upstream.close()));
});

describe('stdio upstream', () => {
  it('lists the whole catalog across pages', async () => {
    const upstream = startUpstream(stdioConfig());
    await upstream.whenSettled();
    expect(upstream.currentState).toBe('ready');
    expect(upstream.catalog.tools.map((tool) => tool.name)).toEqual([
      'echo', 'crash', 'slow', 'cancelled_ids', 'add_tool', 'add_prompt_and_resource', 'env', 'pid', 'request_id', 'ticking', 'no_content',
    ]);
    expect(upstream.catalog.resources.map((resource) => resource.uri)).toEqual(['test://a', 'test://b', 'test://c']);
    expect(upstream.catalog.resourceTemplates).toHaveLength(1);
    expect(upstream.catalog.prompts.map((prompt) => prompt.name)).toEqual(['p1', 'p2', 'p3']);
    const status = upstream.status();
    expect(status).toMatchObject({ state: 'ready', tools: 11, resources: 3, prompts: 3, restarts: 0, server: { name: 'scripted' } });
    expect(status.pid).toBeGreaterThan(0);
    expect(textOf(await upstream.callTool('echo', { message: 'hello' }))).toBe('hello');
  });

  it('filters the catalog with disabledTools and enabledTools, and refuses filtered tools', async () => {
    const denied = startUpstream(stdioConfig({ disabledTools: ['crash', 'env'] }));
    const allowed = startUpstream(stdioConfig({ name: 'allow', enabledTools: ['echo', 'pid'] }));
    await Promise.all([denied.whenSettled(), allowed.whenSettled()]);
    expect(denied.catalog.tools.map((tool) => tool.name)).not.toContain('crash');
    expect(denied.catalog.tools).toHaveLength(9);
    expect(allowed.catalog.tools.map((tool) => tool.name)).toEqual(['echo', 'pid']);
    const error = await rejection(denied.callTool('crash', {}));
    expect(error.code).toBe('UNKNOWN_TOOL');
    expect(error.status).toBe(404);
    expect((await rejection(allowed.callTool('slow', {}))).code).toBe('UNKNOWN_TOOL');
    // The refused call never reached the child.
    expect(denied.currentState).toBe('ready');
  });

  it('refreshes the catalog when the server sends tools/list_changed', async () => {
    const upstream = startUpstream(stdioConfig({ disabledTools: ['hidden'] }));
    await upstream.whenSettled();
    const changed = new Promise<string[]>((resolve) =>
      upstream.onCatalogChange((catalog) => resolve(catalog.tools.map((tool) => tool.name))),
    );
    await upstream.callTool('add_tool', { name: 'brand_new' });
    await upstream.callTool('add_tool', { name: 'hidden' });
    const names = await waitFor('the new tool in the catalog', async () => {
      const latest = await changed;
      return upstream.catalog.tools.some((tool) => tool.name === 'brand_new') ? upstream.catalog.tools.map((t) => t.name) : latest && undefined;
    });
    expect(names).toContain('brand_new');
    expect(names).not.toContain('hidden');
  });

  it('refreshes prompts and resources when the server announces their list changed', async () => {
    const upstream = startUpstream(stdioConfig());
    await upstream.whenSettled();
    await upstream.callTool('add_prompt_and_resource', { name: 'fresh' });
    await waitFor('the new prompt and resource', () =>
      upstream.catalog.prompts.some((prompt) => prompt.name === 'fresh') &&
      upstream.catalog.resources.some((resource) => resource.uri === 'test://fresh'),
    );
    expect(upstream.status()).toMatchObject({ prompts: 4, resources: 4, resourceTemplates: 1 });
  });

  it('fails every call in flight at once when the child dies, then restarts it', async () => {
    const log = recordingLogger();
    const upstream = startUpstream(stdioConfig({ timeoutMs: 120_000 }), log);
    await upstream.whenSettled();
    const firstPid = upstream.status().pid!;

    // A slow call is in flight when another call makes the child exit: both fail without
    // waiting for the two-minute timeout (the test's own 30 s limit would catch a hang).
    const slow = rejection(upstream.callTool('slow', { ms: 60_000 }));
    const crash = rejection(upstream.callTool('crash', {}));
    const [slowError, crashError] = await Promise.all([slow, crash]);
    for (const error of [slowError, crashError]) {
      expect(error.code).toBe('UPSTREAM_CLOSED');
      expect(error.status).toBe(502);
      expect(error.message).toContain('server "scripted" closed the connection');
      expect(error.message).toContain('exited with code 3');
    }
    expect(crashError.message).toContain('crashing on purpose');

    // While it is down, calls are refused with a retry hint rather than queued.
    await waitFor('the restart', () => upstream.status().restarts === 1);
    await waitFor('ready again', () => upstream.currentState === 'ready');
    const status = upstream.status();
    expect(status.pid).not.toBe(firstPid);
    expect(processExists(firstPid)).toBe(false);
    expect(status.lastError).toContain('exited with code 3');
    expect(textOf(await upstream.callTool('echo', { message: 'back' }))).toBe('back');
    expect(log.records.some((record) => String(record.msg).includes('server is down; retrying'))).toBe(true);
  });

  it('times out a call after the server timeout and cancels it upstream', async () => {
    const upstream = startUpstream(stdioConfig({ timeoutMs: 300 }));
    await upstream.whenSettled();
    const error = await rejection(upstream.callTool('slow', { ms: 20_000 }));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.status).toBe(504);
    expect(error.message).toContain('timed out after 0.3 s');
    const cancelled = JSON.parse(textOf(await upstream.callTool('cancelled_ids', {}))) as unknown[];
    expect(cancelled).toHaveLength(1);
    expect(upstream.currentState).toBe('ready');
  });

  it('cancels the upstream request when the caller aborts', async () => {
    const upstream = startUpstream(stdioConfig());
    await upstream.whenSettled();
    const controller = new AbortController();
    const call = rejection(upstream.callTool('slow', { ms: 20_000 }, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    const error = await call;
    expect(error.code).toBe('CALL_ABORTED');
    const cancelled = await waitFor('the cancellation upstream', async () => {
      const ids = JSON.parse(textOf(await upstream.callTool('cancelled_ids', {}))) as unknown[];
      return ids.length === 1 ? ids : undefined;
    });
    expect(cancelled).toHaveLength(1);
  });

  it('cancels the upstream request when a CallCancellation aborts, with the id the server saw', async () => {
    const upstream = startUpstream(stdioConfig());
    await upstream.whenSettled();
    const cancellation = new CallCancellation();
    const call = rejection(upstream.callTool('slow', { ms: 20_000 }, { signal: cancellation }));
    setTimeout(() => cancellation.abort(), 100);
    expect((await call).code).toBe('CALL_ABORTED');
    const cancelled = await waitFor('the cancellation upstream', async () => {
      const ids = JSON.parse(textOf(await upstream.callTool('cancelled_ids', {}))) as unknown[];
      return ids.length === 1 ? ids : undefined;
    });
    expect(cancelled[0]).toMatch(/^mcpgate-\d+$/);
  });

  it('logs and skips garbage on the child stdout, and logs its stderr with the server name', async () => {
    const log = recordingLogger();
    const upstream = startUpstream(stdioConfig({ env: { GARBAGE: '1' } }), log);
    await upstream.whenSettled();
    expect(upstream.currentState).toBe('ready');
    expect(textOf(await upstream.callTool('echo', { message: 'still works' }))).toBe('still works');
    const skipped = log.records.filter((record) => String(record.msg).startsWith("skipped a line from the server's stdout"));
    expect(skipped.map((record) => record.line)).toEqual(
      expect.arrayContaining(['Server starting... (a library printed this on stdout)', '{"hello":"world"}', 'debug: about to answer']),
    );
    expect(skipped.every((record) => record.server === 'scripted')).toBe(true);
    const stderr = log.records.find((record) => record.msg === 'scripted server starting');
    expect(stderr).toMatchObject({ server: 'scripted', stream: 'stderr' });
  });

  it('reports a command that does not exist as down, with the reason, and keeps retrying', async () => {
    const log = recordingLogger();
    const upstream = startUpstream(stdioConfig({ name: 'ghost', command: 'definitely-not-a-command-xyz', args: [] }), log);
    await upstream.whenSettled();
    expect(upstream.currentState).toBe('down');
    expect(upstream.status().lastError).toContain('command not found: definitely-not-a-command-xyz');
    const error = await rejection(upstream.callTool('echo', {}));
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.message).toContain('server "ghost" is');
    // Supervision goes on: it is tried again and again (each attempt passes through `starting`).
    let attempts = 0;
    upstream.onStateChange((status) => {
      if (status.state === 'starting') attempts += 1;
    });
    await waitFor('two more attempts', () => attempts >= 2);
    // The delays double from the initial 50 ms and stop at the 200 ms cap.
    await waitFor('five retries', () => log.records.filter((record) => record.retryInMs !== undefined).length >= 5);
    const delays = log.records.flatMap((record) => (typeof record.retryInMs === 'number' ? [record.retryInMs] : []));
    expect(delays.slice(0, 5)).toEqual([50, 100, 200, 200, 200]);
  });

  it('tells a missing working directory apart from a missing command', async () => {
    const upstream = startUpstream(stdioConfig({ name: 'nowhere', cwd: '/definitely/not/a/dir' }));
    await upstream.whenSettled();
    expect(upstream.currentState).toBe('down');
    expect(upstream.status().lastError).toContain('working directory does not exist: /definitely/not/a/dir');
  });

  it('explains a child that exits during start-up with its exit code and last stderr line', async () => {
    const upstream = startUpstream(stdioConfig({ env: { EXIT_AT_START: '7' } }));
    await upstream.whenSettled();
    expect(upstream.currentState).toBe('down');
    const lastError = upstream.status().lastError!;
    expect(lastError).toContain('exited with code 7');
    expect(lastError).toContain('fatal: missing API key for scripted server');
  });

  it('gives the child a minimal environment unless passEnvironment is set', async () => {
    process.env.MCPGATE_TEST_SECRET = 'do-not-leak';
    try {
      const minimal = startUpstream(stdioConfig({ env: { EXTRA: '1' } }));
      const full = startUpstream(stdioConfig({ name: 'full', passEnvironment: true }));
      await Promise.all([minimal.whenSettled(), full.whenSettled()]);
      const minimalEnv = JSON.parse(textOf(await minimal.callTool('env', {}))) as string[];
      const fullEnv = JSON.parse(textOf(await full.callTool('env', {}))) as string[];
      expect(minimalEnv).toContain('PATH');
      expect(minimalEnv).toContain('EXTRA');
      expect(minimalEnv).not.toContain('MCPGATE_TEST_SECRET');
      expect(fullEnv).toContain('MCPGATE_TEST_SECRET');
    } finally {
      delete process.env.MCPGATE_TEST_SECRET;
    }
  });

  it('close() stops the child and reports the upstream down', async () => {
    const upstream = startUpstream(stdioConfig());
    await upstream.whenSettled();
    const pid = upstream.status().pid!;
    await upstream.close();
    expect(processExists(pid)).toBe(false);
    expect(upstream.status()).toMatchObject({ state: 'down', lastError: 'stopped', pid: null });
    expect((await rejection(upstream.callTool('echo', {}))).code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('close() during a handshake that never completes stops the child without waiting for the timeout', async () => {
    const silent = startUpstream(stdioConfig({ name: 'silent', args: ['-e', 'setInterval(() => {}, 1000)'] }));
    await waitFor('the child to be spawned', () => silent.currentState === 'starting');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The connect timeout is 60 s, twice this test's own limit: waiting for it would fail the test.
    await silent.close();
    expect(silent.status()).toMatchObject({ state: 'down', lastError: 'stopped' });
  });

  it('serves server-everything from npm over stdio', async () => {
    const upstream = startUpstream(
      stdioConfig({ name: 'everything', args: [everythingServerPath, 'stdio'], disabledTools: ['get-env'] }),
    );
    await upstream.whenSettled();
    expect(upstream.currentState).toBe('ready');
    const names = upstream.catalog.tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum', 'get-tiny-image', 'trigger-long-running-operation']));
    expect(names).not.toContain('get-env');
    expect(upstream.catalog.prompts.map((prompt) => prompt.name)).toContain('simple-prompt');
    expect(upstream.catalog.resourceTemplates.length).toBeGreaterThan(0);
    expect(textOf(await upstream.callTool('get-sum', { a: 2, b: 40 }))).toContain('42');
    const progress: number[] = [];
    await upstream.callTool('trigger-long-running-operation', { duration: 0.3, steps: 3 }, { onprogress: (p) => progress.push(p.progress) });
    expect(progress).toEqual([1, 2, 3]);
    const prompt = await upstream.getPrompt('args-prompt', { city: 'Paris' });
    expect(JSON.stringify(prompt.messages)).toContain('Paris');
    const resource = await upstream.readResource(upstream.catalog.resources[0]!.uri);
    expect(resource.contents.length).toBeGreaterThan(0);
    // A tool failure is a result (isError), not a protocol error: it passes through as such.
    const missing = await upstream.callTool('no-such-tool', {});
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toContain('no-such-tool');
  });
});

describe('requests passed on (written beside the SDK client)', () => {
  it('have ids of their own, one per request, which the server echoes', async () => {
    const upstream = startUpstream(stdioConfig());
    await upstream.whenSettled();
    const ids = await Promise.all([1, 2, 3].map(async () => JSON.parse(textOf(await upstream.callTool('request_id', {}))) as unknown));
    for (const id of ids) expect(id).toMatch(/^mcpgate-\d+$/);
    expect(new Set(ids).size).toBe(3);
    // Forwarded requests take the same path; the SDK client's own requests keep its numeric ids.
    expect(await upstream.forward('ping', undefined)).toEqual({});
  });

  it('pass progress to the caller in order, each restarting the timeout', async () => {
    const upstream = startUpstream(stdioConfig({ timeoutMs: 300 }));
    await upstream.whenSettled();
    const seen: unknown[] = [];
    // Five ticks 120 ms apart: 600 ms in all, twice the timeout, but never 300 ms of silence.
    const result = await upstream.callTool('ticking', { ticks: 5, every: 120 }, { onprogress: (progress) => seen.push(progress) });
    expect(textOf(result)).toBe('5 ticks');
    expect(seen).toEqual([1, 2, 3, 4, 5].map((progress) => ({ progress, total: 5 })));
    // Without a progress token the server stays silent, and the same call times out.
    const error = await rejection(upstream.callTool('ticking', { ticks: 5, every: 120 }));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
  });

  it('fail with the server JSON-RPC error, its code kept', async () => {
    const upstream = startUpstream(stdioConfig());
    await upstream.whenSettled();
    const unknownTool = await rejection(upstream.callTool('no_such_tool', {}));
    expect(unknownTool).toMatchObject({ code: 'UPSTREAM_ERROR', message: 'Unknown tool: no_such_tool', details: { code: -32602 } });
    const unknownMethod = await rejection(upstream.forward('no/such/method', {}));
    expect(unknownMethod).toMatchObject({ code: 'UPSTREAM_ERROR', details: { code: -32601 } });
  });

  it('refuse a tool result without content', async () => {
    const upstream = startUpstream(stdioConfig());
    await upstream.whenSettled();
    const noContent = await rejection(upstream.callTool('no_content', {}));
    expect(noContent.code).toBe('UPSTREAM_ERROR');
    expect(noContent.message).toContain('needs a "content" list');
    // The connection is unharmed.
    expect(textOf(await upstream.callTool('echo', { message: 'still here' }))).toBe('still here');
  });
});
