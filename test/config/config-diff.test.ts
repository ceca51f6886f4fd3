/**
 * The diff a reload applies: servers added, removed, changed and unchanged, the gateway's own
 * fields that moved, and the settings that wait for a restart.
 */
import { describe, expect, it } from 'vitest';
import { configInForce, diffConfigs, isEmptyDiff } from '../../src/config/config-diff.js';
import type { GatewayConfig, HttpUpstreamConfig, StdioUpstreamConfig } from '../../src/config/types.js';
import { httpConfig, stdioConfig } from '../helpers/fixtures.js';

function stdio(name: string, overrides: Partial<StdioUpstreamConfig> = {}): StdioUpstreamConfig {
  return stdioConfig({ name, command: 'npx', args: ['-y', `server-${name}`], ...overrides });
}

function http(name: string, overrides: Partial<HttpUpstreamConfig> = {}): HttpUpstreamConfig {
  return httpConfig(`http://127.0.0.1:8001/${name}`, { name, ...overrides });
}

function config(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    mode: 'multi',
    upstreams: [stdio('memory'), http('search')],
    disabledUpstreams: [],
    configPath: '/etc/mcpgate/config.json',
    host: '127.0.0.1',
    port: 8000,
    logLevel: 'info',
    info: {},
    ...overrides,
  };
}

