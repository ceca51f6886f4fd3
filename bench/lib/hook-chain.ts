/**
 * The hook chain cases (`--only hooks`): what a chain of hooks costs in calls/s, on the REST
 * frontend (`POST /echo`) and on `/mcp` (one session, as the `mcp` path), against the same
 * gateway without hooks.
 *
 * Three chains, each in a gateway of its own (three gateways, each serving its own demo server and
 * both frontends, all started the same way but for `--hook`):
 *
 * - `none`: no hook module, the gateway as the other paths run it;
 * - `empty`: `--hook bench/hooks/empty.mjs`, a hook with nothing but a name. The runner composes
 *   only the members hooks define, so this is expected to cost nothing: it doubles as the noise
 *   floor of the comparison (two gateways doing the same work);
 * - `pass-through`: `--hook bench/hooks/pass-through.mjs`, both message middlewares and both
 *   tool middlewares, each passing everything on: the whole machinery runs (the ordering of the
 *   message chains, the tool-call interception, the result chain), and only it.
 *
 * The difference to find (a few percent) is smaller than two kinds of noise of a shared 2-core
 * machine, and the design answers each:
 *
 * - the machine's speed changes from second to second (other work on it): the chains run in short
 *   runs, interleaved, and each is compared with the no-hooks run of the same round, seconds
 *   away. At each level the six loads (three gateways, two frontends) are opened once (one `/mcp`
 *   session each, kept for the level) and warmed up; then every round runs, for REST then for
 *   `/mcp`, the three chains one after the other, in each of the six orders in turn (`ORDERS`).
 *   A chain's cost in a round is `1 - its calls/s / no hooks' calls/s` of the same round and
 *   frontend;
 * - two gateway processes doing the same work can differ by tens of percent in CPU per call for
 *   minutes on end (measured: one of several identical REST gateways at +45% for six minutes;
 *   10-20% between the medians of identical gateways is common): so the three gateways are
 *   started afresh for each of several blocks, each block running every level, and no chain's
 *   figure rests on one process.
 *
 * The cost reported is the median of the per-round costs over every block, with their quartiles
 * and each block's median beside it.
 *
 * @module
 */
import { join } from 'node:path';
import type { GatewayProcess } from './gateway-process.js';
import { measureRun } from './measure.js';
import type { Load, LoadDriver } from './paths.js';
import type { PathMeasurement } from './report.js';
import { failureCount } from './stats.js';

export const HOOK_CHAINS = ['none', 'empty', 'pass-through', 'no-metrics'] as const;
export type HookChainId = (typeof HOOK_CHAINS)[number];

/** The frontends the chains are measured on: the existing `rest` and `mcp` (one session) paths. */
export const HOOK_FRONTENDS = ['rest', 'mcp'] as const;
export type HookFrontend = (typeof HOOK_FRONTENDS)[number];

export const HOOK_CHAIN_INFO: Record<HookChainId, { label: string; module: string | undefined; args?: string[]; description: string }> = {
  none: { label: 'no hooks', module: undefined, description: 'no hook module (as the other paths; the built-in metrics hook is on, as by default)' },
  empty: { label: 'empty chain', module: 'bench/hooks/empty.mjs', description: '--hook bench/hooks/empty.mjs: { name } only' },
  'pass-through': {
    label: 'pass-through',
    module: 'bench/hooks/pass-through.mjs',
    description: '--hook bench/hooks/pass-through.mjs: on{Client,Server}Message, onToolCall, onToolResult, each (next) => (...a) => next(...a)',
  },
  // A negative cost: what turning the built-in metrics hook off saves.
  'no-metrics': { label: 'no metrics', module: undefined, args: ['--no-metrics'], description: '--no-metrics: not even the built-in metrics hook' },
};

export const HOOK_FRONTEND_LABEL: Record<HookFrontend, string> = { rest: 'REST', mcp: 'mcp 1 session' };

/** Unmeasured seconds of calls through each gateway and frontend of a block before its first level. */
const JIT_WARMUP_SECONDS = 2;

/** The gateway's command-line arguments for a chain, the module's path absolute. */
export function hookChainArgs(chain: HookChainId, repoRoot: string): string[] {
  const { module, args = [] } = HOOK_CHAIN_INFO[chain];
  return module === undefined ? args : ['--hook', join(repoRoot, module), ...args];
}

export interface HookChainSettings {
  /** Blocks: each starts the three gateways afresh and runs every level. */
  blocks: number;
  /** Rounds per level in each block: each chain of each frontend runs once per round. */
  rounds: number;
  /** Measured seconds per run. */
  seconds: number;
  /** Warm-up seconds of each load at the start of each level (not measured). */
  warmupSeconds: number;
  concurrency: number[];
}

