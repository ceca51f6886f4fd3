/**
 * `--hook`, `--audit-log` and `--audit-log-arguments`, and the config file's `"hooks"` and
 * `"auditLog"`, as they end up in the `GatewayConfig` the CLI builds: paths resolved (flags
 * against the working directory, the file's against its own directory), file hooks before flag
 * hooks, each audit-log field a flag sets winning over the file's, and the refusals. Also the
 * file's `"host"` and `"port"`, which the flags override.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildConfig, type BuiltConfig } from '../../src/cli/build-config.js';
import { parseCommandLine } from '../../src/cli/options.js';
import { GatewayError } from '../../src/errors.js';
import { useCliLifecycle } from './run-cli.js';

const temp = useCliLifecycle();

/** A stdio server command that is never started: buildConfig only describes it. */
const SERVER = ['--', 'node', 'server.js'];

function build(args: string[]): Promise<BuiltConfig> {
  return buildConfig(parseCommandLine(args), {});
}

/** The CONFIG_INVALID message buildConfig refuses `args` with. */
async function refusal(args: string[]): Promise<string> {
  const error = await build(args).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  expect((error as GatewayError).code).toBe('CONFIG_INVALID');
  return (error as GatewayError).message;
}

/** A path as the user would type it from this process's working directory (the repository root). */
const fromCwd = (path: string): string => relative(process.cwd(), path);

let confDir = '';
let hooksDir = '';

beforeAll(async () => {
  confDir = join(temp.dir, 'conf');
  hooksDir = join(temp.dir, 'flag-hooks');
  await mkdir(join(confDir, 'hooks'), { recursive: true });
  await mkdir(hooksDir, { recursive: true });
  await mkdir(join(temp.dir, 'logs'), { recursive: true });
  for (const file of [join(confDir, 'hooks', 'one.mjs'), join(confDir, 'two.mjs'), join(hooksDir, 'three.mjs'), join(hooksDir, 'four.mjs')]) {
    await writeFile(file, 'export default {};\n');
  }
});

/** Writes `<temp>/conf/<name>` with one server and these top-level fields; returns its path. */
async function configWith(name: string, fields: Record<string, unknown>): Promise<string> {
  const path = join(confDir, name);
  await writeFile(path, JSON.stringify({ ...fields, mcpServers: { a: { command: 'x' } } }));
  return path;
}

describe('neither hooks nor an audit log', () => {
  it('leaves both fields out, with a server command and with a config file', async () => {
    const single = await build(SERVER);
    expect(single.config).not.toHaveProperty('hookModules');
    expect(single.config).not.toHaveProperty('auditLog');
    const multi = await build(['--config', await configWith('plain.json', {})]);
    expect(multi.config).not.toHaveProperty('hookModules');
    expect(multi.config).not.toHaveProperty('auditLog');
  });
});

describe('--hook and "hooks"', () => {
  it('resolves each --hook against the working directory, in the order given', async () => {
    expect(isAbsolute(fromCwd(join(hooksDir, 'four.mjs')))).toBe(false);
    const { config } = await build(['--hook', fromCwd(join(hooksDir, 'four.mjs')), '--hook', join(hooksDir, 'three.mjs'), ...SERVER]);
    expect(config.hookModules).toEqual([join(hooksDir, 'four.mjs'), join(hooksDir, 'three.mjs')]);
  });

  it('puts the config file\'s hooks (relative to the file) before the --hook ones', async () => {
    const path = await configWith('hooks.json', { hooks: ['hooks/one.mjs', './two.mjs'] });
    const { config } = await build(['--hook', fromCwd(join(hooksDir, 'three.mjs')), '--config', fromCwd(path), '--hook', join(hooksDir, 'four.mjs')]);
    expect(config.hookModules).toEqual([
      join(confDir, 'hooks', 'one.mjs'),
      join(confDir, 'two.mjs'),
      join(hooksDir, 'three.mjs'),
      join(hooksDir, 'four.mjs'),
    ]);
    expect(config.mode).toBe('multi');
  });

  it('refuses a --hook that is missing or not a file, naming the flag and the resolved path', async () => {
    expect(await refusal(['--hook', fromCwd(join(hooksDir, 'nope.mjs')), ...SERVER])).toBe(`--hook: file not found: ${join(hooksDir, 'nope.mjs')}`);
    expect(await refusal(['--hook', fromCwd(hooksDir), ...SERVER])).toBe(`--hook: ${hooksDir} is a directory, not a module file`);
    expect(await refusal(['--hook', '', ...SERVER])).toBe('--hook: expected the path of a module file, got ""');
  });

  it('lists every missing --hook at once', async () => {
    const message = await refusal(['--hook', join(hooksDir, 'x.mjs'), '--hook', join(hooksDir, 'three.mjs'), '--hook', join(hooksDir, 'y.mjs'), ...SERVER]);
    expect(message.split('\n')).toEqual([`--hook: file not found: ${join(hooksDir, 'x.mjs')}`, `--hook: file not found: ${join(hooksDir, 'y.mjs')}`]);
  });

  it('refuses a config file whose hook is missing, naming the JSON path and the resolved path', async () => {
    const path = await configWith('missing-hook.json', { hooks: ['hooks/one.mjs', 'hooks/gone.mjs'] });
    expect(await refusal(['--config', path])).toBe(`${path}: hooks[1]: file not found: ${join(confDir, 'hooks', 'gone.mjs')}`);
  });
});

