/**
 * `npm run bench`: what the REST frontend costs, measured against calling the same MCP server
 * directly, in one run on one machine.
 *
 * - direct: an SDK client in this process, over stdio, to `node dist/demo/main.js`;
 * - REST: `dist/cli/bin.js` (the built gateway executable, plain Node) serving the same demo server,
 *   loaded with autocannon `POST /echo`.
 *
 * At each concurrency level the direct run and the REST run follow each other, so the noise of
 * a shared machine falls on both alike. Settings come from the environment (see
 * `bench/README.md`); `--json` prints the JSON report on stdout and the table on stderr.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ECHO_MESSAGE, connectDirect, runDirect, type DirectClient } from './lib/direct-load.js';
import { isAlive, startGateway, type GatewayProcess } from './lib/gateway-process.js';
import { clockTicks, cpuMs, memoryMiB } from './lib/proc-stats.js';
import { checkTargets, formatReport, type BenchReport, type LevelResult } from './lib/report.js';
import { runRest } from './lib/rest-load.js';
import { failureCount } from './lib/stats.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const gatewayBin = join(repoRoot, 'dist/cli/bin.js');
const demoMain = join(repoRoot, 'dist/demo/main.js');

interface Settings {
  seconds: number;
  warmupSeconds: number;
  idleSeconds: number;
  concurrency: number[];
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

function readSettings(argv: string[]): Settings {
  const unknown = argv.filter((arg) => arg !== '--json');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown[0]} (the only flag is --json; settings are BENCH_* variables)`);
  const levels = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map((part) => part.trim());
  const concurrency = levels.map((part) => {
    const value = Number(part);
    if (!Number.isInteger(value) || value < 1) throw new Error(`BENCH_CONCURRENCY must be positive integers separated by commas, got '${part}'`);
    return value;
  });
  return {
    seconds: positiveNumber('BENCH_SECONDS', 10),
    warmupSeconds: positiveNumber('BENCH_WARMUP_SECONDS', 1),
    idleSeconds: positiveNumber('BENCH_IDLE_SECONDS', 15),
    concurrency,
    jsonOnStdout: argv.includes('--json'),
    jsonPath: process.env.BENCH_JSON_OUT ?? join(tmpdir(), 'mcpgate-bench', 'latest.json'),
  };
}

/** One `POST /echo`, as answered: shown before the runs so a broken route is obvious at once. */
async function probe(baseUrl: string): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(`${baseUrl}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: ECHO_MESSAGE }),
    });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { status: 0, body: `request failed: ${error instanceof Error ? error.message : String(error)}` };
  }
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

async function measureLevel(
  concurrency: number,
  settings: Settings,
  direct: DirectClient,
  gateway: GatewayProcess,
  log: (line: string) => void,
): Promise<LevelResult> {
  log(`c=${concurrency}: direct warm-up ${settings.warmupSeconds} s, run ${settings.seconds} s`);
  await runDirect(direct.client, concurrency, settings.warmupSeconds);
  const directCpuBefore = cpuMs(direct.pid);
  const clientCpuBefore = process.cpuUsage();
  const directRun = await runDirect(direct.client, concurrency, settings.seconds);
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const directUpstreamCpu = cpuMs(direct.pid) - directCpuBefore;

  log(`c=${concurrency}: REST warm-up ${settings.warmupSeconds} s, run ${settings.seconds} s`);
  await runRest(gateway.baseUrl, concurrency, settings.warmupSeconds);
  const gatewayCpuBefore = cpuMs(gateway.pid);
  const upstreamCpuBefore = gateway.upstreamPid === undefined ? undefined : cpuMs(gateway.upstreamPid);
  const restRun = await runRest(gateway.baseUrl, concurrency, settings.seconds);
  const gatewayCpu = cpuMs(gateway.pid) - gatewayCpuBefore;
  const restUpstreamCpu = gateway.upstreamPid === undefined || upstreamCpuBefore === undefined ? undefined : cpuMs(gateway.upstreamPid) - upstreamCpuBefore;

  for (const run of [directRun, restRun]) {
    if (failureCount(run) > 0) log(`!!! c=${concurrency} ${run.path}: ${failureCount(run)} FAILED calls (first: ${run.failures.sample ?? 'n/a'})`);
  }
  return {
    concurrency,
    direct: directRun,
    rest: restRun,
    ratio: restRun.callsPerSecond / directRun.callsPerSecond,
    gatewayCpuMsPerCall: gatewayCpu / restRun.responses,
    directClientCpuMsPerCall: (clientCpu.user + clientCpu.system) / 1000 / (directRun.ok + failureCount(directRun)),
    upstreamCpuMsPerCall: {
      direct: directUpstreamCpu / (directRun.ok + failureCount(directRun)),
      rest: restUpstreamCpu === undefined ? null : restUpstreamCpu / restRun.responses,
    },
  };
}

async function main(): Promise<number> {
  const settings = readSettings(process.argv.slice(2));
  // With --json, stdout carries only the JSON document.
  const say = settings.jsonOnStdout ? (text: string) => process.stderr.write(text) : (text: string) => process.stdout.write(text);
  const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

  for (const file of [gatewayBin, demoMain]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: build first (npm run build, or use npm run bench)`);
  }

  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping the gateway and the demo server`);
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

    log('starting the gateway (dist/cli/bin.js) and waiting for GET /readyz 200');
    const gateway = await startGateway(gatewayBin, repoRoot);
    cleanup.add(gateway.stop);
    log(`gateway pid ${gateway.pid} at ${gateway.baseUrl}, its demo server pid ${gateway.upstreamPid ?? 'not found'}`);

    const probed = await probe(gateway.baseUrl);
    const probeOk = probed.status === 200 && probed.body === JSON.stringify(ECHO_MESSAGE);
    if (probeOk) log(`probe: POST /echo -> 200 ${probed.body}`);
    else log(`!!! probe: POST /echo -> ${probed.status} ${probed.body.slice(0, 200)} (expected 200 ${JSON.stringify(ECHO_MESSAGE)}): REST numbers will be flagged`);

    // Idle memory: after start-up and a few calls (lazy initialisation done), then quiet. V8 trims
    // its heap (the memory reducer) only after some seconds without allocation, so both the RSS one
    // second after the calls and the settled RSS after BENCH_IDLE_SECONDS are reported.
    for (let i = 0; i < 20; i += 1) await probe(gateway.baseUrl);
    await sleep(1_000);
    const afterCallsRss = memoryMiB(gateway.pid).rss;
    log(`idle: waiting ${settings.idleSeconds} s for the gateway to settle`);
    await sleep(Math.max(0, settings.idleSeconds - 1) * 1_000);
    const idleRss = memoryMiB(gateway.pid).rss;

    const levels: LevelResult[] = [];
    for (const concurrency of settings.concurrency) levels.push(await measureLevel(concurrency, settings, direct, gateway, log));
    const peakRss = memoryMiB(gateway.pid).peak;

    const memory = { idle: idleRss, afterCalls: afterCallsRss, peak: peakRss };
    const valid = probeOk && levels.every((level) => failureCount(level.rest) === 0 && failureCount(level.direct) === 0);
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
      settings: { seconds: settings.seconds, warmupSeconds: settings.warmupSeconds, concurrency: settings.concurrency },
      probe: probed,
      levels,
      gatewayMemoryMiB: memory,
      targets: checkTargets(levels, memory),
      valid,
    };

    await mkdir(dirname(settings.jsonPath), { recursive: true });
    await writeFile(settings.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    say(`\n${formatReport(report)}\nJSON report: ${settings.jsonPath}\n`);
    if (settings.jsonOnStdout) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (!valid) say('\n!!! INVALID RUN: some calls failed (see above). Exit code 1.\n');
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
