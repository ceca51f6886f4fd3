import { describe, expect, it } from 'vitest';
import { parseConfigFile } from '../../src/config/config-file.js';
import { configError, problemsOf } from './helpers.js';

const options = { env: {}, passEnvironment: false };

/** The problems reported for a config text. */
function problemsFor(text: string, env: Record<string, string | undefined> = {}): string[] {
  return problemsOf(configError(() => parseConfigFile(text, 'config.json', { env, passEnvironment: false })));
}

/** The problems reported for a config with these `mcpServers` entries. */
function serverProblems(servers: Record<string, unknown>): string[] {
  return problemsFor(JSON.stringify({ mcpServers: servers }));
}

describe('parseConfigFile: top level', () => {
  it.each([
    ['[]', 'config.json: top level: expected object, got array'],
    ['"x"', 'config.json: top level: expected object, got string'],
    ['null', 'config.json: top level: expected object, got null'],
    ['{}', 'config.json: mcpServers: missing: the file must have an "mcpServers" object'],
    ['{"servers": {}}', 'config.json: mcpServers: missing: the file must have an "mcpServers" object'],
    ['{"mcpServers": []}', 'config.json: mcpServers: expected object, got array'],
    ['{"mcpServers": null}', 'config.json: mcpServers: expected object, got null'],
    ['{"mcpServers": {}}', 'config.json: mcpServers: has no servers: add at least one entry'],
    ['{"mcpServers": {"a": {"command": "x"}}, "hooks": {}}', 'config.json: hooks: expected array, got object'],
  ])('%s', (text, problem) => {
    expect(problemsFor(text)).toEqual([problem]);
  });

  it('reports a syntax error before anything else', () => {
    expect(() => parseConfigFile('{"mcpServers": {"a" 1}}', 'config.json', options)).toThrow(
      'config.json:1:21: JSON syntax error: colon expected',
    );
  });
});

describe('parseConfigFile: wrong types', () => {
  it('names the path and the actual JSON type (the example of the spec)', () => {
    expect(serverProblems({ time: { command: 'uvx', args: ['mcp-server-time', 5] } })).toEqual([
      'config.json: mcpServers.time.args[1]: expected string, got number',
    ]);
    expect(serverProblems({ time: { command: 'uvx', args: [5] } })).toEqual([
      'config.json: mcpServers.time.args[0]: expected string, got number',
    ]);
  });

  it.each([
    [{ command: 1 }, 'command: expected string, got number'],
    [{ command: 'x', args: 'a b' }, 'args: expected array, got string'],
    [{ command: 'x', args: [null] }, 'args[0]: expected string, got null'],
    [{ command: 'x', env: [] }, 'env: expected object, got array'],
    [{ command: 'x', env: { A: 1 } }, 'env.A: expected string, got number'],
    [{ command: 'x', env: { A: true } }, 'env.A: expected string, got boolean'],
    [{ command: 'x', cwd: {} }, 'cwd: expected string, got object'],
    [{ url: 'http://h/', headers: 'x' }, 'headers: expected object, got string'],
    [{ url: 'http://h/', headers: { A: ['b'] } }, 'headers.A: expected string, got array'],
    [{ command: 'x', disabled: 'yes' }, 'disabled: expected boolean, got string'],
    [{ command: 'x', disabledTools: 'a' }, 'disabledTools: expected array, got string'],
    [{ command: 'x', disabled_tools: [1] }, 'disabled_tools[0]: expected string, got number'],
    [{ command: 'x', enabledTools: {} }, 'enabledTools: expected array, got object'],
    [{ command: 'x', enabled_tools: [false] }, 'enabled_tools[0]: expected string, got boolean'],
    [{ command: 'x', timeout: '60' }, 'timeout: expected number, got string'],
    [{ command: 'x', type: 1 }, 'type: expected string, got number'],
    [{ url: 1 }, 'url: expected string, got number'],
    [{ command: 'x', maxSessions: '4' }, 'maxSessions: expected number, got string'],
  ])('%j', (entry, problem) => {
    expect(serverProblems({ s: entry })).toEqual([`config.json: mcpServers.s.${problem}`]);
  });

  it('keeps an expanded ${VAR} a string, so a number field reports its type', () => {
    const text = '{"mcpServers": {"s": {"command": "x", "timeout": "${T}"}}}';
    expect(problemsFor(text, { T: '60' })).toEqual(['config.json: mcpServers.s.timeout: expected number, got string']);
  });
});