/** One measured run of a chain on a frontend. */
export interface HookRun {
  block: number;
  round: number;
  /** Its place in the round's order for its frontend (0 ran first). */
  position: number;
  /** The pid of the gateway that served it (one per chain and block). */
  gatewayPid: number;
  measurement: Omit<PathMeasurement, 'ratioToDirect'>;
}

export interface HookChainSummary {
  chain: HookChainId;
  runs: HookRun[];
  medianCallsPerSecond: number;
  medianP50Ms: number;
  medianGatewayCpuMsPerCall: number;
  /**
   * Against no hooks, in percent of its calls/s: the median over every round of every block of
   * `(1 - calls/s / no hooks' calls/s of the same round) * 100`. Null for `none` itself.
   */
  costPercent: number | null;
  /** The 95% confidence interval of that median (distribution-free, from the ranks of the per-round costs). */
  costCi95Percent: [number, number] | null;
  /** The per-round costs, one per round of every block: how many pairs the median is of. */
  pairs: number;
  /** The median of the per-round costs of each block (each block its own gateway processes). */
  blockCostsPercent: number[] | null;
  /** The median over the rounds of the change in gateway CPU per call against no hooks, percent. */
  cpuPerCallChangePercent: number | null;
  /** Failed calls over all its runs. */
  failures: number;
}

export interface HookFrontendResult {
  frontend: HookFrontend;
  chains: HookChainSummary[];
}

export interface HookLevelResult {
  concurrency: number;
  frontends: HookFrontendResult[];
}

/** A chain's cost on a frontend over every level: every per-round cost of every level and block. */
export interface HookChainCost {
  frontend: HookFrontend;
  chain: Exclude<HookChainId, 'none'>;
  pairs: number;
  /** The median of the per-round costs, percent of the no-hooks calls/s: what the target is checked on. */
  costPercent: number;
  /** Its 95% confidence interval (distribution-free). */
  costCi95Percent: [number, number];
  /** The median of the per-round changes in gateway CPU per call, percent. */
  cpuPerCallChangePercent: number;
  /** Whether every run it rests on (its own and the no-hooks ones) had no failed call. */
  valid: boolean;
}

export interface HookProbe {
  block: number;
  frontend: HookFrontend;
  chain: HookChainId;
  ok: boolean;
  answer: string;
}

export interface HookChainReport {
  settings: HookChainSettings;
  /** One call through each gateway of each block before its runs, as it was answered. */
  probes: HookProbe[];
  levels: HookLevelResult[];
  /** Each chain's cost on each frontend over every level. */
  costs: HookChainCost[];
}

/** The `q` quantile (0..1) of `values`, interpolated between the two nearest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const below = Math.floor(at);
  const above = Math.ceil(at);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (at - below);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/**
 * A 95% confidence interval of the median of `values`, free of any assumption on their
 * distribution: the order statistics x(j) and x(n+1-j) for the largest j with
 * P(Binomial(n, 1/2) < j) <= 2.5% (the interval covers the median with at least 95%; with fewer
 * than 6 values, the whole range).
 */
export function medianCi95(values: readonly number[]): [number, number] {
  if (values.length === 0) return [Number.NaN, Number.NaN];
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  // P(X <= k) for X ~ Binomial(n, 1/2), the binomial coefficients in logarithms.
  let logChoose = 0;
  let below = 0;
  let j = 1;
  for (let k = 0; k < n; k += 1) {
    below += Math.exp(logChoose - n * Math.LN2);
    if (below > 0.025) break;
    j = k + 1;
    logChoose += Math.log(n - k) - Math.log(k + 1);
  }
  j = Math.min(j, Math.ceil(n / 2));
  return [sorted[j - 1]!, sorted[n - j]!];
}

/** One round's comparison of a chain with no hooks on one frontend. */
interface Pair {
  block: number;
  /** `(1 - calls/s / no hooks' calls/s) * 100`. */
  cost: number;
  /** `(CPU per call / no hooks' CPU per call - 1) * 100`; NaN when unknown. */
  cpuChange: number;
  failed: boolean;
}

