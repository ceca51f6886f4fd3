/**
 * The `mcpgate` command refusing what it cannot run: bad config files and bad flags exit with 2
 * at once, say what is wrong on stderr, and never write to stdout (reserved for the protocol).
 * Plus `--help` and `--version`.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/options.js';
import {
  fixture,
  repoRoot,
  runCli,
  startCli,
  useCliLifecycle,
  type CliOutcome,
  type CliProcess,
} from './run-cli.js';

const temp = useCliLifecycle();

/** Exit 2, nothing on stdout, and stderr says `expected` (each pattern must match). */
function expectUsageFailure(outcome: CliOutcome, ...expected: Array<string | RegExp>): void {
  const context = outcome.cli.transcript();
  expect(outcome.signal, context).toBeNull();
  expect(outcome.code, context).toBe(2);
  expect(outcome.stdout, context).toBe('');
  for (const pattern of expected) {
    if (typeof pattern === 'string') expect(outcome.stderr, context).toContain(pattern);
    else expect(outcome.stderr, context).toMatch(pattern);
  }
  // A refused start never gets as far as the logger.
  expect(outcome.stderr, context).not.toContain('mcpgate listening on');
}

/** Writes `text` as `<temp>/<dir>/config.json` and runs `mcpgate --config config.json` from that directory. */
async function runWithConfig(dir: string, text: string | undefined, extraArgs: string[] = []): Promise<CliOutcome> {
  const cwd = join(temp.dir, dir);
  await mkdir(cwd, { recursive: true });
  if (text !== undefined) await writeFile(join(cwd, 'config.json'), text, 'utf8');
  return runCli(['--port', '0', '--config', 'config.json', ...extraArgs], { cwd });
}

describe.concurrent('config file errors exit with 2, naming the file, the JSON path and the problem', () => {
  it('a missing file', async () => {
    const outcome = await runWithConfig('missing', undefined);
    expectUsageFailure(outcome, 'mcpgate: config.json: cannot read file: ENOENT');
  });

  it('a JSON syntax error, with line:column', async () => {
    const outcome = await runWithConfig('syntax', '{\n  "mcpServers": {\n    "time": { "command": "x" "args": [] }\n  }\n}\n');
    expectUsageFailure(outcome, /mcpgate: config\.json:3:\d+: JSON syntax error: comma expected/);
  });

  it('a number where a string argument is expected', async () => {
    const outcome = await runWithConfig('args-type', '{"mcpServers": {"time": {"command": "uvx", "args": [1]}}}');
    expectUsageFailure(outcome, 'config.json: mcpServers.time.args[0]: expected string, got number');
  });

  it('no "mcpServers"', async () => {
    const outcome = await runWithConfig('no-servers', '{"servers": {}}');
    expectUsageFailure(outcome, 'config.json: mcpServers: missing: the file must have an "mcpServers" object');
  });

  it('a server with neither command nor url', async () => {
    const outcome = await runWithConfig('no-command', '{"mcpServers": {"time": {"args": ["x"]}}}');
    expectUsageFailure(outcome, 'config.json: mcpServers.time: must have either "command" (stdio) or "url"');
  });

  it('an unset ${VAR}', async () => {
    const outcome = await runWithConfig(
      'unset-var',
      '{"mcpServers": {"api": {"url": "http://127.0.0.1:9/mcp", "headers": {"Authorization": "Bearer ${NOPE_UNSET_VAR}"}}}}',
    );
    expectUsageFailure(
      outcome,
      'config.json: mcpServers.api.headers.Authorization: environment variable NOPE_UNSET_VAR is not set',
    );
  });

  it('an "oauth" field on a stdio server, and a client_credentials grant without its secret', async () => {
    const outcome = await runWithConfig(
      'oauth',
      '{"mcpServers": {"local": {"command": "x", "oauth": {}}, "api": {"url": "http://127.0.0.1:9/mcp", "oauth": {"grant_type": "client_credentials", "client_id": "x"}}}}',
    );
    expectUsageFailure(
      outcome,
      'config.json: mcpServers.local.oauth: is only for HTTP servers',
      'config.json: mcpServers.api.oauth.client_secret: is required with "grant_type": "client_credentials"',
    );
  });

  it('a "client_header_forwarding" field (not yet supported)', async () => {
    const outcome = await runWithConfig('forwarding', '{"mcpServers": {"api": {"url": "http://127.0.0.1:9/mcp", "client_header_forwarding": {"enabled": true}}}}');
    expectUsageFailure(outcome, 'config.json: mcpServers.api.client_header_forwarding: not yet supported');
  });

  it('every problem of the file at once, one line each', async () => {
    const outcome = await runWithConfig(
      'several',
      '{"mcpServers": {"a": {"command": "x", "args": [1]}, "b": {"args": []}, "c": {"command": "y", "timeout": -1}}}',
    );
    expectUsageFailure(
      outcome,
      'mcpgate: config.json: mcpServers.a.args[0]: expected string, got number\n',
      'mcpgate: config.json: mcpServers.b: must have either "command"',
      'mcpgate: config.json: mcpServers.c.timeout: must be a positive number, got -1',
    );
  });
});

