import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigFile, readConfigFile } from '../../src/config/config-file.js';
import { configError } from './helpers.js';

const options = { env: {}, passEnvironment: false };

/** The example of the brief, verbatim: comments, trailing commas, every transport. */
const BRIEF_EXAMPLE = `{
  // comments allowed
  "mcpServers": {
    "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] },
    "time": { "command": "uvx", "args": ["mcp-server-time", "--local-timezone=America/New_York"], "env": {"TZ": "\${TZ:-UTC}"}, "cwd": "/tmp", "disabledTools": ["convert_time"], "timeout": 60 },
    "mcp_sse": { "type": "sse", "url": "http://127.0.0.1:8001/sse", "headers": { "Authorization": "Bearer token" } },
    "mcp_streamable_http": { "type": "streamable-http", "url": "http://127.0.0.1:8002/mcp" },
    "plain_url": { "url": "http://127.0.0.1:8003/mcp" },   // no type: transport 'http-auto'
    "off": { "command": "x", "disabled": true },
  },
}`;

/** mcpo's example config, verbatim. */
const MCPO_EXAMPLE = `{
  "mcpServers": {
    "memory": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-memory"]
    },
    "time": {
      "command": "uvx",
      "args": ["mcp-server-time", "--local-timezone=America/New_York"],
      "disabledTools": ["convert_time"] // Disable specific tools if needed
    },
    "mcp_sse": {
      "type": "sse", // Explicitly define type
      "url": "http://127.0.0.1:8001/sse",
      "headers": {
        "Authorization": "Bearer token",
        "X-Custom-Header": "value"
      }
    },
    "mcp_streamable_http": {
      "type": "streamable-http",
      "url": "http://127.0.0.1:8002/mcp"
    } // Streamable HTTP MCP Server
  }
}`;

/** Parse a config made of the given `mcpServers` entries. */
function load(servers: Record<string, unknown>, opts = options) {
  return parseConfigFile(JSON.stringify({ mcpServers: servers }), 'config.json', opts);
}

