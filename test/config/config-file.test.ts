import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigFile, readConfigFile } from '../../src/config/config-file.js';
import { configError, problemsOf } from './helpers.js';

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

  it('reads "oauth" as mcpo writes it, with its defaults', () => {
    const text = `{"mcpServers": {"oauth-protected-server": {"type": "streamable-http", "url": "http://localhost:8000/mcp",
      "oauth": {"server_url": "http://localhost:8000"}}}}`;
    const result = parseConfigFile(text, 'config.json', options);
    expect(result.upstreams[0]).toMatchObject({
      transport: 'streamable-http',
      oauth: {
        grantType: 'authorization_code',
        serverUrl: 'http://localhost:8000',
        storage: 'file',
        callbackPort: 3030,
        openBrowser: true,
        clientMetadata: undefined,
        clientId: undefined,
        clientSecret: undefined,
      },
    });
    expect(result.warnings).toEqual([]);
  });

  it('reads every "oauth" field, and warns of unknown ones', () => {
    const text = `{"mcpServers": {
      "legacy": {"type": "streamable-http", "url": "http://api.example.com/mcp", "oauth": {"server_url": "http://api.example.com",
        "storage_type": "memory", "callback_port": 4040, "use_loopback": false,
        "client_metadata": {"client_name": "My MCPO Client", "redirect_uris": ["http://localhost:3030/callback"], "logo_uri": "https://x/l.png"},
        "client_id": "pre-registered", "scope": "mcp offline_access", "issuer": "https://auth.example.com", "clientSecret": "typo"}},
      "headless": {"url": "https://api.example.com/mcp", "oauth": {"grant_type": "client_credentials", "client_id": "svc", "client_secret": "s3cret",
        "client_metadata_url": "https://gateway.example.com/client.json"}}}}`;
    const result = parseConfigFile(text, 'config.json', options);
    expect(result.upstreams[0]).toMatchObject({
      oauth: {
        grantType: 'authorization_code',
        storage: 'memory',
        callbackPort: 4040,
        openBrowser: false,
        clientMetadata: { client_name: 'My MCPO Client', redirect_uris: ['http://localhost:3030/callback'], logo_uri: 'https://x/l.png' },
        clientId: 'pre-registered',
        scope: 'mcp offline_access',
        issuer: 'https://auth.example.com',
      },
    });
    expect(result.upstreams[1]).toMatchObject({
      transport: 'http-auto',
      oauth: { grantType: 'client_credentials', clientId: 'svc', clientSecret: 's3cret', clientMetadataUrl: 'https://gateway.example.com/client.json' },
    });
    expect(result.warnings).toEqual(['config.json: mcpServers.legacy.oauth.clientSecret: unknown field, ignored']);
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

describe('parseConfigFile: protocol', () => {
  it('carries "protocol" to the upstream; "auto" is the same as leaving it out', () => {
    const result = load({
      a: { command: 'x', protocol: '2026-07-28' },
      b: { url: 'http://h/mcp', protocol: '2025-11-25' },
      c: { url: 'http://h/mcp', protocol: 'auto' },
      d: { command: 'x' },
    });
    expect(result.warnings).toEqual([]);
    expect(result.upstreams[0]).toMatchObject({ transport: 'stdio', protocol: '2026-07-28' });
    expect(result.upstreams[1]).toMatchObject({ transport: 'http-auto', protocol: '2025-11-25' });
    expect(result.upstreams[2]).not.toHaveProperty('protocol');
    expect(result.upstreams[3]).not.toHaveProperty('protocol');
  });

  it('warns that the HTTP+SSE transport has no 2026-07-28 era, and drops it', () => {
    const result = load({ old: { type: 'sse', url: 'http://h/sse', protocol: '2026-07-28' } });
    expect(result.warnings).toEqual([
      'config.json: mcpServers.old.protocol: ignored: the HTTP+SSE transport speaks only the session era; use "type": "streamable-http" for 2026-07-28',
    ]);
    expect(result.upstreams[0]).not.toHaveProperty('protocol');
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

describe('parseConfigFile: "hooks" and "auditLog"', () => {
  const servers = { a: { command: 'x' } };

  it('resolves relative paths against baseDir, keeps absolute ones, and keeps the order of "hooks"', () => {
    const text = JSON.stringify({
      hooks: ['./hooks/first.mjs', '/opt/hooks/second.mjs', 'third.js', '../shared/fourth.mjs'],
      auditLog: { path: 'logs/audit.jsonl', includeArguments: true },
      mcpServers: servers,
    });
    const result = parseConfigFile(text, 'config.json', { ...options, baseDir: '/etc/mcpgate' });
    expect(result.warnings).toEqual([]);
    expect(result.hookModules).toEqual([
      '/etc/mcpgate/hooks/first.mjs',
      '/opt/hooks/second.mjs',
      '/etc/mcpgate/third.js',
      '/etc/shared/fourth.mjs',
    ]);
    expect(result.auditLog).toEqual({ path: '/etc/mcpgate/logs/audit.jsonl', includeArguments: true });
  });

  it('resolves against the directory of the file label when no baseDir is given', () => {
    const text = JSON.stringify({ hooks: ['h.mjs'], auditLog: { path: 'audit.jsonl' }, mcpServers: servers });
    const result = parseConfigFile(text, 'conf/servers.json', options);
    expect(result.hookModules).toEqual([resolve('conf', 'h.mjs')]);
    expect(result.auditLog).toEqual({ path: resolve('conf', 'audit.jsonl'), includeArguments: false });
  });

  it('reads "host" and "port", and leaves them out when absent', () => {
    const text = JSON.stringify({ host: '0.0.0.0', port: 9000, mcpServers: servers });
    expect(parseConfigFile(text, 'config.json', options)).toMatchObject({ host: '0.0.0.0', port: 9000, warnings: [] });
    const bare = parseConfigFile(JSON.stringify({ mcpServers: servers }), 'config.json', options);
    expect(bare).not.toHaveProperty('host');
    expect(bare).not.toHaveProperty('port');
  });

  it('defaults "includeArguments" to false', () => {
    const text = JSON.stringify({ auditLog: { path: '/var/log/audit.jsonl' }, mcpServers: servers });
    expect(parseConfigFile(text, 'config.json', options).auditLog).toEqual({ path: '/var/log/audit.jsonl', includeArguments: false });
  });

  it('expands ${VAR} in the paths', () => {
    const text = '{"hooks": ["${HOOKS}/a.mjs"], "auditLog": {"path": "${LOGS:-/var/log}/audit.jsonl"}, "mcpServers": {"a": {"command": "x"}}}';
    const result = parseConfigFile(text, 'config.json', { ...options, env: { HOOKS: '/srv/hooks' }, baseDir: '/etc' });
    expect(result.hookModules).toEqual(['/srv/hooks/a.mjs']);
    expect(result.auditLog?.path).toBe('/var/log/audit.jsonl');
  });

  it('leaves both out when the file has none, or an empty "hooks"', () => {
    const none = parseConfigFile(JSON.stringify({ mcpServers: servers }), 'config.json', options);
    expect(none).not.toHaveProperty('hookModules');
    expect(none).not.toHaveProperty('auditLog');
    const empty = parseConfigFile(JSON.stringify({ hooks: [], mcpServers: servers }), 'config.json', options);
    expect(empty).not.toHaveProperty('hookModules');
    expect(empty.warnings).toEqual([]);
  });

  it('does not look the paths up on disk (readConfigFile does)', () => {
    const text = JSON.stringify({ hooks: ['/no/such/hook.mjs'], auditLog: { path: '/no/such/dir/a.jsonl' }, mcpServers: servers });
    expect(parseConfigFile(text, 'config.json', options).hookModules).toEqual(['/no/such/hook.mjs']);
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

  it('resolves "hooks" and "auditLog" against the config file\'s directory, not the working directory', async () => {
    const confDir = join(dir, 'resolve', 'conf');
    await mkdir(join(confDir, 'hooks'), { recursive: true });
    await mkdir(join(dir, 'resolve', 'logs'), { recursive: true });
    await writeFile(join(confDir, 'hooks', 'a.mjs'), 'export default {};\n');
    await writeFile(join(dir, 'resolve', 'b.mjs'), 'export default {};\n');
    const path = join(confDir, 'config.json');
    await writeFile(
      path,
      JSON.stringify({ hooks: ['hooks/a.mjs', '../b.mjs'], auditLog: { path: '../logs/audit.jsonl' }, mcpServers: { a: { command: 'x' } } }),
    );
    expect(process.cwd()).not.toBe(confDir);
    const result = await readConfigFile(path, options);
    expect(result.hookModules).toEqual([join(confDir, 'hooks', 'a.mjs'), join(dir, 'resolve', 'b.mjs')]);
    // The log file need not exist: it is created.
    expect(result.auditLog).toEqual({ path: join(dir, 'resolve', 'logs', 'audit.jsonl'), includeArguments: false });
  });

  it('names the JSON path and the resolved path of each hook module that is missing or not a file', async () => {
    const confDir = join(dir, 'missing-hooks');
    await mkdir(join(confDir, 'a-directory.mjs'), { recursive: true });
    await writeFile(join(confDir, 'present.mjs'), 'export default {};\n');
    const path = join(confDir, 'config.json');
    await writeFile(
      path,
      JSON.stringify({ hooks: ['present.mjs', 'absent.mjs', 'a-directory.mjs', 'present.mjs/x.mjs'], mcpServers: { a: { command: 'x' } } }),
    );
    const error = await readConfigFile(path, options).catch((e: unknown) => e);
    expect(problemsOf(configError(() => { throw error; }))).toEqual([
      `${path}: hooks[1]: file not found: ${join(confDir, 'absent.mjs')}`,
      `${path}: hooks[2]: ${join(confDir, 'a-directory.mjs')} is a directory, not a module file`,
      `${path}: hooks[3]: file not found: ${join(confDir, 'present.mjs', 'x.mjs')}`,
    ]);
  });

  it('requires the audit log\'s directory to exist, and the log not to be a directory', async () => {
    const confDir = join(dir, 'audit-dirs');
    await mkdir(join(confDir, 'logs'), { recursive: true });
    await writeFile(join(confDir, 'plain-file'), '');
    const path = join(confDir, 'config.json');
    const check = async (auditPath: string): Promise<string[]> => {
      await writeFile(path, JSON.stringify({ auditLog: { path: auditPath }, mcpServers: { a: { command: 'x' } } }));
      const error = await readConfigFile(path, options).catch((e: unknown) => e);
      return problemsOf(configError(() => { throw error; }));
    };
    expect(await check('no-such-dir/audit.jsonl')).toEqual([
      `${path}: auditLog.path: directory not found: ${join(confDir, 'no-such-dir')} (the log file ${join(confDir, 'no-such-dir', 'audit.jsonl')} is created in it, the directory is not)`,
    ]);
    expect(await check('plain-file/audit.jsonl')).toEqual([
      `${path}: auditLog.path: ${join(confDir, 'plain-file')} is not a directory (the log file ${join(confDir, 'plain-file', 'audit.jsonl')} would be created in it)`,
    ]);
    expect(await check('logs')).toEqual([`${path}: auditLog.path: ${join(confDir, 'logs')} is a directory; give the path of the log file`]);
    // An existing log file is appended to.
    await writeFile(join(confDir, 'logs', 'old.jsonl'), '{}\n');
    await writeFile(path, JSON.stringify({ auditLog: { path: 'logs/old.jsonl' }, mcpServers: { a: { command: 'x' } } }));
    expect((await readConfigFile(path, options)).auditLog?.path).toBe(join(confDir, 'logs', 'old.jsonl'));
  });

  it('reports missing paths together with the file\'s other problems', async () => {
    const path = join(dir, 'all-at-once.json');
    await writeFile(path, JSON.stringify({ hooks: ['gone.mjs'], mcpServers: { a: { command: 1 } } }));
    const error = await readConfigFile(path, options).catch((e: unknown) => e);
    expect(problemsOf(configError(() => { throw error; }))).toEqual([
      `${path}: mcpServers.a.command: expected string, got number`,
      `${path}: hooks[0]: file not found: ${join(dir, 'gone.mjs')}`,
    ]);
  });

  it('names a directory given as the file', async () => {
    const error = await readConfigFile(dir, options).catch((e: unknown) => e);
    expect(configError(() => { throw error; }).message).toContain(`${dir}: cannot read file: EISDIR`);
  });
});
