/**
 * The benchmark's verdict: targets checked against the measurements, a table for people and one
 * JSON document for machines.
 *
 * @module
 */
import { PATH_INFO, isBridgePath, type GatewayPathId, type PathId } from './paths.js';
import { failureCount, type RunResult } from './stats.js';
import type { RestRun } from './rest-load.js';

/** One path's measured run at one level, and what it cost. */
export interface PathMeasurement {
  path: PathId;
  /** A `RestRun` (with autocannon's own percentiles) for the REST path. */
  run: RunResult | RestRun;
  /** Calls/s divided by the direct path's at the same level (1 for direct itself). */
  ratioToDirect: number;
  /** Gateway process CPU (user + system) over the measured window, divided by the responses in it; null for direct. */
  gatewayCpuMsPerCall: number | null;
  /**
   * The benchmark process's CPU per call over the window: the client's own cost (the SDK client
   * on direct and mcp-sdk, autocannon on REST, the lean client elsewhere), and a yardstick of
   * the machine's speed at that moment.
   */
  clientCpuMsPerCall: number;
  /** The demo server's CPU per call: not part of the gateway, shown for context; null when its pid is unknown. */
  upstreamCpuMsPerCall: number | null;
  /** The gateway's VmHWM right after this run (its peak so far, this path's own gateway), MiB; null for direct. */
  gatewayPeakRssMiB: number | null;
}

export interface LevelResult {
  concurrency: number;
  /** Direct first, then the gateway paths in the order they ran. */
  paths: PathMeasurement[];
}

/**
 * One gateway process, MiB: `afterCalls` is VmRSS 1 s after start-up and 20 probe calls, `idle` the
 * same after BENCH_IDLE_SECONDS without calls, `peak` its VmHWM after the last level, `settled`
 * its VmRSS BENCH_IDLE_SECONDS after the last level (every session closed).
 */
export interface GatewayMemory {
  afterCalls: number;
  idle: number;
  peak: number;
  settled: number;
}

export type TargetStatus = 'PASS' | 'MISS' | 'INVALID' | 'N/A';

export interface TargetResult {
  name: string;
  target: string;
  measured: string;
  status: TargetStatus;
}

export interface BenchReport {
  startedAt: string;
  environment: {
    node: string;
    cpus: number;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
    clockTicksPerSecond: number;
    clockTicksSource: string;
  };
  settings: { seconds: number; warmupSeconds: number; idleSeconds: number; concurrency: number[]; paths: GatewayPathId[] };
  /** The single call sent on each gateway path before the runs, as it was answered. */
  probes: Partial<Record<GatewayPathId, { ok: boolean; answer: string }>>;
  levels: LevelResult[];
  /** Each gateway path has a gateway process of its own. */
  gatewayMemoryMiB: Partial<Record<GatewayPathId, GatewayMemory>>;
  targets: TargetResult[];
  /** False when any run had a failure or a probe was wrong: its numbers do not describe the working route. */
  valid: boolean;
}

const fixed = (value: number | null, digits: number): string => (value !== null && Number.isFinite(value) ? value.toFixed(digits) : '-');
const ms = (value: number | null, digits: number): string => (value === null ? '-' : `${fixed(value, digits)} ms`);

export function measurementOf(level: LevelResult, path: PathId): PathMeasurement | undefined {
  return level.paths.find((measurement) => measurement.path === path);
}

/** A target measured on a run with failures (its own, or the direct run it is compared with) is INVALID, never PASS. */
function validAt(level: LevelResult, path: PathId): boolean {
  return [measurementOf(level, 'direct'), measurementOf(level, path)].every((m) => m !== undefined && failureCount(m.run) === 0);
}

const verdict = (valid: boolean, pass: boolean): TargetStatus => (!valid ? 'INVALID' : pass ? 'PASS' : 'MISS');

function throughputAt64(levels: LevelResult[], path: GatewayPathId): TargetResult {
  const name = `${PATH_INFO[path].label}: throughput at 64 concurrent`;
  const target = '>= 25% of direct calls/s';
  const at64 = levels.find((level) => level.concurrency === 64);
  const measurement = at64 && measurementOf(at64, path);
  const direct = at64 && measurementOf(at64, 'direct');
  if (!at64 || !measurement || !direct) return { name, target, measured: 'level 64 not run', status: 'N/A' };
  return {
    name,
    target,
    measured: `${fixed(measurement.ratioToDirect * 100, 1)}% (${fixed(measurement.run.callsPerSecond, 0)} / ${fixed(direct.run.callsPerSecond, 0)})`,
    status: verdict(validAt(at64, path), measurement.ratioToDirect >= 0.25),
  };
}