describe('parseConfigFile: valid files', () => {
  it('loads the example of the brief', () => {
    const result = parseConfigFile(BRIEF_EXAMPLE, 'config.json', { env: {}, passEnvironment: true });
    expect(result.warnings).toEqual([]);
    expect(result.disabledUpstreams).toEqual(['off']);
    expect(result.upstreams).toEqual([
      {
        name: 'memory',
        transport: 'stdio',
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-memory'],
        env: {},
        cwd: undefined,
        passEnvironment: true,
        timeoutMs: 300_000,
        disabledTools: [],
        enabledTools: undefined,
      },
      {
        name: 'time',
        transport: 'stdio',
        command: 'uvx',
        args: ['mcp-server-time', '--local-timezone=America/New_York'],
        env: { TZ: 'UTC' },
        cwd: '/tmp',
        passEnvironment: true,
        timeoutMs: 60_000,
        disabledTools: ['convert_time'],
        enabledTools: undefined,
      },
      {
        name: 'mcp_sse',
        transport: 'sse',
        url: 'http://127.0.0.1:8001/sse',
        headers: { Authorization: 'Bearer token' },
        timeoutMs: 300_000,
        disabledTools: [],
        enabledTools: undefined,
      },
      {
        name: 'mcp_streamable_http',
        transport: 'streamable-http',
        url: 'http://127.0.0.1:8002/mcp',
        headers: {},
        timeoutMs: 300_000,
        disabledTools: [],
        enabledTools: undefined,
      },
      {
        name: 'plain_url',
        transport: 'http-auto',
        url: 'http://127.0.0.1:8003/mcp',
        headers: {},
        timeoutMs: 300_000,
        disabledTools: [],
        enabledTools: undefined,
      },
    ]);
  });

  it('loads the mcpo example', () => {
    const result = parseConfigFile(MCPO_EXAMPLE, 'config.json', options);
    expect(result.warnings).toEqual([]);
    expect(result.disabledUpstreams).toEqual([]);
    expect(result.upstreams.map((u) => [u.name, u.transport])).toEqual([
      ['memory', 'stdio'],
      ['time', 'stdio'],
      ['mcp_sse', 'sse'],
      ['mcp_streamable_http', 'streamable-http'],
    ]);
    expect(result.upstreams[1]).toMatchObject({ disabledTools: ['convert_time'], passEnvironment: false });
    expect(result.upstreams[2]).toMatchObject({
      headers: { Authorization: 'Bearer token', 'X-Custom-Header': 'value' },
    });
  });

  it('expands ${VAR} from the given environment before validation', () => {
    const text = `{"mcpServers": {"api": {"url": "\${BASE}/mcp", "headers": {"Authorization": "Bearer \${TOKEN}"},
      "env": {"X": "$\${LITERAL}"}}}}`;
    const result = parseConfigFile(text, 'config.json', {
      env: { BASE: 'https://api.example.com', TOKEN: 'abc' },
      passEnvironment: false,
    });
    expect(result.upstreams[0]).toMatchObject({
      url: 'https://api.example.com/mcp',
      headers: { Authorization: 'Bearer abc' },
    });
    // `env` is meaningless for an HTTP server: ignored with a warning, but still expanded.
    expect(result.warnings).toEqual(['config.json: mcpServers.api.env: ignored: only used by stdio servers']);
  });

  it.each([
    ['stdio', 'stdio'],
    ['sse', 'sse'],
    ['streamable-http', 'streamable-http'],
    ['streamable_http', 'streamable-http'],
    ['streamablehttp', 'streamable-http'],
    ['streamableHttp', 'streamable-http'],
    ['http', 'streamable-http'],
  ])('type %j selects transport %j', (type, transport) => {
    const entry = type === 'stdio' ? { type, command: 'x' } : { type, url: 'https://example.com/mcp' };
    expect(load({ s: entry }).upstreams[0]?.transport).toBe(transport);
  });

  it('accepts the snake_case tool lists of mcpo, camelCase winning when both are given', () => {
    const result = load({
      a: { command: 'x', disabled_tools: ['t1'], enabled_tools: ['t2'] },
      b: { command: 'x', disabledTools: ['c'], disabled_tools: ['s'], enabledTools: ['c'], enabled_tools: ['s'] },
    });
    expect(result.upstreams[0]).toMatchObject({ disabledTools: ['t1'], enabledTools: ['t2'] });
    expect(result.upstreams[1]).toMatchObject({ disabledTools: ['c'], enabledTools: ['c'] });
    expect(result.warnings).toEqual([
      'config.json: mcpServers.b.disabled_tools: ignored: "disabledTools" is also given',
      'config.json: mcpServers.b.enabled_tools: ignored: "enabledTools" is also given',
    ]);
  });

  it.each([
    [60, 60_000],
    [0.5, 500],
    [1.2345, 1235],
    [0.0001, 1],
    [2147483, 2_147_483_000],
  ])('timeout %d s → timeoutMs %d', (timeout, timeoutMs) => {
    expect(load({ s: { command: 'x', timeout } }).upstreams[0]?.timeoutMs).toBe(timeoutMs);
  });

  it('validates disabled servers and lists them apart, in file order', () => {
    const result = load({
      b: { command: 'x', disabled: true },
      a: { url: 'http://h/mcp', disabled: true },
      c: { command: 'x', disabled: false },
    });
    expect(result.disabledUpstreams).toEqual(['b', 'a']);
    expect(result.upstreams.map((u) => u.name)).toEqual(['c']);
    expect(() => load({ a: { command: 'x' }, off: { disabled: true } })).toThrow(
      'config.json: mcpServers.off: must have either "command" (stdio) or "url" (sse, streamable-http)',
    );
  });

  it('warns about unknown fields and ignores them', () => {
    const text = `{
      "globalShortcut": "Ctrl+Space",
      "$schema": "https://example.com/schema.json",
      "mcpServers": {
        "time": { "command": "uvx", "alwaysAllow": ["x"], "autoApprove": [] },
        "web": { "url": "https://example.com/mcp", "args": ["a"], "cwd": "/" },
        "local": { "command": "x", "headers": { "A": "b" } }
      }
    }`;
    const result = parseConfigFile(text, 'config.json', options);
    expect(result.warnings).toEqual([
      'config.json: globalShortcut: unknown field, ignored',
      'config.json: mcpServers.time.alwaysAllow: unknown field, ignored',
      'config.json: mcpServers.time.autoApprove: unknown field, ignored',
      'config.json: mcpServers.web.args: ignored: only used by stdio servers',
      'config.json: mcpServers.web.cwd: ignored: only used by stdio servers',
      'config.json: mcpServers.local.headers: ignored: only used by HTTP servers',
    ]);
    expect(result.upstreams[0]).not.toHaveProperty('alwaysAllow');
  });

  it.each(['a', 'A-b_c.d', '_x', '-x', '0', 'x'.repeat(64), 'healthz2', 'my.mcp'])('accepts server name %j', (name) => {
    expect(load({ [name]: { command: 'x' } }).upstreams[0]?.name).toBe(name);
  });
});

