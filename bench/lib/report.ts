/**
 * The benchmark's verdict: targets checked against the measurements, a table for people and one
 * JSON document for machines.
 *
 * @module
 */
import { HOOK_CHAINS, HOOK_CHAIN_INFO, HOOK_FRONTENDS, HOOK_FRONTEND_LABEL, type HookChainReport, type HookFrontend } from './hook-chain.js';
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
  /** The hook chain cases (`--only hooks`, and the full run); null when not run. */
  hookChain: HookChainReport | null;
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

/** The most a hook chain may cost, in percent of the calls/s of the same gateway without hooks. */
const HOOK_CHAIN_COST_LIMIT_PERCENT = 3;

/**
 * A chain's cost in calls/s against no hooks on one frontend: the median of every per-round cost
 * of every level and block. Not the worst level's: the largest of several noisy medians is biased
 * upwards by the noise alone. Each level's median is shown beside it, and whether the confidence
 * interval is narrow enough to tell the limit.
 */
function hookChainCost(hookChain: HookChainReport, frontend: HookFrontend, chain: 'empty' | 'pass-through'): TargetResult {
  const name = `hooks, ${HOOK_FRONTEND_LABEL[frontend]}: ${HOOK_CHAIN_INFO[chain].label} vs no hooks`;
  const target = `cost < ${HOOK_CHAIN_COST_LIMIT_PERCENT}% of calls/s`;
  const cost = hookChain.costs.find((c) => c.frontend === frontend && c.chain === chain);
  if (!cost || cost.pairs === 0) return { name, target, measured: 'not run', status: 'N/A' };
  const probesOk = hookChain.probes.filter((probe) => probe.frontend === frontend && (probe.chain === chain || probe.chain === 'none')).every((probe) => probe.ok);
  const [low, high] = cost.costCi95Percent;
  const decided = high < HOOK_CHAIN_COST_LIMIT_PERCENT || low >= HOOK_CHAIN_COST_LIMIT_PERCENT;
  const perLevel = hookChain.levels
    .map((level) => {
      const summary = level.frontends.find((f) => f.frontend === frontend)?.chains.find((c) => c.chain === chain);
      return `c=${level.concurrency}: ${percent(summary?.costPercent ?? null)}`;
    })
    .join(', ');
  return {
    name,
    target,
    measured:
      `${percent(cost.costPercent)} (95% CI ${percent(low)} .. ${percent(high)}${decided ? '' : `: cannot tell ${HOOK_CHAIN_COST_LIMIT_PERCENT}%`}; ` +
      `${cost.pairs} pairs; ${perLevel}; gw CPU/call ${percent(cost.cpuPerCallChangePercent)})`,
    status: verdict(probesOk && cost.valid, cost.costPercent < HOOK_CHAIN_COST_LIMIT_PERCENT),
  };
}

/** Checks the targets of the paths that ran, and of the hook chains when they ran. */
export function checkTargets(
  levels: LevelResult[],
  memory: BenchReport['gatewayMemoryMiB'],
  paths: readonly GatewayPathId[],
  hookChain: HookChainReport | null = null,
): TargetResult[] {
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

  if (hookChain) {
    for (const frontend of HOOK_FRONTENDS) for (const chain of ['empty', 'pass-through'] as const) targets.push(hookChainCost(hookChain, frontend, chain));
  }
  return targets;
}

const percent = (value: number | null, digits = 1): string => (value === null || !Number.isFinite(value) ? '-' : `${value > 0 ? '+' : ''}${value.toFixed(digits)}%`);

