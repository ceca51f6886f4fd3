/**
 * With an API key, no route that can reach a tool lets a request through without it, on any
 * frontend: REST (tools, resources, prompts), streamable HTTP in both protocol eras (per server and
 * aggregated, with sessions and `--stateless`), and HTTP+SSE (stream and message endpoint), in
 * single-server and config-file layouts, and in strict mode. Each is refused with 401 and a
 * `WWW-Authenticate` challenge without a key and 403 with a wrong one; a hook on every message
 * and call proves that nothing of a refused request reached the servers' side.
 */
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Hook } from '../../src/hooks/types.js';
import { stdioConfig } from '../helpers/fixtures.js';
import { startRestGateway } from '../rest/rest-gateway.js';

const KEY = 'k3y-for-tests';

interface Probe {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
const modernCall = {
  jsonrpc: '2.0',
  id: 2,
  method: 'tools/call',
  params: { name: 'echo', arguments: { message: 'x' }, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
};
const mcpHeaders = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };
const modernHeaders = { ...mcpHeaders, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' };

/** Every route under `base` ('' or '/{server}') that can reach a server's tools, resources or prompts. */
function restProbes(base: string): Probe[] {
  return [
    { method: 'POST', path: `${base}/echo`, body: { message: 'x' } },
    { method: 'GET', path: `${base}/resources` },
    { method: 'GET', path: `${base}/resources/read?uri=test://a` },
    { method: 'GET', path: `${base}/prompts` },
    { method: 'POST', path: `${base}/prompts/p1`, body: {} },
  ];
}

function mcpProbes(base: string): Probe[] {
  return [
    { method: 'POST', path: `${base}/mcp`, body: initialize, headers: mcpHeaders },
    { method: 'POST', path: `${base}/mcp`, body: modernCall, headers: modernHeaders },
    { method: 'GET', path: `${base}/mcp`, headers: { accept: 'text/event-stream', 'mcp-session-id': 'guess' } },
    { method: 'DELETE', path: `${base}/mcp`, headers: { 'mcp-session-id': 'guess' } },
    { method: 'GET', path: `${base}/sse`, headers: { accept: 'text/event-stream' } },
    { method: 'POST', path: `${base}/messages?sessionId=guess`, body: initialize },
  ];
}

/** A hook that counts every message and call that reaches the runner. */
function witness(): { hook: Hook; seen: () => number } {
  let seen = 0;
  return {
    seen: () => seen,
    hook: {
      name: 'witness',
      onClientMessage: (next) => (message, context) => {
        seen += 1;
        return next(message, context);
      },
      onToolCall: (next) => (call, context) => {
        seen += 1;
        return next(call, context);
      },
    },
  };
}

async function send(url: string, probe: Probe, authorization?: string): Promise<Response> {
  const response = await fetch(`${url}${probe.path}`, {
    method: probe.method,
    headers: { ...(probe.body === undefined ? {} : { 'content-type': 'application/json' }), ...probe.headers, ...(authorization ? { authorization } : {}) },
    ...(probe.body === undefined ? {} : { body: JSON.stringify(probe.body) }),
  });
  await response.body?.cancel();
  return response;
}

/** Sends every probe without a key and with a wrong one; returns the ones that were not refused as they should be. */
async function unguarded(url: string, probes: Probe[], challenge: RegExp): Promise<string[]> {
  const wrong: string[] = [];
  for (const probe of probes) {
    const name = `${probe.method} ${probe.path}${probe.headers?.['mcp-protocol-version'] ? ' (2026-07-28)' : ''}`;
    const missing = await send(url, probe);
    if (missing.status !== 401 || !challenge.test(missing.headers.get('www-authenticate') ?? '')) {
      wrong.push(`${name} without a key: ${missing.status} ${missing.headers.get('www-authenticate')}`);
    }
    const bad = await send(url, probe, 'Bearer not-the-key');
    if (bad.status !== 403) wrong.push(`${name} with a wrong key: ${bad.status}`);
  }
  return wrong;
}

async function gateway(upstreams: ReturnType<typeof stdioConfig>[], overrides: Partial<GatewayConfig>) {
  const counter = witness();
  const running = await startRestGateway(upstreams, { ...overrides, auth: { apiKeys: [KEY], strict: false, ...overrides.auth } }, undefined, [counter.hook]);
  return { ...running, seen: counter.seen };
}

describe('an API key guards every route that reaches a tool', () => {
  it('with a config file: each server\'s REST and MCP routes, and the aggregated MCP endpoints', async () => {
    const { url, seen } = await gateway([stdioConfig({ name: 'one' }), stdioConfig({ name: 'two' })], { mode: 'multi' });
    const probes = [...restProbes('/one'), ...restProbes('/two'), ...mcpProbes('/one'), ...mcpProbes('/two'), ...mcpProbes('')];
    expect(await unguarded(url, probes, /^Bearer$/)).toEqual([]);
    expect(seen(), 'nothing of a refused request reached the hooks').toBe(0);

    // The same routes pass with the key, and the witness sees them: the count above could have moved.
    expect((await send(url, restProbes('/one')[0]!, `Bearer ${KEY}`)).status).toBe(200);
    expect((await send(url, mcpProbes('')[0]!, `Bearer ${KEY}`)).status).toBe(200);
    expect(seen()).toBeGreaterThanOrEqual(2);
  });

  it('with one server at the root, and with --stateless', async () => {
    for (const overrides of [{}, { mcp: { stateless: true } }] satisfies Array<Partial<GatewayConfig>>) {
      const { url, seen } = await gateway([stdioConfig({ name: 'only' })], overrides);
      expect(await unguarded(url, [...restProbes(''), ...mcpProbes('')], /^Bearer$/), JSON.stringify(overrides)).toEqual([]);
      expect(seen()).toBe(0);
      expect((await send(url, restProbes('')[0]!, `Bearer ${KEY}`)).status).toBe(200);
    }
  });

  it('in strict mode, challenging Bearer and Basic, with documents guarded too', async () => {
    const { url, seen } = await gateway([stdioConfig({ name: 'one' }), stdioConfig({ name: 'two' })], { mode: 'multi', auth: { apiKeys: [KEY], strict: true } });
    const documents: Probe[] = [
      { method: 'GET', path: '/openapi.json' },
      { method: 'GET', path: '/one/openapi.json' },
      { method: 'GET', path: '/docs' },
    ];
    expect(await unguarded(url, [...restProbes('/one'), ...mcpProbes('/one'), ...mcpProbes(''), ...documents], /^Bearer, Basic realm="mcpgate"/)).toEqual([]);
    expect(seen()).toBe(0);
    const basic = `Basic ${Buffer.from(`anyone:${KEY}`).toString('base64')}`;
    expect((await send(url, restProbes('/one')[0]!, basic)).status).toBe(200);
  });
});
