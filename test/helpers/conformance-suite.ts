/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`) for the tests: installed
 * once, with the Node 22 it needs, into `node_modules/.cache`, then run as a child process against
 * a URL; its per-scenario `checks.json` files are read back into pass/fail results.
 *
 * The suite needs Node ≥ 22 and the project runs on Node 20, so it gets its own Node from npm
 * (the `node` package) next to it, never as a project dependency: `node_modules/.bin/node` would
 * then change which node runs everything. What is installed is pinned, lock file included, by
 * `test/conformance-suite/`; the cache directory is named after the hash of those two files, so a
 * second run reuses it and a changed pin installs afresh.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const pinsDir = join(repoRoot, 'test/conformance-suite');
const cacheRoot = join(repoRoot, 'node_modules/.cache/mcpgate-conformance');
const pinFiles = ['package.json', 'package-lock.json'];

export interface ConformanceSuite {
  /** The Node 22 binary the suite runs on. */
  node: string;
  /** The suite's CLI script. */
  cli: string;
}

/** A written marker: the install in this directory completed (a killed install leaves none). */
const COMPLETE = '.complete';

function suiteIn(dir: string): ConformanceSuite {
  return {
    node: join(dir, 'node_modules/.bin/node'),
    cli: join(dir, 'node_modules/@modelcontextprotocol/conformance/dist/index.js'),
  };
}

/**
 * Installs the pinned suite unless it already is, and returns how to run it. Safe against a
 * concurrent run doing the same: each installs into a directory of its own and renames it into
 * place; the loser removes its copy and uses the winner's.
 */
export async function ensureConformanceSuite(): Promise<ConformanceSuite> {
  const hash = createHash('sha256');
  for (const name of pinFiles) hash.update(await readFile(join(pinsDir, name)));
  const dir = join(cacheRoot, hash.digest('hex').slice(0, 16));
  if (existsSync(join(dir, COMPLETE))) return suiteIn(dir);

  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  for (const name of pinFiles) await copyFile(join(pinsDir, name), join(partial, name));
  try {
    // The `node` package's install script fetches the platform's binary (allowed in package.json).
    await promisify(execFile)('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: partial,
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const suite = suiteIn(partial);
    const { stdout } = await promisify(execFile)(suite.node, ['--version']);
    if (!stdout.startsWith('v22.')) throw new Error(`the installed node is ${stdout.trim()}, not 22`);
    await writeFile(join(partial, COMPLETE), '');
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw new Error(`installing the conformance suite into ${partial} failed: ${(error as Error).message}`);
  }
  try {
    await rename(partial, dir);
  } catch (error) {
    // Another run got there first (or left a broken directory, which is replaced).
    if (!existsSync(join(dir, COMPLETE))) {
      await rm(dir, { recursive: true, force: true });
      await rename(partial, dir);
    } else {
      await rm(partial, { recursive: true, force: true });
    }
    if (!existsSync(join(dir, COMPLETE))) throw error;
  }
  return suiteIn(dir);
}

/** One scenario's outcome: it passed when no check failed (warnings do not fail it). */
export interface ScenarioResult {
  passed: boolean;
  /** `check id: message` of every failed check. */
  failures: string[];
}

export interface SuiteRun {
  /** Every scenario the suite ran, by name. */
  scenarios: Map<string, ScenarioResult>;
  /** The suite's console output, for a run that went wrong as a whole. */
  output: string;
}

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

/**
 * Runs every server scenario of `specVersion` (`--suite all`: pending ones included) against
 * `url` in one suite process, writing results under `outputDir`.
 */
export async function runServerScenarios(
  suite: ConformanceSuite,
  url: string,
  specVersion: string,
  outputDir: string,
): Promise<SuiteRun> {
  const args = [suite.cli, 'server', '--url', url, '--suite', 'all', '--spec-version', specVersion, '--output-dir', outputDir];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(suite.node, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.once('error', reject);
    // Exit code 1 only says that some scenario failed; the results say which.
    child.once('close', () => resolve(text));
  });

  // The scenarios the suite ran, in order; one without a checks.json failed to run at all.
  const ran = [...output.matchAll(/^=== Running scenario: (\S+) ===$/gm)].map((match) => match[1]!);
  if (ran.length === 0) throw new Error(`the conformance suite ran no scenario against ${url}:\n${output}`);
  const scenarios = new Map<string, ScenarioResult>(
    ran.map((name) => [name, { passed: false, failures: ['no results were written (the scenario could not run; see the suite output)'] }]),
  );
  // Result directories are named `server-<scenario>-<ISO timestamp with - for : and .>`.
  for (const entry of await readdir(outputDir)) {
    const name = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/.exec(entry)?.[1];
    const checksFile = join(outputDir, entry, 'checks.json');
    if (name === undefined || !existsSync(checksFile)) continue;
    const checks = JSON.parse(await readFile(checksFile, 'utf8')) as Check[];
    const failures = checks.filter((check) => check.status === 'FAILURE').map((check) => `${check.id}: ${check.errorMessage ?? '(no message)'}`);
    scenarios.set(name, { passed: checks.length > 0 && failures.length === 0, failures });
  }
  return { scenarios, output };
}

/** The names of the scenarios that passed. */
export function passedScenarios(run: SuiteRun): Set<string> {
  return new Set([...run.scenarios].filter(([, result]) => result.passed).map(([name]) => name));
}

/** `scenario: failure` lines for the named scenarios, for an assertion message. */
export function describeFailures(run: SuiteRun, names: Iterable<string>): string {
  return [...names]
    .map((name) => {
      const result = run.scenarios.get(name);
      if (!result) return `  ${name}: not run`;
      return result.failures.map((failure) => `  ${name}: ${failure}`).join('\n');
    })
    .join('\n');
}