describe.concurrent('hooks and the audit log: bad paths and combinations exit with 2', () => {
  it('a --hook that does not exist, resolved against the working directory', async () => {
    const cwd = join(temp.dir, 'hook-flag');
    await mkdir(cwd, { recursive: true });
    await writeFile(join(cwd, 'present.mjs'), 'export default {};\n', 'utf8');
    const outcome = await runCli(['--port', '0', '--hook', 'present.mjs', '--hook', './hooks/absent.mjs', '--', 'node', 'server.js'], { cwd });
    expectUsageFailure(outcome, `mcpgate: --hook: file not found: ${join(cwd, 'hooks', 'absent.mjs')}\n`);
    expect(outcome.stderr).not.toContain('present.mjs');
  });

  it('a --hook module that cannot be loaded: exit 2 naming it, before any child is started', async () => {
    const cwd = join(temp.dir, 'hook-broken');
    await mkdir(cwd, { recursive: true });
    await writeFile(join(cwd, 'broken.mjs'), 'export default { onToolcall: () => () => undefined };\n', 'utf8');
    const outcome = await runCli(['--port', '0', '--hook', 'broken.mjs', '--', 'node', 'never-started.js'], { cwd });
    expectUsageFailure(outcome, `mcpgate: hook module ${join(cwd, 'broken.mjs')}: hook "broken.mjs" has an unknown member "onToolcall"`);
  });

  it('a config file\'s hook that does not exist, resolved against the file\'s directory', async () => {
    const outcome = await runWithConfig('hook-file', '{"hooks": ["./gone.mjs"], "mcpServers": {"a": {"command": "x"}}}');
    expectUsageFailure(outcome, `mcpgate: config.json: hooks[0]: file not found: ${join(temp.dir, 'hook-file', 'gone.mjs')}`);
  });

  it('wrong types of "hooks" and "auditLog"', async () => {
    const outcome = await runWithConfig(
      'hook-types',
      '{"hooks": ["a.mjs", 3], "auditLog": {"path": true, "rotate": 1}, "mcpServers": {"a": {"command": "x"}}}',
    );
    expectUsageFailure(
      outcome,
      'mcpgate: config.json: hooks[1]: expected string, got number\n',
      'mcpgate: config.json: auditLog.rotate: unknown field (known: path, includeArguments)\n',
      'mcpgate: config.json: auditLog.path: expected string, got boolean\n',
    );
  });

  it('an "auditLog" in a directory that does not exist', async () => {
    const outcome = await runWithConfig('audit-dir', '{"auditLog": {"path": "logs/audit.jsonl"}, "mcpServers": {"a": {"command": "x"}}}');
    expectUsageFailure(outcome, `mcpgate: config.json: auditLog.path: directory not found: ${join(temp.dir, 'audit-dir', 'logs')}`);
  });

  it('--audit-log in a directory that does not exist', async () => {
    const outcome = await runCli(['--port', '0', '--audit-log', join(temp.dir, 'nowhere', 'audit.jsonl'), '--', 'node', 'server.js']);
    expectUsageFailure(outcome, `mcpgate: --audit-log: directory not found: ${join(temp.dir, 'nowhere')}`);
  });

  it('--audit-log-arguments without an audit log', async () => {
    expectUsageFailure(
      await runCli(['--port', '0', '--audit-log-arguments', '--', 'node', 'server.js']),
      'mcpgate: --audit-log-arguments needs an audit log: give --audit-log <file>\n',
    );
    expectUsageFailure(
      await runWithConfig('audit-arguments', '{"mcpServers": {"a": {"command": "x"}}}', ['--audit-log-arguments']),
      'mcpgate: --audit-log-arguments needs an audit log: give --audit-log <file> (or "auditLog" in config.json)',
    );
  });
});