describe('parseConfigFile: wrong values', () => {
  it.each([
    [{ command: '' }, 'command: must not be empty'],
    [{ command: 'x', cwd: '' }, 'cwd: must not be empty'],
    [{ command: 'x', timeout: 0 }, 'timeout: must be a positive number, got 0'],
    [{ command: 'x', timeout: -5 }, 'timeout: must be a positive number, got -5'],
    [{ command: 'x', timeout: 1e10 }, 'timeout: must be at most 2147483, got 10000000000'],
    [{ url: 'ftp://h/x' }, 'url: must be an absolute http: or https: URL, got "ftp://h/x"'],
    [{ url: 'not a url' }, 'url: must be an absolute http: or https: URL, got "not a url"'],
    [{ url: '/relative/mcp' }, 'url: must be an absolute http: or https: URL, got "/relative/mcp"'],
    [{ url: 'http://h/', headers: { 'Bad Name': 'x' } }, 'headers["Bad Name"]: is not a valid HTTP header name'],
    [
      { type: 'websocket', url: 'ws://h/' },
      'type: must be one of "stdio", "sse", "streamable-http", "streamable_http", "streamablehttp", "streamableHttp", "http", got "websocket"',
    ],
    [{ command: 'x', sharing: 'foo' }, 'sharing: must be one of "shared", "per-session", got "foo"'],
    [{ command: 'x', sharing: 'Shared' }, 'sharing: must be one of "shared", "per-session", got "Shared"'],
    [{ url: 'http://h/', sharing: true }, 'sharing: must be one of "shared", "per-session", got true'],
    [{ command: 'x', sharing: 'per-session', maxSessions: 0 }, 'maxSessions: must be a positive whole number, got 0'],
    [{ command: 'x', sharing: 'per-session', maxSessions: -2 }, 'maxSessions: must be a positive whole number, got -2'],
    [{ command: 'x', sharing: 'per-session', maxSessions: 1.5 }, 'maxSessions: must be a positive whole number, got 1.5'],
    [{ command: 'x', protocol: '2026' }, 'protocol: must be one of "auto", "2025-11-25", "2026-07-28", got "2026"'],
    [{ url: 'http://h/', protocol: 20260728 }, 'protocol: must be one of "auto", "2025-11-25", "2026-07-28", got 20260728'],
  ])('%j', (entry, problem) => {
    expect(serverProblems({ s: entry })).toContain(`config.json: mcpServers.s.${problem}`);
  });
});

describe('parseConfigFile: transport rules', () => {
  it.each([
    [{}, 'must have either "command" (stdio) or "url" (sse, streamable-http)'],
    [{ args: ['x'] }, 'must have either "command" (stdio) or "url" (sse, streamable-http)'],
    [
      { command: 'x', url: 'http://h/' },
      'has both "command" and "url"; give "command" for a stdio server or "url" for an HTTP one',
    ],
    [
      { type: 'sse', command: 'x', url: 'http://h/' },
      'has both "command" and "url"; give "command" for a stdio server or "url" for an HTTP one',
    ],
    [{ type: 'sse' }, '"type" is "sse" but "url" is missing'],
    [{ type: 'sse', command: 'x' }, '"type" is "sse" but "url" is missing'],
    [{ type: 'streamable-http' }, '"type" is "streamable-http" but "url" is missing'],
    [{ type: 'http' }, '"type" is "http" but "url" is missing'],
    [{ type: 'stdio' }, '"type" is "stdio" but "command" is missing'],
    [{ type: 'stdio', url: 'http://h/' }, '"type" is "stdio" but "command" is missing'],
  ])('%j', (entry, problem) => {
    expect(serverProblems({ s: entry })).toEqual([`config.json: mcpServers.s: ${problem}`]);
  });

  it('checks the transport rules even when a field has the wrong type', () => {
    expect(serverProblems({ s: { args: [1] } })).toEqual([
      'config.json: mcpServers.s.args[0]: expected string, got number',
      'config.json: mcpServers.s: must have either "command" (stdio) or "url" (sse, streamable-http)',
    ]);
  });
});

describe('parseConfigFile: server names', () => {
  it.each(['healthz', 'readyz', 'metrics', 'docs', 'openapi.json', 'mcp', 'sse', 'messages'])(
    'refuses the reserved name %j',
    (name) => {
      const path = name.includes('.') ? `mcpServers[${JSON.stringify(name)}]` : `mcpServers.${name}`;
      expect(serverProblems({ [name]: { command: 'x' } })).toEqual([
        `config.json: ${path}: server name "${name}" is reserved for a gateway route; choose another name`,
      ]);
    },
  );

  it.each([
    ['.hidden', 'mcpServers[".hidden"]'],
    ['has space', 'mcpServers["has space"]'],
    ['a/b', 'mcpServers["a/b"]'],
    ['', 'mcpServers[""]'],
    ['x'.repeat(65), `mcpServers.${'x'.repeat(65)}`],
    ['ünïcode', 'mcpServers["ünïcode"]'],
  ])('refuses the name %j', (name, path) => {
    expect(serverProblems({ [name]: { command: 'x' } })).toEqual([
      `config.json: ${path}: invalid server name ${JSON.stringify(name)}: use 1 to 64 letters, digits, "_", "-" or ".", not starting with "."`,
    ]);
  });

  it('refuses an entry that is not an object', () => {
    expect(serverProblems({ a: 'npx x', b: null, c: [] })).toEqual([
      'config.json: mcpServers.a: expected object, got string',
      'config.json: mcpServers.b: expected object, got null',
      'config.json: mcpServers.c: expected object, got array',
    ]);
  });
});