/**
 * CPU per call is a figure of a gateway under load (the peers' 0.2-0.5 ms were measured at 16
 * concurrent calls): the target is checked at 16 and more; one call at a time is shown beside it,
 * where each call pays whole event-loop wake-ups that nothing shares.
 */
function cpuUnderLoad(levels: LevelResult[], path: GatewayPathId, limitMs: number): TargetResult {
  const name = `${PATH_INFO[path].label}: gateway CPU per call under load (c>=16)`;
  const target = `< ${limitMs} ms`;
  const cpuAt = (level: LevelResult): number => measurementOf(level, path)?.gatewayCpuMsPerCall ?? Number.NaN;
  const loaded = levels.filter((level) => level.concurrency >= 16);
  const worst = loaded.reduce<LevelResult | undefined>((max, level) => (max === undefined || cpuAt(level) > cpuAt(max) ? level : max), undefined);
  if (!worst) return { name, target, measured: 'no level of 16 or more run', status: 'N/A' };
  const all = levels.map((level) => `c=${level.concurrency}: ${fixed(cpuAt(level), 4)}`).join(', ');
  return {
    name,
    target,
    measured: `${fixed(cpuAt(worst), 4)} ms at c=${worst.concurrency} (${all})`,
    status: verdict(
      loaded.every((level) => validAt(level, path)),
      cpuAt(worst) < limitMs,
    ),
  };
}

/** Checks the targets of the paths that ran. */
export function checkTargets(levels: LevelResult[], memory: BenchReport['gatewayMemoryMiB'], paths: readonly GatewayPathId[]): TargetResult[] {
  const targets: TargetResult[] = [];
  const allValid = (path: PathId): boolean => levels.every((level) => validAt(level, path));

  const restMemory = memory.rest;
  if (paths.includes('rest') && restMemory) {
    targets.push(throughputAt64(levels, 'rest'), cpuUnderLoad(levels, 'rest', 0.08));
    const at1 = levels.find((level) => level.concurrency === 1);
    const rest1 = at1 && measurementOf(at1, 'rest');
    targets.push(
      at1 && rest1
        ? {
            name: 'REST: p50 at 1 concurrent',
            target: '< 0.35 ms',
            measured: ms(rest1.run.latency.p50Ms, 3),
            status: verdict(validAt(at1, 'rest'), rest1.run.latency.p50Ms < 0.35),
          }
        : { name: 'REST: p50 at 1 concurrent', target: '< 0.35 ms', measured: 'level 1 not run', status: 'N/A' },
      { name: 'REST: gateway RSS idle', target: '< 60 MiB', measured: `${fixed(restMemory.idle, 1)} MiB`, status: verdict(allValid('rest'), restMemory.idle < 60) },
      {
        name: 'REST: gateway RSS peak (VmHWM)',
        target: '< 100 MiB',
        measured: `${fixed(restMemory.peak, 1)} MiB`,
        status: verdict(allValid('rest'), restMemory.peak < 100),
      },
    );
  }

  for (const path of paths.filter(isBridgePath)) targets.push(throughputAt64(levels, path), cpuUnderLoad(levels, path, 0.1));

  if (paths.includes('mcp-sessions')) {
    // Sessions of a level are closed after it, so the peak after the 64 level is that of 64 sessions at most.
    const name = 'mcp N sessions: gateway RSS peak with 64 sessions (shared upstream)';
    const at64 = levels.find((level) => level.concurrency === 64);
    const peak = at64 ? (measurementOf(at64, 'mcp-sessions')?.gatewayPeakRssMiB ?? null) : null;
    targets.push(
      at64 && peak !== null
        ? { name, target: '< 100 MiB', measured: `${fixed(peak, 1)} MiB`, status: verdict(validAt(at64, 'mcp-sessions'), peak < 100) }
        : { name, target: '< 100 MiB', measured: 'level 64 not run', status: 'N/A' },
    );
  }
  return targets;
}

/** Columns padded to a common width: the first `leftColumns` left-aligned, the rest right-aligned (numbers). */
function table(rows: string[][], leftColumns = 1): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column < leftColumns ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function describeFailures(run: RunResult): string {
  const f = run.failures;
  const parts = [
    f.badResponses > 0 ? `${f.badResponses} ${run.path === 'rest' ? 'non-2xx' : 'bad results'}` : '',
    f.mismatches > 0 ? `${f.mismatches} wrong bodies` : '',
    f.errors > 0 ? `${f.errors} errors` : '',
    f.timeouts > 0 ? `${f.timeouts} timeouts` : '',
    Object.keys(f.statusCodes).length > 0 && run.path === 'rest' ? `statuses ${JSON.stringify(f.statusCodes)}` : '',
    f.sample !== undefined ? `first: ${f.sample}` : '',
  ];
  return parts.filter((part) => part !== '').join(', ');
}