/** The runs of `chain` paired with the no-hooks runs of the same block and round. */
function pairsOf(runs: Map<string, HookRun[]>, frontend: HookFrontend, chain: HookChainId): Pair[] {
  const baseline = runs.get(key(frontend, 'none')) ?? [];
  const pairs: Pair[] = [];
  for (const run of runs.get(key(frontend, chain)) ?? []) {
    const base = baseline.find((b) => b.block === run.block && b.round === run.round);
    if (!base) continue;
    const cpu = run.measurement.gatewayCpuMsPerCall;
    const baseCpu = base.measurement.gatewayCpuMsPerCall;
    pairs.push({
      block: run.block,
      cost: (1 - run.measurement.run.callsPerSecond / base.measurement.run.callsPerSecond) * 100,
      cpuChange: cpu !== null && baseCpu !== null && baseCpu > 0 ? (cpu / baseCpu - 1) * 100 : Number.NaN,
      failed: failureCount(run.measurement.run) + failureCount(base.measurement.run) > 0,
    });
  }
  return pairs;
}

const finite = (values: number[]): number[] => values.filter((value) => Number.isFinite(value));

/**
 * The orders the rounds run the chains in, one after the other: a balanced Latin square (Williams)
 * of the four, so that each chain runs in each place, and right after each other chain, equally
 * often. A rotation alone (none, empty, pass-through, no-metrics; empty, pass-through, …) would
 * always run empty right after none, and whatever a run leaves to the next (a burst of garbage
 * collection, a cache) would fall on one side of the comparison only.
 */
const ORDERS: readonly (readonly HookChainId[])[] = [
  ['none', 'empty', 'no-metrics', 'pass-through'],
  ['empty', 'pass-through', 'none', 'no-metrics'],
  ['pass-through', 'no-metrics', 'empty', 'none'],
  ['no-metrics', 'none', 'pass-through', 'empty'],
];

/** The chains in the order round `round` (counted over the blocks) runs them. */
function orderOfRound(round: number): readonly HookChainId[] {
  return ORDERS[round % ORDERS.length]!;
}

interface HookCase {
  frontend: HookFrontend;
  chain: HookChainId;
  gateway: GatewayProcess;
  driver: LoadDriver;
}

/** What the benchmark gives the hook chain cases: how to start a gateway and a driver for it. */
export interface HookChainEnvironment {
  /** The repository, where `bench/hooks/` is. */
  repoRoot: string;
  /** Starts a gateway with these extra arguments, ready; the caller also stops it on a signal. */
  startGateway(extraArgs: readonly string[]): Promise<GatewayProcess>;
  driver(frontend: HookFrontend, baseUrl: string): LoadDriver;
  log(line: string): void;
}

const key = (frontend: HookFrontend, chain: HookChainId): string => `${frontend}/${chain}`;

/** Every block (three fresh gateways, every level), then each level's summary over all blocks. */
export async function runHookChains(settings: HookChainSettings, env: HookChainEnvironment): Promise<HookChainReport> {
  const probes: HookProbe[] = [];
  // Level -> `<frontend>/<chain>` -> runs.
  const runs = new Map<number, Map<string, HookRun[]>>(settings.concurrency.map((c) => [c, new Map()]));
  for (let block = 0; block < settings.blocks; block += 1) {
    const gateways: Array<{ chain: HookChainId; gateway: GatewayProcess }> = [];
    try {
      // Started (and warmed up) in an order that changes from block to block, so that no chain's gateway is always the first.
      for (const chain of orderOfRound(block)) gateways.push({ chain, gateway: await env.startGateway(hookChainArgs(chain, env.repoRoot)) });
      env.log(`hooks block ${block + 1}/${settings.blocks}: gateways ${gateways.map(({ chain, gateway }) => `${chain} pid ${gateway.pid}`).join(', ')}`);
      const cases: HookCase[] = HOOK_FRONTENDS.flatMap((frontend) =>
        gateways.map(({ chain, gateway }) => ({ frontend, chain, gateway, driver: env.driver(frontend, gateway.baseUrl) })),
      );
      for (const { frontend, chain, driver } of cases) {
        const probe = await driver.probe();
        probes.push({ block, frontend, chain, ...probe });
        if (!probe.ok) env.log(`!!! probe hooks ${key(frontend, chain)} (block ${block + 1}): ${probe.answer} (expected the echo of "hi"): its numbers will be flagged`);
      }
      const maxConcurrency = Math.max(...settings.concurrency);
      env.log(`hooks block ${block + 1}: warming up each gateway on each frontend for ${JIT_WARMUP_SECONDS} s at c=${maxConcurrency} (not measured)`);
      for (const { driver } of cases) {
        const load = await driver.open(maxConcurrency);
        try {
          await load.run(JIT_WARMUP_SECONDS);
        } finally {
          await load.close();
        }
      }
      for (const concurrency of settings.concurrency) await runLevel(block, concurrency, cases, settings, runs.get(concurrency)!, env.log);
    } finally {
      await Promise.all(gateways.map(({ gateway }) => gateway.stop()));
    }
  }
  const costs = HOOK_FRONTENDS.flatMap((frontend) =>
    (['empty', 'pass-through', 'no-metrics'] as const).map((chain): HookChainCost => {
      const pairs = settings.concurrency.flatMap((concurrency) => pairsOf(runs.get(concurrency)!, frontend, chain));
      const values = pairs.map(({ cost }) => cost);
      return {
        frontend,
        chain,
        pairs: pairs.length,
        costPercent: median(values),
        costCi95Percent: medianCi95(values),
        cpuPerCallChangePercent: median(finite(pairs.map(({ cpuChange }) => cpuChange))),
        valid: pairs.length > 0 && pairs.every(({ failed }) => !failed),
      };
    }),
  );
  return { settings, probes, levels: settings.concurrency.map((concurrency) => summarizeLevel(concurrency, runs.get(concurrency)!)), costs };
}