describe('--audit-log, --audit-log-arguments and "auditLog"', () => {
  it('takes --audit-log relative to the working directory; the file need not exist', async () => {
    const log = join(temp.dir, 'logs', 'single.jsonl');
    expect((await build(['--audit-log', fromCwd(log), ...SERVER])).config.auditLog).toEqual({ path: log, includeArguments: false });
    expect((await build(['--audit-log', log, '--audit-log-arguments', ...SERVER])).config.auditLog).toEqual({ path: log, includeArguments: true });
  });

  it('takes "auditLog" from the file, relative to the file', async () => {
    const path = await configWith('audit.json', { auditLog: { path: '../logs/file.jsonl', includeArguments: true } });
    expect((await build(['--config', path])).config.auditLog).toEqual({ path: join(temp.dir, 'logs', 'file.jsonl'), includeArguments: true });
  });

  it('lets --audit-log win over the file\'s path, keeping the file\'s "includeArguments"', async () => {
    const path = await configWith('audit-override.json', { auditLog: { path: '../logs/file.jsonl', includeArguments: true } });
    const log = join(temp.dir, 'logs', 'flag.jsonl');
    expect((await build(['--config', path, '--audit-log', fromCwd(log)])).config.auditLog).toEqual({ path: log, includeArguments: true });
  });

  it('lets --audit-log-arguments turn on "includeArguments" for the file\'s log', async () => {
    const path = await configWith('audit-arguments.json', { auditLog: { path: '../logs/file.jsonl' } });
    expect((await build(['--config', path])).config.auditLog?.includeArguments).toBe(false);
    expect((await build(['--config', path, '--audit-log-arguments'])).config.auditLog).toEqual({
      path: join(temp.dir, 'logs', 'file.jsonl'),
      includeArguments: true,
    });
  });

  it('refuses --audit-log-arguments without an audit log, naming --audit-log', async () => {
    expect(await refusal(['--audit-log-arguments', ...SERVER])).toBe('--audit-log-arguments needs an audit log: give --audit-log <file>');
    const path = await configWith('no-audit.json', {});
    expect(await refusal(['--config', path, '--audit-log-arguments'])).toBe(
      `--audit-log-arguments needs an audit log: give --audit-log <file> (or "auditLog" in ${path})`,
    );
  });

  it('refuses an --audit-log whose directory does not exist, or that is a directory', async () => {
    const log = join(temp.dir, 'no-such-dir', 'a.jsonl');
    expect(await refusal(['--audit-log', fromCwd(log), ...SERVER])).toBe(
      `--audit-log: directory not found: ${join(temp.dir, 'no-such-dir')} (the log file ${log} is created in it, the directory is not)`,
    );
    expect(await refusal(['--audit-log', join(temp.dir, 'logs'), ...SERVER])).toBe(
      `--audit-log: ${join(temp.dir, 'logs')} is a directory; give the path of the log file`,
    );
  });
});

describe('--stdio', () => {
  it('takes the hook and audit-log flags as the HTTP frontends do', async () => {
    const hook = join(hooksDir, 'three.mjs');
    const audit = join(temp.dir, 'logs', 'stdio.jsonl');
    const built = await build(['--stdio', '--hook', fromCwd(hook), '--audit-log', audit, '--audit-log-arguments', '--', 'https://example.com/mcp']);
    expect(built.stdio).toBe(true);
    expect(built.config.hookModules).toEqual([hook]);
    expect(built.config.auditLog).toEqual({ path: audit, includeArguments: true });
  });
});

describe('"host" and "port" in the config file', () => {
  it('apply when the command line does not say, and the flags win when it does', async () => {
    const path = await configWith('listen.json', { host: '0.0.0.0', port: 9123 });
    expect((await build(['--config', path])).config).toMatchObject({ host: '0.0.0.0', port: 9123 });
    expect((await build(['--config', path, '--host', '127.0.0.2', '--port', '0'])).config).toMatchObject({ host: '127.0.0.2', port: 0 });
    const bare = await configWith('bare.json', {});
    expect((await build(['--config', bare])).config).toMatchObject({ host: '127.0.0.1', port: 8000 });
    expect((await build(SERVER)).config).toMatchObject({ host: '127.0.0.1', port: 8000 });
  });
});