export function formatReport(report: BenchReport): string {
  const lines: string[] = [];
  const env = report.environment;
  const { paths } = report.settings;
  lines.push(
    `mcpgate bench: the gateway's paths vs direct (SDK client over stdio), tool "echo"`,
    `node ${env.node}, ${env.cpus} CPUs, load average ${env.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')} at start, ` +
      `${env.loadAverageAtEnd.map((l) => l.toFixed(2)).join(' ')} at end`,
    `${report.settings.seconds} s per run after ${report.settings.warmupSeconds} s warm-up; at each level direct runs first, then ${paths.join(', ')}`,
    '',
  );
  for (const path of ['direct' as const, ...paths]) lines.push(`  ${PATH_INFO[path].label.padEnd(15)} ${PATH_INFO[path].description}`);
  lines.push('');
  for (const path of paths) {
    const probe = report.probes[path];
    if (probe) lines.push(`probe ${PATH_INFO[path].label}: ${probe.ok ? '' : '!!! WRONG: '}${probe.answer.slice(0, 120)}`);
  }
  lines.push('');

  const rows: string[][] = [['conc', 'path', 'calls/s', 'vs direct', 'p50', 'p99', 'gw CPU/call', 'client CPU/call', 'demo CPU/call', 'gw peak RSS']];
  for (const level of report.levels) {
    for (const m of level.paths) {
      rows.push([
        String(level.concurrency),
        PATH_INFO[m.path].label,
        fixed(m.run.callsPerSecond, 0),
        `${fixed(m.ratioToDirect * 100, 1)}%`,
        ms(m.run.latency.p50Ms, 3),
        ms(m.run.latency.p99Ms, 3),
        ms(m.gatewayCpuMsPerCall, 4),
        ms(m.clientCpuMsPerCall, 4),
        ms(m.upstreamCpuMsPerCall, 4),
        m.gatewayPeakRssMiB === null ? '-' : `${fixed(m.gatewayPeakRssMiB, 1)} MiB`,
      ]);
    }
  }
  lines.push(table(rows, 2), '');
  lines.push(
    'gw CPU/call: user+system CPU of that path\'s gateway process only, over the measured window, per response.',
    'The demo MCP server is a separate child process and is NOT counted in it; its own CPU per call is',
    'shown for context, and so is this process\'s CPU per call (client CPU/call: the client\'s own cost,',
    'a yardstick of the machine\'s speed during the run). gw peak RSS: VmHWM of that path\'s gateway so far.',
    'Latencies are per call, measured by the caller (hrtime).',
    `CPU ticks: ${env.clockTicksPerSecond}/s (${env.clockTicksSource}). Memory: /proc VmRSS, VmHWM (MiB).`,
    '',
  );

  const memoryRows: string[][] = [['gateway of', 'after calls', 'idle', 'peak', 'settled']];
  for (const path of paths) {
    const memory = report.gatewayMemoryMiB[path];
    if (!memory) continue;
    memoryRows.push([PATH_INFO[path].label, ...[memory.afterCalls, memory.idle, memory.peak, memory.settled].map((value) => `${fixed(value, 1)} MiB`)]);
  }
  lines.push(
    table(memoryRows),
    'after calls / idle: 1 s / BENCH_IDLE_SECONDS after start-up and 20 probe calls; peak: VmHWM after every',
    'level; settled: VmRSS BENCH_IDLE_SECONDS after the last level, its sessions closed.',
    '',
  );

  const failed = report.levels.flatMap((level) => level.paths.map((m) => m.run)).filter((run) => failureCount(run) > 0);
  if (failed.length > 0) {
    lines.push('!'.repeat(100), '!!! RUNS WITH FAILURES: their numbers do not measure the working route; targets on them are INVALID');
    for (const run of failed) lines.push(`!!! c=${run.concurrency} ${PATH_INFO[run.path].label}: ${describeFailures(run)}`);
    lines.push('!'.repeat(100), '');
  }

  const targetRows: string[][] = [['target', 'goal', 'status', 'measured']];
  for (const target of report.targets) targetRows.push([target.name, target.target, target.status, target.measured]);
  lines.push(table(targetRows, 4));
  return `${lines.join('\n')}\n`;
}
