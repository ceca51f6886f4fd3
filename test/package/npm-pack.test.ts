/**
 * The package as npm publishes it: `npm pack` the repository (which runs `prepack`, the build),
 * install the tarball into a fresh ESM project, then use it there as a user would:
 *
 * - a plain `.mjs` script imports `createGateway`, `auditLog` and `GatewayError` from 'mcpgate',
 *   starts a gateway on port 0 with a stdio server and hooks, calls tools over REST, and prints
 *   what it saw as JSON;
 * - the installed `mcpgate` command prints its version;
 * - a `.ts` file using the hook types is type-checked with this repository's TypeScript, with
 *   `skipLibCheck: false`, so the published declarations (and those they import) must compile.
 *
 * Needs the npm registry (or npm's cache, which `npm ci` fills) for the dependencies.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const restFixturePath = join(repoRoot, 'test/fixtures/rest-fixture-server.mjs');
const tscPath = join(repoRoot, 'node_modules/typescript/bin/tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const repoPackage = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
/** The @types/node the repository develops with: already in npm's cache after `npm ci`. */
const typesNodeVersion = (JSON.parse(await readFile(join(repoRoot, 'node_modules/@types/node/package.json'), 'utf8')) as { version: string }).version;

/**
 * The variables `npm test` gives the scripts it runs (this package's name and version, the
 * lifecycle, `npm_config_local_prefix` pointing at the repository, …) must not reach the npm runs
 * in the fresh project; those that say how to reach the registry may. Upper-case `NPM_CONFIG_*`
 * set by the user are kept as they are.
 */
const KEEP_NPM_VARIABLE = /^npm_config_(?:.*registry.*|cache|userconfig|globalconfig|cafile|ca|proxy|https?_proxy|noproxy|strict_ssl|.*_auth.*|.*authtoken.*)$/;

interface Run {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; rejects with everything it printed when it fails or outlives `timeoutMs`. */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/.test(name) || KEEP_NPM_VARIABLE.test(name)));
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${error.message}\n--- stdout:\n${stdout}\n--- stderr:\n${stderr}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/** What the script below prints. */
interface Summary {
  exports: Record<string, string>;
  structured: { status: number; body: unknown };
  refused: { status: number; body: unknown };
  seen: Array<{ server: string; tool: string; arguments: unknown; frontend: string }>;
  started: { servers: string[]; url: boolean };
  closed: boolean;
  audit: Array<Record<string, unknown>>;
}

/** Uses the installed package as a user's program would; argv: the fixture server, the audit log's path. */
const SCRIPT = `
import { readFile } from 'node:fs/promises';
import { createGateway, auditLog, GatewayError } from 'mcpgate';

const [fixture, auditPath] = process.argv.slice(2);
const seen = [];
let started;
let closed = false;
const probe = {
  name: 'probe',
  onStart(info) {
    started = { servers: info.servers, url: /^http:\\/\\/127\\.0\\.0\\.1:\\d+$/.test(info.url) };
  },
  onClose() {
    closed = true;
  },
  onToolCall: (next) => async (call, context) => {
    seen.push({ server: call.server, tool: call.tool, arguments: call.arguments, frontend: context.frontend });
    if (call.tool === 'text_plain') throw new GatewayError('FORBIDDEN', 'text_plain is not for you');
    return next({ ...call, arguments: { ...call.arguments, city: call.arguments.city.toUpperCase() } }, context);
  },
};

const gateway = createGateway(
  {
    mode: 'single',
    upstreams: [{
      name: 'fixture', transport: 'stdio', command: process.execPath, args: [fixture],
      env: {}, cwd: undefined, passEnvironment: false, timeoutMs: 30000, disabledTools: [], enabledTools: undefined,
    }],
    disabledUpstreams: [], configPath: undefined, host: '127.0.0.1', port: 0, logLevel: 'info', info: {},
  },
  { hooks: [auditLog({ path: auditPath }), probe] },
);
const { url } = await gateway.start();
await gateway.whenSettled();

async function post(tool, body) {
  const response = await fetch(url + '/' + tool, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}
const structured = await post('structured', { city: 'Oslo' });
const refused = await post('text_plain', {});
await gateway.close();

const audit = (await readFile(auditPath, 'utf8')).trim().split('\\n').map((line) => JSON.parse(line));
const exports = { createGateway: typeof createGateway, auditLog: typeof auditLog, GatewayError: typeof GatewayError };
process.stdout.write(JSON.stringify({ exports, structured, refused, seen, started, closed, audit }) + '\\n');
`;