describe.concurrent('bad command lines exit with 2', () => {
  it('--port abc', async () => {
    expectUsageFailure(await runCli(['--port', 'abc']), '--port', '"abc"');
  });

  it('--log-level loud', async () => {
    expectUsageFailure(await runCli(['--port', '0', '--log-level', 'loud']), '--log-level', '"loud"');
  });

  it("--header 'not json'", async () => {
    expectUsageFailure(
      await runCli(['--port', '0', '--header', 'not json', '--', 'http://127.0.0.1:9/mcp']),
      '--header: not valid JSON',
    );
  });

  it('an unknown flag', async () => {
    expectUsageFailure(await runCli(['--port', '0', '--frobnicate']), "unknown option '--frobnicate'");
  });

  it('--config together with a server command', async () => {
    expectUsageFailure(
      await runCli(['--port', '0', '--config', 'x.json', '--', 'node', 'server.js']),
      'give either --config or a server command, not both',
    );
  });

  it('-e without a value', async () => {
    expectUsageFailure(await runCli(['--port', '0', '-e', 'LONELY', '--', 'node', 'server.js']), '--env', 'LONELY');
  });

  it('--env-path naming a missing file', async () => {
    expectUsageFailure(await runCli(['--port', '0', '--env-path', join(temp.dir, 'no-such.env')]), '--env-path: cannot read');
  });
});

/** Whether the CLI exits first (as a refused command line should) or starts listening. */
async function exitsOrListens(cli: CliProcess): Promise<'exited' | 'listening'> {
  return Promise.race([
    cli.waitForExit(15_000).then(() => 'exited' as const),
    cli.waitForListening(15_000).then(
      () => 'listening' as const,
      // waitForListening rejects when the process exits first; the exit wins the race then.
      () => new Promise<never>(() => undefined),
    ),
  ]);
}

describe.concurrent('the server type flag', () => {
  const envServer = fixture('cli-env-server.mjs');

  it('--transport (mcp-proxy spelling) with an unknown type exits with 2', async ({ task }) => {
    const cli = startCli(['--port', '0', '--transport', 'bogus', '--', process.execPath, envServer], { owner: task });
    expect(await exitsOrListens(cli), cli.transcript()).toBe('exited');
    const exit = await cli.waitForExit();
    expectUsageFailure(
      { ...exit, stdout: cli.stdout, stderr: cli.stderr, cli },
      '--server-type: expected stdio, sse or streamable-http, got "bogus"',
    );
  });

  it.for(['--server-type', '--type'])('%s with an unknown type exits with 2', async (flag, { task }) => {
    const cli = startCli(['--port', '0', flag, 'bogus', '--', process.execPath, envServer], { owner: task });
    expect(await exitsOrListens(cli), cli.transcript()).toBe('exited');
    expect(cli.stderr).toContain('--server-type: expected stdio, sse or streamable-http, got "bogus"');
  });
});

describe.concurrent('REST flags with bad values exit with 2', () => {
  it.each([
    [['--strict-auth'], '--strict-auth needs an API key: --api-key, --api-key-file or MCPGATE_API_KEYS'],
    [['--api-key', ' '], '--api-key: the key is empty'],
    [['--max-body-size', 'lots'], '--max-body-size: expected a number of bytes (1 or more), got "lots"'],
    [['--max-body-size', '0'], '--max-body-size: expected a number of bytes'],
  ])('%j', async (args, message) => {
    const outcome = await runCli(['--port', '0', ...args]);
    expectUsageFailure(outcome, message);
  });
});