describe('diffConfigs', () => {
  it('finds nothing between equal configs', () => {
    const diff = diffConfigs(config(), config());
    expect(diff).toEqual({
      added: [],
      removed: [],
      changed: [],
      unchanged: ['memory', 'search'],
      disabledChanged: false,
      hooksChanged: false,
      auditLogChanged: false,
      restartRequired: [],
    });
    expect(isEmptyDiff(diff)).toBe(true);
  });

  it('sorts servers into added, removed, changed and unchanged', () => {
    const current = config({ upstreams: [stdio('a'), stdio('b'), stdio('c'), http('d')] });
    const next = config({ upstreams: [http('d'), stdio('e'), stdio('c', { args: ['other'] }), stdio('a'), stdio('f')] });
    const diff = diffConfigs(current, next);
    expect(diff.added.map((upstream) => upstream.name)).toEqual(['e', 'f']);
    expect(diff.removed).toEqual(['b']);
    expect(diff.changed).toEqual([stdio('c', { args: ['other'] })]);
    expect(diff.unchanged).toEqual(['d', 'a']);
    expect(isEmptyDiff(diff)).toBe(false);
  });

  it('keeps removed servers in the current order and added ones in the next order', () => {
    const diff = diffConfigs(config({ upstreams: [stdio('z'), stdio('y'), stdio('x')] }), config({ upstreams: [stdio('c'), stdio('b'), stdio('a')] }));
    expect(diff.removed).toEqual(['z', 'y', 'x']);
    expect(diff.added.map((upstream) => upstream.name)).toEqual(['c', 'b', 'a']);
  });

  it('hands out added and changed servers as configured in next', () => {
    const added = http('new', { headers: { Authorization: 'Bearer t' } });
    const changed = stdio('memory', { env: { TZ: 'UTC' } });
    const diff = diffConfigs(config(), config({ upstreams: [changed, http('search'), added] }));
    expect(diff.changed[0]).toBe(changed);
    expect(diff.added[0]).toBe(added);
  });

  it.each<[string, Partial<StdioUpstreamConfig>]>([
    ['args', { args: ['-y', 'server-memory', '--verbose'] }],
    ['args order', { args: ['server-memory', '-y'] }],
    ['env value', { env: { TZ: 'UTC' } }],
    ['cwd', { cwd: '/srv' }],
    ['timeout', { timeoutMs: 60_000 }],
    ['disabledTools', { disabledTools: ['delete'] }],
    ['enabledTools', { enabledTools: [] }],
    ['sharing', { sharing: 'per-session' }],
    ['protocol', { protocol: '2026-07-28' }],
    ['passEnvironment', { passEnvironment: true }],
  ])('counts a change of %s as changed', (_field, overrides) => {
    const diff = diffConfigs(config({ upstreams: [stdio('memory')] }), config({ upstreams: [stdio('memory', overrides)] }));
    expect(diff.changed.map((upstream) => upstream.name)).toEqual(['memory']);
    expect(diff.unchanged).toEqual([]);
  });

  it('counts a change of transport as changed', () => {
    const diff = diffConfigs(config({ upstreams: [http('search')] }), config({ upstreams: [http('search', { transport: 'sse' })] }));
    expect(diff.changed.map((upstream) => upstream.name)).toEqual(['search']);
  });

  it('ignores the key order of objects', () => {
    const current = config({ upstreams: [stdio('memory', { env: { A: '1', B: '2' } })] });
    const reordered = { ...stdio('memory'), env: { B: '2', A: '1' } };
    const next = config({ upstreams: [Object.fromEntries(Object.entries(reordered).reverse()) as unknown as StdioUpstreamConfig] });
    expect(diffConfigs(current, next).unchanged).toEqual(['memory']);
  });

  it('treats an undefined-valued key as a missing key, at any depth', () => {
    const withUndefined = config({ upstreams: [stdio('memory', { sharing: undefined })], rest: { pathPrefix: '/api', rootPath: undefined }, auditLog: undefined });
    const { cwd: _cwd, enabledTools: _enabled, ...bare } = stdio('memory');
    const without = config({ upstreams: [bare as StdioUpstreamConfig], rest: { pathPrefix: '/api' } });
    const diff = diffConfigs(withUndefined, without);
    expect(diff.unchanged).toEqual(['memory']);
    expect(diff.restartRequired).toEqual([]);
    expect(isEmptyDiff(diff)).toBe(true);
    expect(isEmptyDiff(diffConfigs(without, withUndefined))).toBe(true);
  });

  it('counts a server that became disabled as removed, and notices the disabled set change', () => {
    const diff = diffConfigs(config(), config({ upstreams: [http('search')], disabledUpstreams: ['memory'] }));
    expect(diff.removed).toEqual(['memory']);
    expect(diff.disabledChanged).toBe(true);
  });

  it('compares disabled servers as a set', () => {
    const current = config({ disabledUpstreams: ['a', 'b'] });
    expect(diffConfigs(current, config({ disabledUpstreams: ['b', 'a'] })).disabledChanged).toBe(false);
    expect(diffConfigs(current, config({ disabledUpstreams: ['b', 'a', 'a'] })).disabledChanged).toBe(false);
    expect(diffConfigs(current, config({ disabledUpstreams: ['a'] })).disabledChanged).toBe(true);
    expect(diffConfigs(current, config({ disabledUpstreams: ['a', 'c'] })).disabledChanged).toBe(true);
    // A disabled server taken out of the file changes nothing else, but is still a change.
    const diff = diffConfigs(current, config({ disabledUpstreams: ['a'] }));
    expect(isEmptyDiff(diff)).toBe(false);
  });

  it('compares hook modules in order, with none and an empty list the same', () => {
    const hooks = ['/hooks/a.js', '/hooks/b.js'];
    expect(diffConfigs(config({ hookModules: hooks }), config({ hookModules: [...hooks] })).hooksChanged).toBe(false);
    expect(diffConfigs(config({ hookModules: hooks }), config({ hookModules: [...hooks].reverse() })).hooksChanged).toBe(true);
    expect(diffConfigs(config({ hookModules: hooks }), config({ hookModules: ['/hooks/a.js'] })).hooksChanged).toBe(true);
    expect(diffConfigs(config(), config({ hookModules: [] })).hooksChanged).toBe(false);
    expect(diffConfigs(config({ hookModules: [] }), config()).hooksChanged).toBe(false);
    const diff = diffConfigs(config(), config({ hookModules: ['/hooks/a.js'] }));
    expect(diff.hooksChanged).toBe(true);
    expect(diff.restartRequired).toEqual([]);
    expect(isEmptyDiff(diff)).toBe(false);
  });

  it('compares the audit log deeply', () => {
    const audit = { path: '/var/log/mcpgate.jsonl', includeArguments: false };
    expect(diffConfigs(config({ auditLog: audit }), config({ auditLog: { ...audit } })).auditLogChanged).toBe(false);
    expect(diffConfigs(config({ auditLog: audit }), config({ auditLog: { ...audit, includeArguments: true } })).auditLogChanged).toBe(true);
    expect(diffConfigs(config({ auditLog: audit }), config({ auditLog: { ...audit, path: '/tmp/a.jsonl' } })).auditLogChanged).toBe(true);
    expect(diffConfigs(config(), config({ auditLog: audit })).auditLogChanged).toBe(true);
    const diff = diffConfigs(config({ auditLog: audit }), config());
    expect(diff.auditLogChanged).toBe(true);
    expect(diff.restartRequired).toEqual([]);
    expect(isEmptyDiff(diff)).toBe(false);
  });

  it('names settings that need a restart with both values', () => {
    const diff = diffConfigs(config(), config({ port: 9000, host: '0.0.0.0', logLevel: 'debug', mode: 'single' }));
    expect(diff.restartRequired).toEqual(['mode: "multi" → "single"', 'host: "127.0.0.1" → "0.0.0.0"', 'port: 8000 → 9000', 'logLevel: "info" → "debug"']);
    expect(diff.unchanged).toEqual(['memory', 'search']);
    expect(isEmptyDiff(diff)).toBe(false);
  });

  it('names the nested path of a setting inside an object', () => {
    const current = config({ rest: { pathPrefix: '', maxBodyBytes: 1024 }, info: { title: 'Tools' } });
    const next = config({ rest: { pathPrefix: '/api', maxBodyBytes: 1024, rootPath: '/tools' }, info: { title: 'Tools', version: '2' } });
    expect(diffConfigs(current, next).restartRequired).toEqual(['info.version: unset → "2"', 'rest.pathPrefix: "" → "/api"', 'rest.rootPath: unset → "/tools"']);
  });

  it('names each setting of a section that appears or goes', () => {
    expect(diffConfigs(config(), config({ cors: { allowOrigins: ['*'] } })).restartRequired).toEqual(['cors.allowOrigins: unset → ["*"]']);
    expect(diffConfigs(config({ mcp: { stateless: true, allowedHosts: ['a.example'] } }), config()).restartRequired).toEqual([
      'mcp.stateless: true → unset',
      'mcp.allowedHosts: ["a.example"] → unset',
    ]);
    // An empty section means every default, as a missing one does.
    expect(diffConfigs(config(), config({ rest: {} })).restartRequired).toEqual([]);
  });

  it('shows arrays whole and never shows API keys', () => {
    const diff = diffConfigs(
      config({ auth: { apiKeys: ['old-secret'] }, mcp: { allowedHosts: ['a.example'] } }),
      config({ auth: { apiKeys: ['new-secret'], strict: true }, mcp: { allowedHosts: ['a.example', 'b.example'] } }),
    );
    expect(diff.restartRequired).toEqual(['auth.apiKeys: changed (not shown)', 'auth.strict: unset → true', 'mcp.allowedHosts: ["a.example"] → ["a.example","b.example"]']);
    expect(diff.restartRequired.join('\n')).not.toContain('secret');
    expect(diffConfigs(config(), config({ auth: { apiKeys: ['k'] } })).restartRequired).toEqual(['auth.apiKeys: changed (not shown)']);
  });

  it('names a renewed TLS certificate or key without writing out the PEM', () => {
    const tls = { cert: '-----BEGIN CERTIFICATE-----\nold', key: '-----BEGIN PRIVATE KEY-----\nold', certFile: '/c.pem', keyFile: '/k.pem' };
    const diff = diffConfigs(config({ tls }), config({ tls: { ...tls, cert: `${tls.cert}-new`, key: `${tls.key}-new` } }));
    expect(diff.restartRequired).toEqual(['tls.cert: changed (not shown)', 'tls.key: changed (not shown)']);
    expect(diffConfigs(config(), config({ tls })).restartRequired).toEqual([
      'tls.cert: changed (not shown)',
      'tls.key: changed (not shown)',
      'tls.certFile: unset → "/c.pem"',
      'tls.keyFile: unset → "/k.pem"',
    ]);
  });

  it('does not report the config path or live settings as needing a restart', () => {
    const diff = diffConfigs(
      config(),
      config({ configPath: '/other.json', upstreams: [], disabledUpstreams: ['x'], hookModules: ['/h.js'], auditLog: { path: '/a', includeArguments: false } }),
    );
    expect(diff.restartRequired).toEqual([]);
    expect(isEmptyDiff(diffConfigs(config(), config({ configPath: '/other.json' })))).toBe(true);
  });
});

describe('configInForce', () => {
  it('takes the servers, hooks and audit log of the new config and keeps the settings that need a restart', () => {
    const current = config({ port: 8000, hookModules: ['/h.mjs'], auditLog: { path: '/a.jsonl', includeArguments: false } });
    const next = config({ port: 9000, upstreams: [stdio('memory')], disabledUpstreams: ['search'] });
    const inForce = configInForce(current, next);
    expect(inForce).toEqual({ ...current, upstreams: [stdio('memory')], disabledUpstreams: ['search'], hookModules: undefined, auditLog: undefined });
    expect(inForce.port).toBe(8000);
    expect(inForce).not.toHaveProperty('hookModules');
    expect(inForce).not.toHaveProperty('auditLog');
  });
});
