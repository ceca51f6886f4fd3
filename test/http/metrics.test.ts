/**
 * `/metrics`: what Prometheus scrapes from a real gateway with real children, after real calls
 * over every frontend: calls by server, tool, frontend and outcome, latency, errors by code,
 * upstream state and restarts, sessions, children, hook failures and HTTP statuses; and who may
 * read it (the API key, `metrics.public`, strict mode, metrics turned off).
 */
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import { GatewayError } from '../../src/errors.js';
import type { Hook } from '../../src/hooks/types.js';
import { connectClient } from '../bridge/bridge-gateway.js';
import { stdioConfig, waitFor } from '../helpers/fixtures.js';
import { post, restFixtureConfig, startRestGateway } from '../rest/rest-gateway.js';

/** One sample of the exposition text: `name{labels} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus' text format strictly enough that a malformed line fails the test. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`, { headers });
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return parseMetrics(await response.text());
}

const failingHook: Hook = {
  name: 'fails-on-boom',
  onToolCall: (next) => async (call, context) => {
    if (call.arguments.message === 'boom') throw new Error('the hook broke');
    if (call.arguments.message === 'refuse') throw new GatewayError('FORBIDDEN', 'not this one');
    return next(call, context);
  },
};

describe('/metrics', () => {
  it('counts calls by server, tool, frontend and outcome over REST, /mcp, /sse and the aggregated endpoint, with latency, errors by code and hook failures', async () => {
    const { url } = await startRestGateway(
      [stdioConfig({ name: 'shared' }), stdioConfig({ name: 'own', sharing: 'per-session' }), restFixtureConfig()],
      { mode: 'multi' },
      undefined,
      [failingHook],
    );
    expect((await post(`${url}/shared/echo`, { message: 'one' })).status).toBe(200);
    expect((await post(`${url}/shared/echo`, { message: 'two' })).status).toBe(200);
    expect((await post(`${url}/fixture/tool_error`, {})).status).toBe(500);
    expect((await post(`${url}/shared/echo`, { message: 'boom' })).status).toBe(500);
    expect((await post(`${url}/shared/echo`, { message: 'refuse' })).status).toBe(403);
    expect((await post(`${url}/shared/slow`, { ms: 300 })).status).toBe(200);

    const streamable = await connectClient(`${url}/own/mcp`, 'streamable-http');
    await streamable.callTool({ name: 'echo', arguments: { message: 'mcp' } });
    // A tool the server does not have: counted under one label, whatever name a caller makes up.
    await streamable.callTool({ name: 'made-up-tool-1', arguments: {} }).catch(() => undefined);
    await streamable.callTool({ name: 'made-up-tool-2', arguments: {} }).catch(() => undefined);
    const sse = await connectClient(`${url}/shared/sse`, 'sse');
    await sse.callTool({ name: 'echo', arguments: { message: 'sse' } });
    const aggregated = await connectClient(`${url}/mcp`, 'streamable-http');
    const tools = (await aggregated.listTools()).tools.map((tool) => tool.name);
    await aggregated.callTool({ name: tools.find((name) => name.endsWith('echo') && name.startsWith('shared'))!, arguments: { message: 'agg' } });

    const samples = await scrape(url);
    const calls = (labels: Record<string, string>) => valueOf(samples, 'mcpgate_tool_calls_total', labels);
    expect(calls({ server: 'shared', tool: 'echo', frontend: 'rest', outcome: 'ok' })).toBe(2);
    expect(calls({ server: 'fixture', tool: 'tool_error', frontend: 'rest', outcome: 'tool_error' })).toBe(1);
    expect(calls({ server: 'shared', tool: 'echo', frontend: 'rest', outcome: 'error' }), 'the failing hook and the refusal').toBe(2);
    expect(calls({ server: 'own', tool: 'echo', frontend: 'streamable-http', outcome: 'ok' })).toBe(1);
    expect(calls({ server: 'own', tool: '(unknown)', frontend: 'streamable-http', outcome: 'error' })).toBe(2);
    expect(samples.some((sample) => sample.labels.tool?.startsWith('made-up')), 'no label per made-up name').toBe(false);
    expect(calls({ server: 'shared', tool: 'echo', frontend: 'sse', outcome: 'ok' })).toBe(1);
    // The aggregated endpoint's calls are counted under the real server and tool.
    expect(calls({ server: 'shared', tool: 'echo', frontend: 'streamable-http', outcome: 'ok' })).toBe(1);

    // Counts are handed to prom-client at each scrape: a second scrape shows the same, not twice as much.
    const again = await scrape(url);
    expect(valueOf(again, 'mcpgate_tool_calls_total', { server: 'shared', tool: 'echo', frontend: 'rest', outcome: 'ok' })).toBe(2);
    expect(valueOf(again, 'mcpgate_tool_call_duration_seconds_count', { server: 'shared', tool: 'echo', outcome: 'ok' })).toBe(4);

    expect(valueOf(samples, 'mcpgate_tool_call_errors_total', { server: 'shared', code: 'HOOK_FAILED' })).toBe(1);
    expect(valueOf(samples, 'mcpgate_tool_call_errors_total', { server: 'shared', code: 'FORBIDDEN' })).toBe(1);
    expect(valueOf(samples, 'mcpgate_hook_failures_total', { hook: 'fails-on-boom' })).toBe(1);
    expect(valueOf(samples, 'mcpgate_tool_call_duration_seconds_count', { server: 'shared', tool: 'echo', outcome: 'ok' })).toBe(4);
    expect(valueOf(samples, 'mcpgate_tool_call_duration_seconds_bucket', { server: 'shared', tool: 'echo', outcome: 'ok', le: '+Inf' })).toBe(4);
    expect(valueOf(samples, 'mcpgate_tool_call_duration_seconds_sum', { server: 'shared', tool: 'echo', outcome: 'ok' })).toBeGreaterThan(0);
    // Buckets are cumulative: a call that took 300 ms is under every bound from 0.5 s up and none below 0.25 s.
    const slowBucket = (le: string) => valueOf(samples, 'mcpgate_tool_call_duration_seconds_bucket', { server: 'shared', tool: 'slow', outcome: 'ok', le });
    expect([slowBucket('0.1'), slowBucket('0.25'), slowBucket('0.5'), slowBucket('120'), slowBucket('+Inf')]).toEqual([0, 0, 1, 1, 1]);
    expect(valueOf(samples, 'mcpgate_tool_call_duration_seconds_sum', { server: 'shared', tool: 'slow', outcome: 'ok' })).toBeGreaterThanOrEqual(0.3);
    const echoBuckets = samples.filter((sample) => sample.name === 'mcpgate_tool_call_duration_seconds_bucket' && sample.labels.tool === 'echo' && sample.labels.server === 'shared' && sample.labels.outcome === 'ok');
    expect(echoBuckets.map((sample) => sample.labels.le)).toEqual(['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '60', '120', '+Inf']);
    expect(echoBuckets.every((sample, index) => index === 0 || sample.value >= echoBuckets[index - 1]!.value), 'non-decreasing').toBe(true);

    expect(valueOf(samples, 'mcpgate_mcp_sessions', { server: 'own', endpoint: 'streamable-http' })).toBe(1);
    expect(valueOf(samples, 'mcpgate_mcp_sessions', { server: 'shared', endpoint: 'sse' })).toBe(1);
    expect(valueOf(samples, 'mcpgate_mcp_sessions', { server: '*', endpoint: 'streamable-http' })).toBe(1);
    // Three supervised children and the per-session one.
    expect(valueOf(samples, 'mcpgate_child_processes')).toBe(4);
    expect(valueOf(samples, 'mcpgate_http_responses_total', { status: '403' })).toBe(1);
    expect(valueOf(samples, 'mcpgate_http_responses_total', { status: '500' })).toBe(2);
    expect(valueOf(samples, 'mcpgate_upstream_tools', { server: 'shared' })).toBe(11);
    // Process metrics come along under their usual names.
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(valueOf(samples, 'process_open_fds')).toBeGreaterThan(0);

    await streamable.close();
  });

  it('shows an upstream going down and its restarts', async () => {
    const { url } = await startRestGateway([stdioConfig({ name: 'fragile' }), stdioConfig({ name: 'steady' })], { mode: 'multi' }, { initialMs: 1500, maxMs: 1500 });
    let samples = await scrape(url);
    expect(valueOf(samples, 'mcpgate_upstream_state', { server: 'fragile', state: 'ready' })).toBe(1);
    expect(valueOf(samples, 'mcpgate_upstream_restarts', { server: 'fragile' })).toBe(0);

    expect((await post(`${url}/fragile/crash`, {})).status).toBe(502);
    samples = await scrape(url);
    expect(valueOf(samples, 'mcpgate_upstream_state', { server: 'fragile', state: 'ready' })).toBe(0);
    expect(valueOf(samples, 'mcpgate_upstream_state', { server: 'fragile', state: 'down' })).toBe(1);
    expect(valueOf(samples, 'mcpgate_upstream_state', { server: 'steady', state: 'ready' })).toBe(1);
    expect(valueOf(samples, 'mcpgate_tool_call_errors_total', { server: 'fragile', code: 'UPSTREAM_CLOSED' })).toBe(1);

    await waitFor('the server to be restarted', async () => valueOf(await scrape(url), 'mcpgate_upstream_state', { server: 'fragile', state: 'ready' }) === 1, 10_000);
    expect(valueOf(await scrape(url), 'mcpgate_upstream_restarts', { server: 'fragile' })).toBe(1);
  });

  describe('who may read it', () => {
    const keyed: Partial<GatewayConfig> = { auth: { apiKeys: ['metrics-test-key'] } };
    const bearer = { authorization: 'Bearer metrics-test-key' };

    it('behind the API key by default: 401 without it, 403 with a wrong one', async () => {
      const { url } = await startRestGateway([stdioConfig()], keyed);
      const missing = await fetch(`${url}/metrics`);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(403);
      expect(valueOf(await scrape(url, bearer), 'mcpgate_child_processes')).toBe(1);
    });

    it('public when asked, in strict mode too, while everything else stays guarded', async () => {
      for (const strict of [false, true]) {
        const { url } = await startRestGateway([stdioConfig()], { auth: { apiKeys: ['metrics-test-key'], strict }, metrics: { public: true } });
        expect(valueOf(await scrape(url), 'mcpgate_child_processes'), `strict: ${strict}`).toBe(1);
        expect((await post(`${url}/echo`, { message: 'x' })).status, `strict: ${strict}`).toBe(401);
      }
    });

    it('turned off: no /metrics, and calls work as before', async () => {
      const { url } = await startRestGateway([stdioConfig()], { metrics: { enabled: false } });
      expect((await fetch(`${url}/metrics`)).status).toBe(404);
      expect((await post(`${url}/echo`, { message: 'x' })).status).toBe(200);
    });
  });
});