/** One level in one block: the loads opened and warmed up, then the rounds; the runs added to `runs`. */
async function runLevel(block: number, concurrency: number, cases: readonly HookCase[], settings: HookChainSettings, runs: Map<string, HookRun[]>, log: (line: string) => void): Promise<void> {
  const loads = new Map<string, { hookCase: HookCase; load: Load }>();
  try {
    for (const hookCase of cases) loads.set(key(hookCase.frontend, hookCase.chain), { hookCase, load: await hookCase.driver.open(concurrency) });
    log(`hooks block ${block + 1} c=${concurrency}: warm-up ${settings.warmupSeconds} s each, then ${settings.rounds} rounds of ${cases.length} runs of ${settings.seconds} s`);
    for (const { load } of loads.values()) await load.run(settings.warmupSeconds);
    for (let round = 0; round < settings.rounds; round += 1) {
      for (const frontend of HOOK_FRONTENDS) {
        for (const [position, chain] of orderOfRound(block * settings.rounds + round).entries()) {
          const open = loads.get(key(frontend, chain));
          if (!open) throw new Error(`no gateway for the ${chain} chain on ${frontend}`);
          const { gateway } = open.hookCase;
          const measurement = await measureRun(open.load, { gateway, upstreamPid: gateway.upstreamPid }, { warmupSeconds: 0, seconds: settings.seconds });
          const list = runs.get(key(frontend, chain)) ?? [];
          list.push({ block, round, position, gatewayPid: gateway.pid, measurement });
          runs.set(key(frontend, chain), list);
          const failed = failureCount(measurement.run);
          if (failed > 0) log(`!!! hooks c=${concurrency} ${HOOK_FRONTEND_LABEL[frontend]} ${HOOK_CHAIN_INFO[chain].label}: ${failed} FAILED calls (first: ${measurement.run.failures.sample ?? 'n/a'})`);
        }
      }
    }
  } finally {
    await Promise.all([...loads.values()].map(({ load }) => load.close()));
  }
}

/** Each chain against no hooks, round by round, over every block. */
function summarizeLevel(concurrency: number, runs: Map<string, HookRun[]>): HookLevelResult {
  const frontends = HOOK_FRONTENDS.map(
    (frontend): HookFrontendResult => ({
      frontend,
      chains: HOOK_CHAINS.map((chain): HookChainSummary => {
        const own = runs.get(key(frontend, chain)) ?? [];
        const pairs = chain === 'none' ? [] : pairsOf(runs, frontend, chain);
        const costs = pairs.map(({ cost }) => cost);
        const blocks = [...new Set(pairs.map(({ block }) => block))].sort((a, b) => a - b);
        return {
          chain,
          runs: own,
          medianCallsPerSecond: median(own.map((run) => run.measurement.run.callsPerSecond)),
          medianP50Ms: median(own.map((run) => run.measurement.run.latency.p50Ms)),
          medianGatewayCpuMsPerCall: median(finite(own.map((run) => run.measurement.gatewayCpuMsPerCall ?? Number.NaN))),
          costPercent: costs.length > 0 ? median(costs) : null,
          costCi95Percent: costs.length > 0 ? medianCi95(costs) : null,
          pairs: costs.length,
          blockCostsPercent: costs.length > 0 ? blocks.map((block) => median(pairs.filter((pair) => pair.block === block).map(({ cost }) => cost))) : null,
          cpuPerCallChangePercent: costs.length > 0 ? median(finite(pairs.map(({ cpuChange }) => cpuChange))) : null,
          failures: own.reduce((sum, run) => sum + failureCount(run.measurement.run), 0),
        };
      }),
    }),
  );
  return { concurrency, frontends };
}