describe.concurrent('MCP frontend flags with bad values exit with 2', () => {
  const hostHelp = 'expected a host name or IP address, optionally with :port';
  it.each<[args: string[], ...messages: string[]]>([
    [['--allowed-hosts', 'http://gateway.lan'], `--allowed-hosts: ${hostHelp}`, 'got "http://gateway.lan"'],
    [['--allowed-hosts', 'gateway.lan,bad host'], `--allowed-hosts: ${hostHelp}`, 'got "bad host"'],
    [['--allowed-hosts', 'ok.lan', '--allowed-hosts', 'x:99999'], `--allowed-hosts: ${hostHelp}`, 'got "x:99999"'],
    [['--allowed-hosts', '::1'], `--allowed-hosts: ${hostHelp}`, 'got "::1"'],
    [['--session-idle-timeout', '-1'], '--session-idle-timeout: expected a number of seconds from 0 (never) to 2147483, got "-1"'],
    [['--session-idle-timeout', 'soon'], '--session-idle-timeout: expected a number of seconds', 'got "soon"'],
    [['--session-idle-timeout', '3000000'], '--session-idle-timeout: expected a number of seconds', 'got "3000000"'],
    [['--sharing', 'both'], '--sharing: expected shared or per-session, got "both"'],
    [['--sharing', 'per-session', '--max-sessions', '0'], '--max-sessions: expected a whole number of sessions (1 or more), got "0"'],
    [['--sharing', 'per-session', '--max-sessions', '2.5'], '--max-sessions: expected a whole number of sessions (1 or more), got "2.5"'],
  ])('%j', async (args, ...messages) => {
    expectUsageFailure(await runCli(['--port', '0', ...args]), ...messages);
  });

  it.each([
    [['--sharing', 'per-session'], '--sharing applies to a single server given on the command line; set "sharing" per server in config.json'],
    [['--max-sessions', '4'], '--max-sessions applies to a single server given on the command line; set "maxSessions" per server in config.json'],
  ])('%j with --config', async (args, message) => {
    const outcome = await runWithConfig(`sharing-${args[0]!.slice(2)}`, '{"mcpServers": {"a": {"command": "x"}}}', args);
    expectUsageFailure(outcome, message);
  });

  it('a bad "sharing" or "maxSessions" in the config file', async () => {
    const outcome = await runWithConfig(
      'sharing-file',
      '{"mcpServers": {"x": {"command": "x", "sharing": "foo"}, "y": {"command": "y", "sharing": "per-session", "maxSessions": 0}}}',
    );
    expectUsageFailure(
      outcome,
      'config.json: mcpServers.x.sharing: must be one of "shared", "per-session", got "foo"',
      'config.json: mcpServers.y.maxSessions: must be a positive whole number, got 0',
    );
  });
});

describe.concurrent('--help and --version', () => {
  it('--help exits 0 and documents every flag and the 127.0.0.1 default', async () => {
    const outcome = await runCli(['--help']);
    expect(outcome.code, outcome.cli.transcript()).toBe(0);
    expect(outcome.stderr).toBe('');
    // Every long flag declared, read from the program itself so this list cannot go stale.
    const longFlags = createProgram()
      .options.filter((option) => !option.hidden)
      .flatMap((option) => option.flags.split(/[ ,|]+/).filter((part) => part.startsWith('--')));
    expect(longFlags.length).toBeGreaterThan(20);
    for (const flag of longFlags) expect(outcome.stdout, `--help should mention ${flag}`).toContain(flag);
    expect(outcome.stdout).toContain('--help');
    expect(outcome.stdout).toMatch(/mcpgate binds 127\.0\.0\.1/);
    expect(outcome.stdout).toContain('--host 0.0.0.0');
  });

  it('--version alone prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const outcome = await runCli(['--version']);
    expect(outcome.code, outcome.cli.transcript()).toBe(0);
    expect(outcome.stderr).toBe('');
    expect(outcome.stdout.trim()).toBe(`mcpgate ${version}`);
  });
});