/** Uses the hook types; the @ts-expect-error lines fail the check if the types were missing (any) or too loose. */
const TYPED_HOOK = `
import type { Hook, HookContext, ToolCall, ToolResult, GatewayConfig } from 'mcpgate';
import { createGateway, GatewayError, auditLog } from 'mcpgate';

export const policy: Hook = {
  name: 'policy',
  allowTool: (server: string, tool: string) => !(server === 'fs' && tool === 'write_file'),
  onClientMessage: (next) => (message, context) => {
    if ('method' in message && message.method === 'ping') return { result: {} };
    return next(message, context);
  },
  onToolCall: (next) => async (call: ToolCall, context: HookContext): Promise<ToolResult> => {
    if (context.frontend === 'rest' && call.tool === 'delete') throw new GatewayError('FORBIDDEN', 'not over REST');
    return next({ ...call, arguments: { ...call.arguments, caller: context.caller.address ?? null } }, context);
  },
};

const config: GatewayConfig = {
  mode: 'single',
  upstreams: [{
    name: 'demo', transport: 'stdio', command: 'node', args: ['server.js'],
    env: {}, cwd: undefined, passEnvironment: false, timeoutMs: 1000, disabledTools: [], enabledTools: undefined,
  }],
  disabledUpstreams: [], configPath: undefined, host: '127.0.0.1', port: 0, logLevel: 'info', info: {},
};
export const gateway = createGateway(config, { hooks: [auditLog({ path: 'audit.jsonl' }), policy] });

// @ts-expect-error not an error code of mcpgate
new GatewayError('NOT_A_CODE', 'x');
// @ts-expect-error a hook has no such member
export const misspelt: Hook = { onToolcall: () => undefined };
export const frontend: HookContext['frontend'] = 'rest';
// @ts-expect-error not a frontend
export const wrongFrontend: HookContext['frontend'] = 'grpc';
`;

const TSCONFIG = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  },
  files: ['typed-hook.ts'],
};

let workDir = '';
let appDir = '';

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'mcpgate-pack-'));
  appDir = join(workDir, 'app');
  await mkdir(appDir);

  const packed = await run(npm, ['pack', '--json', '--pack-destination', workDir], repoRoot, 180_000);
  // The JSON array is the last thing on stdout (the build's own output may come before it).
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[\n'))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const tarball = join(workDir, info!.filename);
  expect(info!.files.map((file) => file.path)).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/bin.js']));

  await writeFile(join(appDir, 'package.json'), JSON.stringify({ name: 'mcpgate-pack-check', version: '1.0.0', private: true, type: 'module' }, null, 2));
  // --ignore-scripts: dependencies' install scripts (swagger-ui-dist's telemetry) need not run.
  const flags = ['--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'];
  await run(npm, ['install', tarball, ...flags], appDir, 180_000);
  // A TypeScript user of a Node library has Node's types; the version the repository uses is cached.
  await run(npm, ['install', '--save-dev', `@types/node@${typesNodeVersion}`, ...flags], appDir, 120_000);
}, 300_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the packed package, installed in a fresh project', () => {
  it('runs a gateway with hooks from a plain ESM script importing mcpgate', async () => {
    await writeFile(join(appDir, 'use-gateway.mjs'), SCRIPT);
    const auditPath = join(workDir, 'audit.jsonl');
    const { stdout } = await run(process.execPath, ['use-gateway.mjs', restFixturePath, auditPath], appDir, 60_000);
    const summary = JSON.parse(stdout) as Summary;

    expect(summary.exports).toEqual({ createGateway: 'function', auditLog: 'function', GatewayError: 'function' });
    expect(summary.started).toEqual({ servers: ['fixture'], url: true });
    // The hook changed the arguments; the fixture answers with what it received.
    expect(summary.structured).toEqual({ status: 200, body: { city: 'OSLO', temperature: 21 } });
    // The package's GatewayError is the gateway's own: a refusal, 403 over REST.
    expect(summary.refused).toEqual({ status: 403, body: { detail: { message: 'text_plain is not for you', code: 'FORBIDDEN' } } });
    expect(summary.seen).toEqual([
      { server: 'fixture', tool: 'structured', arguments: { city: 'Oslo' }, frontend: 'rest' },
      { server: 'fixture', tool: 'text_plain', arguments: {}, frontend: 'rest' },
    ]);
    expect(summary.closed).toBe(true);
    expect(summary.audit).toEqual([
      expect.objectContaining({ server: 'fixture', tool: 'structured', outcome: 'ok' }),
      expect.objectContaining({ server: 'fixture', tool: 'text_plain', outcome: 'error', error: { code: 'FORBIDDEN', message: 'text_plain is not for you' } }),
    ]);
  }, 60_000);

  it('installs the mcpgate command', async () => {
    const { stdout } = await run(join(appDir, 'node_modules/.bin/mcpgate'), ['--version'], appDir, 30_000);
    expect(stdout.trim()).toBe(`mcpgate ${repoPackage.version}`);
  }, 30_000);

  it('type-checks a TypeScript hook against the published declarations (strict, nodenext, skipLibCheck off)', async () => {
    await writeFile(join(appDir, 'typed-hook.ts'), TYPED_HOOK);
    await writeFile(join(appDir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    await run(process.execPath, [tscPath, '-p', 'tsconfig.json'], appDir, 150_000);
  }, 150_000);
});