/** The hook chains' table: each chain's median calls/s, every round's, and its cost against no hooks. */
function formatHookChain(hookChain: HookChainReport): string[] {
  const { blocks, rounds, seconds, warmupSeconds } = hookChain.settings;
  const lines: string[] = [
    'Hook chains: REST (POST /echo) and mcp (/mcp, one session), each chain in a gateway of its own (serving both), started',
    `afresh for each of ${blocks} blocks. In each block, at each level: ${warmupSeconds} s warm-up of each, then ${rounds} rounds, each running`,
    `every chain of each frontend for ${seconds} s, in each of the six orders of the chains in turn.`,
  ];
  for (const chain of HOOK_CHAINS) lines.push(`  ${HOOK_CHAIN_INFO[chain].label.padEnd(13)} ${HOOK_CHAIN_INFO[chain].description}`);
  lines.push('');
  for (const probe of hookChain.probes) {
    if (!probe.ok) lines.push(`!!! probe hooks ${probe.frontend}/${probe.chain} (block ${probe.block + 1}): WRONG: ${probe.answer.slice(0, 120)}`);
  }
  const rows: string[][] = [
    ['conc', 'frontend', 'chain', 'calls/s', 'cost', 'cost 95% CI', 'cost in each block', 'p50', 'gw CPU/call', 'gw CPU/call vs none'],
  ];
  for (const level of hookChain.levels) {
    for (const { frontend, chains } of level.frontends) {
      for (const summary of chains) {
        rows.push([
          String(level.concurrency),
          HOOK_FRONTEND_LABEL[frontend],
          HOOK_CHAIN_INFO[summary.chain].label,
          fixed(summary.medianCallsPerSecond, 0),
          summary.chain === 'none' ? '(baseline)' : percent(summary.costPercent),
          summary.costCi95Percent === null ? '' : `${percent(summary.costCi95Percent[0])} .. ${percent(summary.costCi95Percent[1])}`,
          summary.blockCostsPercent === null ? '' : summary.blockCostsPercent.map((cost) => percent(cost)).join(' '),
          ms(summary.medianP50Ms, 3),
          ms(summary.medianGatewayCpuMsPerCall, 4),
          summary.chain === 'none' ? '' : percent(summary.cpuPerCallChangePercent),
        ]);
      }
    }
  }
  for (const cost of hookChain.costs) {
    rows.push([
      'all',
      HOOK_FRONTEND_LABEL[cost.frontend],
      HOOK_CHAIN_INFO[cost.chain].label,
      '',
      percent(cost.costPercent),
      `${percent(cost.costCi95Percent[0])} .. ${percent(cost.costCi95Percent[1])}`,
      `(${cost.pairs} pairs)`,
      '',
      '',
      percent(cost.cpuPerCallChangePercent),
    ]);
  }
  lines.push(
    table(rows, 3),
    '',
    'calls/s, p50, gw CPU/call: medians over the rounds of every block. cost: the median of the per-round costs,',
    '1 - (calls/s of the chain / calls/s without hooks in the same round), in percent (positive: the chain is slower);',
    'cost 95% CI: the confidence interval of that median (from the ranks of the per-round costs: no assumption on the',
    "noise); cost in each block: the median of each block's rounds (each block has gateway processes of its own).",
    'gw CPU/call vs none: the median per-round change in gateway CPU per call. all: every pair of every level, what the',
    'targets are checked on. The empty chain composes to no chain at all: its cost is the noise floor of the comparison.',
    "Every run's figures are in the JSON report (hookChain).",
    '',
  );
  const failed = hookChain.levels.flatMap((level) =>
    level.frontends.flatMap(({ frontend, chains }) =>
      chains.flatMap((summary) => summary.runs.filter((run) => failureCount(run.measurement.run) > 0).map((run) => ({ level, frontend, summary, run }))),
    ),
  );
  for (const { level, frontend, summary, run } of failed) {
    lines.push(
      `!!! hooks c=${level.concurrency} ${HOOK_FRONTEND_LABEL[frontend]} ${HOOK_CHAIN_INFO[summary.chain].label} block ${run.block + 1} round ${run.round + 1}: ${describeFailures(run.measurement.run)}`,
    );
  }
  if (failed.length > 0) lines.push('');
  return lines;
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
    `${report.settings.seconds} s per run after ${report.settings.warmupSeconds} s warm-up; at each level direct runs first${paths.length > 0 ? `, then ${paths.join(', ')}` : ''}` +
      (report.hookChain ? '; then the hook chains (below)' : ''),
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

  if (report.hookChain) lines.push(...formatHookChain(report.hookChain));

  const memoryRows: string[][] = [['gateway of', 'after calls', 'idle', 'peak', 'settled']];
  for (const path of paths) {
    const memory = report.gatewayMemoryMiB[path];
    if (!memory) continue;
    memoryRows.push([PATH_INFO[path].label, ...[memory.afterCalls, memory.idle, memory.peak, memory.settled].map((value) => `${fixed(value, 1)} MiB`)]);
  }
  if (memoryRows.length > 1) {
    lines.push(
      table(memoryRows),
      'after calls / idle: 1 s / BENCH_IDLE_SECONDS after start-up and 20 probe calls; peak: VmHWM after every',
      'level; settled: VmRSS BENCH_IDLE_SECONDS after the last level, its sessions closed.',
      '',
    );
  }

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
