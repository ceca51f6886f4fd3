/**
 * `npm run bench`: what the gateway's paths cost, measured against calling the same MCP server
 * directly, in one run on one machine.
 *
 * - direct: an SDK client in this process, over stdio, to `node dist/demo/main.js`;
 * - REST: `dist/cli/bin.js` (the built gateway executable, plain Node) serving the same demo server,
 *   loaded with autocannon `POST /echo`;
 * - the bridge: `tools/call` through the gateway's `/mcp` (one session; one session per caller;
 *   the SDK client on one session) and `/sse`, each path with a gateway of its own;
 * - hooks: REST and `/mcp` (one session) with no hooks, an empty hook chain and a pass-through
 *   chain, in short runs interleaved and repeated, for the chain's cost in calls/s.
 *
 * At each concurrency level the paths run one after the other (direct first), so the noise of a
 * shared machine falls on all alike. Settings come from the environment (see `bench/README.md`);
 * `--json` prints the JSON report on stdout and the table on stderr; `--only rest|bridge|hooks|<paths>`
 * runs some gateway paths or the hook chain cases (direct always runs).
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { bridgeDriver } from './lib/bridge-load.js';
import { connectDirect, directLoad, type DirectClient } from './lib/direct-load.js';
import { isAlive, startGateway, type GatewayProcess } from './lib/gateway-process.js';
import { runHookChains, type HookChainReport, type HookChainSettings } from './lib/hook-chain.js';
import { measureRun } from './lib/measure.js';
import { GATEWAY_PATHS, PATH_GROUPS, PATH_INFO, type GatewayPathId, type LoadDriver } from './lib/paths.js';
import { clockTicks, memoryMiB } from './lib/proc-stats.js';
import { checkTargets, formatReport, type BenchReport, type GatewayMemory, type LevelResult } from './lib/report.js';
import { restDriver } from './lib/rest-load.js';
import { failureCount } from './lib/stats.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const gatewayBin = join(repoRoot, 'dist/cli/bin.js');
const demoMain = join(repoRoot, 'dist/demo/main.js');

/** Calls made on each gateway path before its idle RSS is read: lazy initialisation done. */
const PROBE_CALLS = 20;

interface Settings {
  seconds: number;
  warmupSeconds: number;
  idleSeconds: number;
  concurrency: number[];
  paths: GatewayPathId[];
  /** The hook chain cases, when selected. */
  hooks: HookChainSettings | undefined;
  jsonOnStdout: boolean;
  jsonPath: string;
}

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of seconds, got '${raw}'`);
  return value;
}

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return value;
}

function concurrencyLevels(name: string, fallback: string): number[] {
  return (process.env[name] || fallback).split(',').map((part) => {
    const value = Number(part.trim());
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be positive integers separated by commas, got '${part}'`);
    return value;
  });
}

/**
 * `--only rest`, `--only bridge`, `--only hooks`, or path names separated by commas (`--only
 * mcp,sse`, `--only rest,hooks`). Without `--only`: every path and the hook chain cases.
 */
function selected(only: string | undefined): { paths: GatewayPathId[]; hooks: boolean } {
  if (only === undefined) return { paths: [...GATEWAY_PATHS], hooks: true };
  const chosen = new Set<GatewayPathId>();
  let hooks = false;
  for (const part of only.split(',').map((name) => name.trim())) {
    if (part === 'hooks') hooks = true;
    else if (part === 'rest' || part === 'bridge') PATH_GROUPS[part].forEach((path) => chosen.add(path));
    else if ((GATEWAY_PATHS as readonly string[]).includes(part)) chosen.add(part as GatewayPathId);
    else throw new Error(`--only takes rest, bridge, hooks or paths among ${GATEWAY_PATHS.join(', ')} separated by commas, got '${part}'`);
  }
  // The run order stays the catalog's whatever order they were named in.
  return { paths: GATEWAY_PATHS.filter((path) => chosen.has(path)), hooks };
}

function readSettings(argv: string[]): Settings {
  let only: string | undefined;
  let jsonOnStdout = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--json') jsonOnStdout = true;
    else if (arg === '--only' && argv[i + 1] !== undefined) only = argv[++i];
    else if (arg.startsWith('--only=')) only = arg.slice('--only='.length);
    else throw new Error(`unknown argument ${arg} (the flags are --json and --only rest|bridge|hooks|<paths>; settings are BENCH_* variables)`);
  }
  const concurrency = concurrencyLevels('BENCH_CONCURRENCY', '1,16,64');
  const warmupSeconds = positiveNumber('BENCH_WARMUP_SECONDS', 1);
  const selection = selected(only);
  return {
    seconds: positiveNumber('BENCH_SECONDS', 10),
    warmupSeconds,
    idleSeconds: positiveNumber('BENCH_IDLE_SECONDS', 15),
    concurrency,
    paths: selection.paths,
    hooks: selection.hooks
      ? {
          blocks: positiveInteger('BENCH_HOOKS_BLOCKS', 6),
          rounds: positiveInteger('BENCH_HOOKS_ROUNDS', 3),
          seconds: positiveNumber('BENCH_HOOKS_SECONDS', 1),
          warmupSeconds,
          concurrency: concurrencyLevels('BENCH_HOOKS_CONCURRENCY', concurrency.join(',')),
        }
      : undefined,
    jsonOnStdout,
    jsonPath: process.env.BENCH_JSON_OUT ?? join(tmpdir(), 'mcpgate-bench', 'latest.json'),
  };
}