describe('parseConfigFile: sharing and maxSessions', () => {
  it('carries "sharing" and "maxSessions" to the upstream, for either transport', () => {
    const result = load({
      a: { command: 'x', sharing: 'per-session', maxSessions: 4 },
      b: { url: 'http://h/mcp', sharing: 'per-session' },
      c: { url: 'http://h/mcp', sharing: 'shared' },
      d: { command: 'x' },
    });
    expect(result.warnings).toEqual([]);
    expect(result.upstreams[0]).toMatchObject({ sharing: 'per-session', maxSessions: 4 });
    expect(result.upstreams[1]).toMatchObject({ sharing: 'per-session' });
    expect(result.upstreams[1]).not.toHaveProperty('maxSessions');
    expect(result.upstreams[2]).toMatchObject({ sharing: 'shared' });
    // Left out, the upstream says nothing: the MCP frontends apply their default.
    expect(result.upstreams[3]).not.toHaveProperty('sharing');
    expect(result.upstreams[3]).not.toHaveProperty('maxSessions');
  });

  it('warns that "maxSessions" means nothing without "sharing": "per-session", and drops it', () => {
    const result = load({
      shared: { command: 'x', sharing: 'shared', maxSessions: 2 },
      unset: { url: 'http://h/mcp', maxSessions: 3 },
    });
    expect(result.warnings).toEqual([
      'config.json: mcpServers.shared.maxSessions: ignored: only used with "sharing": "per-session"',
      'config.json: mcpServers.unset.maxSessions: ignored: only used with "sharing": "per-session"',
    ]);
    expect(result.upstreams[0]).toMatchObject({ sharing: 'shared' });
    expect(result.upstreams[0]).not.toHaveProperty('maxSessions');
    expect(result.upstreams[1]).not.toHaveProperty('maxSessions');
  });
});

describe('readConfigFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpgate-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads and parses a file, labelling messages with its path', async () => {
    const path = join(dir, 'config.json');
    await writeFile(path, MCPO_EXAMPLE);
    const result = await readConfigFile(path, options);
    expect(result.upstreams).toHaveLength(4);

    await writeFile(path, '{"mcpServers": {"a": {"command": 1}}}');
    await expect(readConfigFile(path, options)).rejects.toThrow(`${path}: mcpServers.a.command: expected string, got number`);
  });

  it('names a missing file', async () => {
    const path = join(dir, 'missing.json');
    const error = await readConfigFile(path, options).catch((e: unknown) => e);
    expect(configError(() => { throw error; }).message).toMatch(
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read file: ENOENT`),
    );
  });

  it('names a directory given as the file', async () => {
    const error = await readConfigFile(dir, options).catch((e: unknown) => e);
    expect(configError(() => { throw error; }).message).toContain(`${dir}: cannot read file: EISDIR`);
  });
});