describe('parseConfigFile: later-release fields', () => {
  it('refuses "client_header_forwarding"', () => {
    expect(serverProblems({ x: { url: 'https://h/mcp', client_header_forwarding: {} } })).toEqual([
      'config.json: mcpServers.x.client_header_forwarding: not yet supported by this version of mcpgate',
    ]);
  });

  it('refuses it on disabled servers too', () => {
    expect(serverProblems({ a: { command: 'x' }, x: { url: 'https://h/', client_header_forwarding: true, disabled: true } })).toEqual([
      'config.json: mcpServers.x.client_header_forwarding: not yet supported by this version of mcpgate',
    ]);
  });
});

describe('parseConfigFile: "oauth"', () => {
  const url = 'https://h/mcp';
  it.each<[oauth: unknown, problem: string]>([
    [true, 'oauth: expected object, got boolean'],
    [{ server_url: 'h' }, 'oauth.server_url: must be an absolute http: or https: URL, got "h"'],
    [{ storage_type: 'disk' }, 'oauth.storage_type'],
    [{ callback_port: 0 }, 'oauth.callback_port: must be a port number from 1 to 65535, got 0'],
    [{ callback_port: 70000 }, 'oauth.callback_port: must be a port number from 1 to 65535, got 70000'],
    [{ callback_port: '3030' }, 'oauth.callback_port: expected number, got string'],
    [{ use_loopback: 'yes' }, 'oauth.use_loopback: expected boolean, got string'],
    [{ client_metadata: [] }, 'oauth.client_metadata: expected object, got array'],
    [{ client_metadata: { redirect_uris: 'http://127.0.0.1:3030/cb' } }, 'oauth.client_metadata.redirect_uris: expected array, got string'],
    [{ client_metadata_url: 'http://h/client.json' }, 'oauth.client_metadata_url: must be an https: URL with a path (a client ID metadata document), got "http://h/client.json"'],
    [{ grant_type: 'password' }, 'oauth.grant_type'],
    [{ grant_type: 'client_credentials', client_id: 'id' }, 'oauth.client_secret: is required with "grant_type": "client_credentials"'],
    [{ grant_type: 'client_credentials', client_secret: 's' }, 'oauth.client_id: is required with "grant_type": "client_credentials"'],
    [{ client_secret: 's' }, 'oauth.client_secret: needs "client_id" (the client the secret belongs to)'],
    [
      { client_metadata: { redirect_uris: ['https://gateway.example.com/callback'] } },
      'oauth.client_metadata.redirect_uris[0]: must be a loopback address such as "http://127.0.0.1:3030/callback", where mcpgate can receive the authorization; got "https://gateway.example.com/callback"',
    ],
  ])('%j', (oauth, problem) => {
    const problems = serverProblems({ x: { url, oauth } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`config.json: mcpServers.x.${problem}`);
  });

  it('is only for HTTP servers', () => {
    expect(serverProblems({ x: { command: 'server', oauth: {} } })).toEqual([
      'config.json: mcpServers.x.oauth: is only for HTTP servers ("url"); a stdio server gets its credentials from "env"',
    ]);
  });

  it('cannot be combined with credentials in the URL', () => {
    expect(serverProblems({ x: { url: 'https://u:p@h/mcp', oauth: {} } })).toEqual([
      'config.json: mcpServers.x.url: cannot hold credentials (user:password@) with "oauth", which sends its own Authorization header',
    ]);
  });

  it('cannot be combined with a static Authorization header', () => {
    expect(serverProblems({ x: { url, headers: { authorization: 'Bearer t' }, oauth: {} } })).toEqual([
      'config.json: mcpServers.x.headers.authorization: cannot be used with "oauth", which sends its own Authorization header',
    ]);
  });
});

describe('parseConfigFile: "hooks" and "auditLog"', () => {
  /** The problems reported for a valid one-server file with these top-level fields added. */
  function topLevelProblems(fields: Record<string, unknown>): string[] {
    return problemsFor(JSON.stringify({ mcpServers: { a: { command: 'x' } }, ...fields }));
  }

  it.each<[fields: Record<string, unknown>, ...problems: string[]]>([
    [{ hooks: './hook.mjs' }, 'config.json: hooks: expected array, got string'],
    [{ hooks: null }, 'config.json: hooks: expected array, got null'],
    [{ hooks: ['./a.mjs', 1, true] }, 'config.json: hooks[1]: expected string, got number', 'config.json: hooks[2]: expected string, got boolean'],
    [{ hooks: [{ path: './a.mjs' }] }, 'config.json: hooks[0]: expected string, got object'],
    [{ hooks: ['./a.mjs', ''] }, 'config.json: hooks[1]: must not be empty'],
    [{ port: '8000' }, 'config.json: port: expected number, got string'],
    [{ port: 70000 }, 'config.json: port: expected a port number from 0 to 65535, got 70000'],
    [{ port: 80.5 }, 'config.json: port: expected a port number from 0 to 65535, got 80.5'],
    [{ host: '' }, 'config.json: host: must not be empty'],
    [{ host: 127 }, 'config.json: host: expected string, got number'],
    [{ auditLog: './audit.jsonl' }, 'config.json: auditLog: expected object, got string'],
    [{ auditLog: [] }, 'config.json: auditLog: expected object, got array'],
    [{ auditLog: null }, 'config.json: auditLog: expected object, got null'],
    [{ auditLog: {} }, 'config.json: auditLog.path: required string is missing'],
    [{ auditLog: { includeArguments: true } }, 'config.json: auditLog.path: required string is missing'],
    [{ auditLog: { path: 5 } }, 'config.json: auditLog.path: expected string, got number'],
    [{ auditLog: { path: '' } }, 'config.json: auditLog.path: must not be empty'],
    [{ auditLog: { path: 'a.jsonl', includeArguments: 'yes' } }, 'config.json: auditLog.includeArguments: expected boolean, got string'],
    [
      { auditLog: { path: 'a.jsonl', file: 'b.jsonl', mask: false } },
      'config.json: auditLog.file: unknown field (known: path, includeArguments)',
      'config.json: auditLog.mask: unknown field (known: path, includeArguments)',
    ],
  ])('%j', (fields, ...problems) => {
    expect(topLevelProblems(fields)).toEqual(problems);
  });

  it('keeps an expanded ${VAR} a string, so "includeArguments" reports its type', () => {
    const text = '{"mcpServers": {"a": {"command": "x"}}, "auditLog": {"path": "a.jsonl", "includeArguments": "${ARGS}"}}';
    expect(problemsFor(text, { ARGS: 'true' })).toEqual(['config.json: auditLog.includeArguments: expected boolean, got string']);
  });

  it('reports them together with the problems of the servers', () => {
    expect(problemsFor('{"hooks": [1], "auditLog": {"path": 2}, "mcpServers": {"a": {}}}')).toEqual([
      'config.json: hooks[0]: expected string, got number',
      'config.json: auditLog.path: expected string, got number',
      'config.json: mcpServers.a: must have either "command" (stdio) or "url" (sse, streamable-http)',
    ]);
    // A missing or empty "mcpServers" does not hide them either.
    expect(problemsFor('{"hooks": "x"}')).toEqual([
      'config.json: hooks: expected array, got string',
      'config.json: mcpServers: missing: the file must have an "mcpServers" object',
    ]);
  });
});

describe('parseConfigFile: several problems', () => {
  it('reports all of them, one per line, in one error', () => {
    const text = `{
      "hooks": ["./a.mjs", 7],
      "mcpServers": {
        "time": { "command": "uvx", "args": ["x", 5], "timeout": 0 },
        "mcp": { "url": "http://h/mcp" },
        "api": { "url": "https://h/mcp", "headers": { "Authorization": "Bearer \${API_TOKEN}" } },
        "both": { "command": "x", "url": "http://h/" },
        "ok": { "command": "x" },
      },
    }`;
    const error = configError(() => parseConfigFile(text, 'config.json', options));
    const problems = problemsOf(error);
    expect(problems).toEqual([
      'config.json: mcpServers.api.headers.Authorization: environment variable API_TOKEN is not set (write ${API_TOKEN:-value} to give a default)',
      'config.json: hooks[1]: expected string, got number',
      'config.json: mcpServers.time.args[1]: expected string, got number',
      'config.json: mcpServers.time.timeout: must be a positive number, got 0',
      'config.json: mcpServers.mcp: server name "mcp" is reserved for a gateway route; choose another name',
      'config.json: mcpServers.both: has both "command" and "url"; give "command" for a stdio server or "url" for an HTTP one',
    ]);
    expect(error.message).toBe(problems.join('\n'));
    expect(error.message.split('\n')[0]).toBe(problems[0]);
  });

  it('uses the file label it is given', () => {
    expect(() => parseConfigFile('{"mcpServers": {"a": {}}}', '/etc/mcpgate/servers.json', options)).toThrow(
      /^\/etc\/mcpgate\/servers\.json: mcpServers\.a: must have either/,
    );
  });
});