/** Everything started that must not outlive the benchmark, stopped in reverse order. */
class Cleanup {
  private readonly steps: Array<() => Promise<void>> = [];
  private running: Promise<void> | undefined;

  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        await step().catch((error: unknown) => process.stderr.write(`[bench] cleanup: ${String(error)}\n`));
      }
    })();
    return this.running;
  }
}

/**
 * The SDK's HTTP client passes one AbortSignal to every fetch of a transport, and each fetch adds
 * a listener to it that goes only when the request is garbage-collected; Node warns at every one
 * past the limit, thousands of lines per run. Each kind of warning is printed once instead.
 */
function printEachWarningOnce(): void {
  const seen = new Set<string>();
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    const kind = `${warning.name}: ${warning.message.replace(/\d+/g, 'N')}`;
    if (seen.has(kind)) return;
    seen.add(kind);
    process.stderr.write(`[bench] (node) ${warning.name}: ${warning.message} (printed once)\n`);
  });
}

interface GatewayPath {
  path: GatewayPathId;
  gateway: GatewayProcess;
  driver: LoadDriver;
}

async function measureLevel(concurrency: number, settings: Settings, direct: DirectClient, gatewayPaths: GatewayPath[], log: (line: string) => void): Promise<LevelResult> {
  log(`c=${concurrency}: direct warm-up ${settings.warmupSeconds} s, run ${settings.seconds} s`);
  const directMeasured = await measureRun(directLoad(direct.client, concurrency), { gateway: undefined, upstreamPid: direct.pid }, settings);
  const level: LevelResult = { concurrency, paths: [{ ...directMeasured, ratioToDirect: 1 }] };

  for (const { path, gateway, driver } of gatewayPaths) {
    log(`c=${concurrency}: ${PATH_INFO[path].label} warm-up ${settings.warmupSeconds} s, run ${settings.seconds} s`);
    const load = await driver.open(concurrency);
    try {
      const measured = await measureRun(load, { gateway, upstreamPid: gateway.upstreamPid }, settings);
      level.paths.push({ ...measured, ratioToDirect: measured.run.callsPerSecond / directMeasured.run.callsPerSecond });
    } finally {
      await load.close();
    }
  }

  for (const { run } of level.paths) {
    if (failureCount(run) > 0) log(`!!! c=${concurrency} ${PATH_INFO[run.path].label}: ${failureCount(run)} FAILED calls (first: ${run.failures.sample ?? 'n/a'})`);
  }
  return level;
}

async function main(): Promise<number> {
  const settings = readSettings(process.argv.slice(2));
  // With --json, stdout carries only the JSON document.
  const say = settings.jsonOnStdout ? (text: string) => process.stderr.write(text) : (text: string) => process.stdout.write(text);
  const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
  printEachWarningOnce();

  for (const file of [gatewayBin, demoMain]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: build first (npm run build, or use npm run bench)`);
  }

  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping the gateways and the demo servers`);
    void cleanup.run().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const startedAt = new Date().toISOString();
    const loadAverageAtStart = loadavg();

    log('starting the direct client (SDK over stdio to dist/demo/main.js)');
    const direct = await connectDirect(demoMain);
    cleanup.add(async () => {
      await direct.close();
      await sleep(200);
      if (isAlive(direct.pid)) {
        log(`the direct demo server ${direct.pid} is still running after close: killing it`);
        process.kill(direct.pid, 'SIGKILL');
      }
    });

    // A gateway per path: each one's memory is its own, and no path inherits another's heap.
    const gatewayPaths: GatewayPath[] = [];
    for (const path of settings.paths) {
      log(`starting the gateway for ${PATH_INFO[path].label} (dist/cli/bin.js) and waiting for GET /readyz 200`);
      const gateway = await startGateway(gatewayBin, repoRoot);
      cleanup.add(gateway.stop);
      log(`gateway pid ${gateway.pid} at ${gateway.baseUrl}, its demo server pid ${gateway.upstreamPid ?? 'not found'}`);
      gatewayPaths.push({ path, gateway, driver: path === 'rest' ? restDriver(gateway.baseUrl) : bridgeDriver(path, gateway.baseUrl) });
    }

    const probes: BenchReport['probes'] = {};
    for (const { path, driver } of gatewayPaths) {
      const probe = await driver.probe();
      probes[path] = probe;
      if (probe.ok) log(`probe ${PATH_INFO[path].label}: ${probe.answer}`);
      else log(`!!! probe ${PATH_INFO[path].label}: ${probe.answer} (expected the echo of "hi"): its numbers will be flagged`);
    }

    // Idle memory: after start-up and a few calls (lazy initialisation done), then quiet. V8 trims
    // its heap (the memory reducer) only after some seconds without allocation, so both the RSS one
    // second after the calls and the settled RSS after BENCH_IDLE_SECONDS are reported. The
    // gateways wait side by side. Without such paths (`--only hooks`) there is no memory to read.
    const readMemory = gatewayPaths.length > 0;
    for (const { driver } of gatewayPaths) for (let i = 1; i < PROBE_CALLS; i += 1) await driver.probe();
    if (readMemory) await sleep(1_000);
    const afterCallsRss = new Map(gatewayPaths.map(({ path, gateway }) => [path, memoryMiB(gateway.pid).rss]));
    if (readMemory) {
      log(`idle: waiting ${settings.idleSeconds} s for the gateways to settle`);
      await sleep(Math.max(0, settings.idleSeconds - 1) * 1_000);
    }
    const idleRss = new Map(gatewayPaths.map(({ path, gateway }) => [path, memoryMiB(gateway.pid).rss]));

    const levels: LevelResult[] = [];
    for (const concurrency of settings.concurrency) levels.push(await measureLevel(concurrency, settings, direct, gatewayPaths, log));

    if (readMemory) {
      log(`settling: waiting ${settings.idleSeconds} s after the last level`);
      await sleep(settings.idleSeconds * 1_000);
    }
    const memory: BenchReport['gatewayMemoryMiB'] = {};
    for (const { path, gateway } of gatewayPaths) {
      // VmHWM only grows: read now, it is the peak over every level.
      const { rss, peak } = memoryMiB(gateway.pid);
      const gatewayMemory: GatewayMemory = { afterCalls: afterCallsRss.get(path)!, idle: idleRss.get(path)!, peak, settled: rss };
      memory[path] = gatewayMemory;
    }

    // The hook chains last, after the other paths' memory is read: gateways of their own, started
    // afresh for each block; short runs, interleaved and repeated (lib/hook-chain.ts).
    let hookChain: HookChainReport | null = null;
    if (settings.hooks) {
      hookChain = await runHookChains(settings.hooks, {
        repoRoot,
        startGateway: async (extraArgs) => {
          const gateway = await startGateway(gatewayBin, repoRoot, extraArgs);
          cleanup.add(gateway.stop);
          return gateway;
        },
        driver: (frontend, baseUrl) => (frontend === 'rest' ? restDriver(baseUrl) : bridgeDriver(frontend, baseUrl)),
        log,
      });
    }

    const probesOk = Object.values(probes).every((probe) => probe.ok);
    const hookProbesOk = (hookChain?.probes ?? []).every((probe) => probe.ok);
    const runsOk =
      levels.every((level) => level.paths.every((m) => failureCount(m.run) === 0)) &&
      (hookChain?.levels ?? []).every((level) => level.frontends.every((f) => f.chains.every((c) => c.failures === 0)));
    const valid = probesOk && hookProbesOk && runsOk;
    const report: BenchReport = {
      startedAt,
      environment: {
        node: process.version,
        cpus: availableParallelism(),
        loadAverageAtStart,
        loadAverageAtEnd: loadavg(),
        clockTicksPerSecond: clockTicks.perSecond,
        clockTicksSource: clockTicks.source,
      },
      settings: {
        seconds: settings.seconds,
        warmupSeconds: settings.warmupSeconds,
        idleSeconds: settings.idleSeconds,
        concurrency: settings.concurrency,
        paths: settings.paths,
      },
      probes,
      levels,
      gatewayMemoryMiB: memory,
      hookChain,
      targets: checkTargets(levels, memory, settings.paths, hookChain),
      valid,
    };

    await mkdir(dirname(settings.jsonPath), { recursive: true });
    await writeFile(settings.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    say(`\n${formatReport(report)}\nJSON report: ${settings.jsonPath}\n`);
    if (settings.jsonOnStdout) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (!valid) say('\n!!! INVALID RUN: some calls failed or a probe was wrong (see above). Exit code 1.\n');
    return valid ? 0 : 1;
  } finally {
    await cleanup.run();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
