/**
 * The soak test's result: the verdict and its reasons, and the summary a person reads (text) or
 * a program reads (`--json`).
 *
 * @module
 */
import type { Kill } from './chaos.js';
import type { ExitStatus } from './gateway.js';
import type { HeapStats } from './heap.js';
import { FRONTENDS, percentile, type Counts, type Frontend, type MessageGroup, type Tally } from './outcomes.js';
import type { TrackedProcess } from './process-tracker.js';
import type { Reading } from './resources.js';

/** The gateway's memory at one moment of the measured load. */
export interface TimelinePoint {
  atSeconds: number;
  rssKiB: number;
  ownFds: number;
  heapUsedKiB: number | undefined;
}

export interface SoakReport {
  verdict: 'PASS' | 'FAIL';
  /** Why it failed (empty on PASS). */
  reasons: string[];
  settings: {
    durationSeconds: number;
    warmupSeconds: number;
    idleSeconds: number;
    settleSeconds: number;
    clients: number;
    restClients: number;
    mcpEndpoints: string[];
    chaosIntervalSeconds: number;
    requestTimeoutSeconds: number;
  };
  wallSeconds: number;
  requests: {
    total: Counts;
    byFrontend: Array<Counts & { frontend: Frontend; p50Ms?: number; p95Ms?: number; p99Ms?: number; maxMs?: number }>;
    byKind: Array<Counts & { kind: string }>;
  };
  failures: { clear: MessageGroup[]; unclear: MessageGroup[]; hang: MessageGroup[] };
  mcp: { sessionsReopened: number; errorsOutsideCalls: Array<{ message: string; count: number }> };
  chaos: {
    kills: Kill[];
    /** Restarts `/readyz` counted per server over the run. */
    restartsReported: Record<string, number>;
  };
  resources: {
    baseline: Reading;
    peakRssKiB: number;
    peakFds: number;
    peakOwnFds: number;
    peakConnections: number;
    highWaterKiB: number | undefined;
    end: Reading;
    settleSeconds: number;
    rssLimitKiB: number;
    /** Allowed range of the gateway's own descriptors (client connections not counted). */
    fdRange: [number, number];
    rssOk: boolean;
    fdsOk: boolean;
    /** The V8 heap from the gateway's `/metrics`, when it serves them (not judged). */
    heap: { baseline: HeapStats | undefined; end: HeapStats | undefined };
    /** Seconds of quiet before the baseline. */
    quietSeconds: number;
    /** Whether V8 had given back its spare heap at the baseline / at the end (undefined: no `/metrics`). */
    baselineHeapReturned: boolean | undefined;
    endHeapReturned: boolean | undefined;
    /** Every 15 s of the measured load. */
    timeline: TimelinePoint[];
  };
  gateway: {
    pid: number;
    url: string;
    readyAtEnd: boolean;
    exit: ExitStatus & { seconds: number; forced: boolean };
    logProblems: Array<{ level: string; message: string; count: number; example: string }>;
    logPath: string | undefined;
  };
  children: { everSeen: number; leftBehind: Array<Pick<TrackedProcess, 'pid' | 'server' | 'command'>> };
}

/** Latency percentiles and counts per frontend, from the tally. */
export function requestSection(tally: Tally): SoakReport['requests'] {
  const round = (value: number | undefined): number | undefined => (value === undefined ? undefined : Math.round(value * 100) / 100);
  return {
    total: tally.total(),
    byFrontend: FRONTENDS.filter((frontend) => tally.byFrontend.has(frontend)).map((frontend) => {
      const latencies = tally.latencies.get(frontend) ?? [];
      return {
        frontend,
        ...tally.byFrontend.get(frontend)!,
        p50Ms: round(percentile(latencies, 50)),
        p95Ms: round(percentile(latencies, 95)),
        p99Ms: round(percentile(latencies, 99)),
        maxMs: round(tally.slowest.get(frontend)),
      };
    }),
    byKind: [...tally.byKind.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([kind, counts]) => ({ kind, ...counts })),
  };
}

/** The verdict's reasons: every check that did not hold. */
export function failureReasons(report: Omit<SoakReport, 'verdict' | 'reasons'>): string[] {
  const reasons: string[] = [];
  const { total } = report.requests;
  if (total.hang > 0) reasons.push(`${total.hang} request(s) hung past the ${report.settings.requestTimeoutSeconds} s timeout`);
  if (total.unclear > 0) reasons.push(`${total.unclear} unclear failure(s)`);
  if (total.ok === 0) reasons.push('no request succeeded');
  const { resources } = report;
  if (!resources.rssOk) {
    reasons.push(`RSS did not come back: ${mib(resources.end.rssKiB)} after ${Math.round(resources.settleSeconds)} s, limit ${mib(resources.rssLimitKiB)} (baseline ${mib(resources.baseline.rssKiB)})`);
  }
  if (!resources.fdsOk) {
    reasons.push(
      `open descriptors did not come back: ${resources.end.ownFds} of the gateway's own, allowed ${resources.fdRange[0]}–${resources.fdRange[1]} (baseline ${resources.baseline.ownFds})`,
    );
  }
  const lost = report.chaos.kills.filter((kill) => kill.recovered === false);
  if (lost.length > 0) reasons.push(`${lost.length} killed server(s) not ready again within 30 s: ${lost.map((kill) => kill.server).join(', ')}`);
  if (!report.gateway.readyAtEnd) reasons.push('/readyz did not answer 200 after the load');
  const { exit } = report.gateway;
  if (exit.forced) reasons.push(`the gateway did not exit within ${Math.round(exit.seconds)} s of SIGTERM (killed)`);
  else if (exit.code !== 0) reasons.push(`the gateway exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`} after SIGTERM, not 0`);
  if (report.children.leftBehind.length > 0) {
    reasons.push(`${report.children.leftBehind.length} child process(es) left behind: ${report.children.leftBehind.map((child) => `${child.pid} (${child.server})`).join(', ')}`);
  }
  return reasons;
}

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

function ms(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 2 : 0)} ms`;
}

function pad(text: string | number, width: number, left = false): string {
  const value = String(text);
  return left ? value.padEnd(width) : value.padStart(width);
}

function duration(seconds: number): string {
  const whole = Math.round(seconds);
  return whole >= 60 ? `${Math.floor(whole / 60)} min ${whole % 60} s` : `${whole} s`;
}

function messageLines(groups: MessageGroup[], limit: number): string[] {
  const lines = groups.slice(0, limit).map((group) => `  ${pad(group.count, 7)}  ${group.example.slice(0, 240)}`);
  if (groups.length > limit) lines.push(`  … and ${groups.length - limit} more kinds (${groups.slice(limit).reduce((sum, group) => sum + group.count, 0)} failures)`);
  return lines;
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return [...counts.entries()].map(([key, count]) => `${key} ×${count}`).join(', ');
}

/** The summary as text. */
export function formatReport(report: SoakReport): string {
  const { settings, requests, failures, chaos, resources, gateway, children } = report;
  const lines: string[] = [];
  const endpoints = countBy(settings.mcpEndpoints, (path) => path);
  lines.push(`mcpgate soak test: ${report.verdict}`);
  lines.push(
    `  load         ${duration(settings.durationSeconds)} measured after ${duration(settings.warmupSeconds)} of warm-up; ${settings.clients} clients: ` +
      `${settings.restClients} REST, ${settings.mcpEndpoints.length} MCP (${endpoints || 'none'})`,
  );
  lines.push(`  timeout      ${settings.requestTimeoutSeconds} s per request (an answer later than that is a hang)`);
  lines.push(
    `  chaos        ${settings.chaosIntervalSeconds > 0 ? `SIGKILL one child of the gateway every ${settings.chaosIntervalSeconds} s` : 'off'}`,
  );
  lines.push(`  wall time    ${duration(report.wallSeconds)}`);
  lines.push('');

  lines.push('requests (warm-up and measured load together)');
  lines.push(`  ${pad('frontend', 15, true)}${pad('requests', 10)}${pad('ok', 10)}${pad('clear', 8)}${pad('unclear', 9)}${pad('hangs', 7)}${pad('p50', 10)}${pad('p95', 10)}${pad('p99', 10)}${pad('max', 10)}`);
  for (const row of requests.byFrontend) {
    lines.push(
      `  ${pad(row.frontend, 15, true)}${pad(row.requests, 10)}${pad(row.ok, 10)}${pad(row.clear, 8)}${pad(row.unclear, 9)}${pad(row.hang, 7)}` +
        `${pad(ms(row.p50Ms), 10)}${pad(ms(row.p95Ms), 10)}${pad(ms(row.p99Ms), 10)}${pad(ms(row.maxMs), 10)}`,
    );
  }
  const total = requests.total;
  lines.push(`  ${pad('total', 15, true)}${pad(total.requests, 10)}${pad(total.ok, 10)}${pad(total.clear, 8)}${pad(total.unclear, 9)}${pad(total.hang, 7)}`);
  lines.push('  (latency of every answered request, failures included; max is the slowest answer)');
  lines.push('');
  lines.push('  by kind');
  for (const row of requests.byKind) {
    lines.push(`    ${pad(row.kind, 40, true)}${pad(row.requests, 9)} requests ${pad(row.ok, 9)} ok ${pad(row.clear, 6)} clear ${pad(row.unclear, 4)} unclear ${pad(row.hang, 4)} hangs`);
  }
  lines.push('');

  lines.push(`clear failures: ${total.clear}${total.clear > 0 ? ' (an HTTP 5xx or MCP error with a message; expected while children are killed), most frequent first:' : ''}`);
  lines.push(...messageLines(failures.clear, 8));
  lines.push(`unclear failures: ${total.unclear}${total.unclear > 0 ? ':' : ''}`);
  lines.push(...messageLines(failures.unclear, 12));
  lines.push(`hangs: ${total.hang}${total.hang > 0 ? ':' : ''}`);
  lines.push(...messageLines(failures.hang, 12));
  lines.push(`MCP sessions opened again after a failure: ${report.mcp.sessionsReopened}`);
  if (report.mcp.errorsOutsideCalls.length > 0) {
    lines.push('errors the MCP clients reported outside any call (their GET streams; not judged):');
    for (const error of report.mcp.errorsOutsideCalls.slice(0, 5)) lines.push(`  ${pad(error.count, 7)}  ${error.message}`);
  }
  lines.push('');

  const supervised = chaos.kills.filter((kill) => kill.role === 'supervised');
  const sessions = chaos.kills.filter((kill) => kill.role === 'session');
  lines.push(`chaos: ${chaos.kills.length} kills (${supervised.length} supervised children, ${sessions.length} per-session children)`);
  if (chaos.kills.length > 0) lines.push(`  killed: ${countBy(chaos.kills, (kill) => `${kill.server} ${kill.role}`)}`);
  if (supervised.length > 0) {
    const recovered = supervised.filter((kill) => kill.recovered === true);
    const times = recovered.map((kill) => kill.recoveredMs ?? 0);
    lines.push(
      `  supervised children ready again (new pid): ${recovered.length} of ${supervised.length}` +
        (times.length > 0 ? `, after p50 ${ms(percentile(times, 50))}, max ${ms(Math.max(...times))}` : ''),
    );
  }
  const restarts = Object.entries(chaos.restartsReported);
  lines.push(`  restarts reported by /readyz: ${restarts.length > 0 ? restarts.map(([server, count]) => `${server} ${count}`).join(', ') : 'none'}`);
  lines.push('');

  lines.push(`gateway process (pid ${gateway.pid})`);
  lines.push(`  ${pad('', 12, true)}${pad('RSS', 12)}${pad('own fds', 10)}${pad('+ client conns', 16)}`);
  const row = (label: string, rss: string, own: string | number, connections: string | number, note: string): string =>
    `  ${pad(label, 12, true)}${pad(rss, 12)}${pad(own, 10)}${pad(connections, 16)}   ${note}`;
  const returned = (value: boolean | undefined): string =>
    value === undefined ? '' : value ? '; V8 had given back its spare heap' : '; V8 had NOT given back its spare heap yet';
  lines.push(
    row(
      'baseline',
      mib(resources.baseline.rssKiB),
      resources.baseline.ownFds,
      resources.baseline.connections,
      `after the warm-up and ${Math.round(resources.quietSeconds)} s quiet${returned(resources.baselineHeapReturned)}`,
    ),
  );
  lines.push(
    row(
      'peak',
      mib(resources.peakRssKiB),
      resources.peakOwnFds,
      resources.peakConnections,
      `sampled every 0.5 s under load${resources.highWaterKiB === undefined ? '' : ` (RSS high-water mark since start ${mib(resources.highWaterKiB)})`}`,
    ),
  );
  lines.push(
    row('end', mib(resources.end.rssKiB), resources.end.ownFds, resources.end.connections, `after the load and ${Math.round(resources.settleSeconds)} s quiet${returned(resources.endHeapReturned)}`),
  );
  lines.push(row('allowed', `≤ ${mib(resources.rssLimitKiB)}`, `${resources.fdRange[0]}–${resources.fdRange[1]}`, '(not judged)', ''));
  lines.push(row('verdict', resources.rssOk ? 'ok' : 'NOT BACK', resources.fdsOk ? 'ok' : 'NOT BACK', '', ''));
  if (resources.timeline.length > 0) {
    const points = resources.timeline.map((point) => `${point.atSeconds} s ${(point.rssKiB / 1024).toFixed(0)}`).join(', ');
    lines.push(`  RSS during the load (MiB): ${points}`);
  }
  const { heap } = resources;
  if (heap.baseline && heap.end) {
    const change = (from: number, to: number): string => `${mib(from)} → ${mib(to)}`;
    lines.push(
      `  V8 heap (the gateway's /metrics), baseline → end: used ${change(heap.baseline.usedKiB, heap.end.usedKiB)}, ` +
        `total ${change(heap.baseline.totalKiB, heap.end.totalKiB)}, external ${change(heap.baseline.externalKiB, heap.end.externalKiB)}`,
    );
  }
  const kinds = (reading: Reading): string => Object.entries(reading.fdKinds).map(([kind, count]) => `${kind} ${count}`).join(', ');
  lines.push(`  descriptors at baseline: ${kinds(resources.baseline)}; at the end: ${kinds(resources.end)}`);
  lines.push(`  /readyz after the load: ${gateway.readyAtEnd ? '200, every server ready' : 'NOT ready'}`);
  lines.push(
    `  exit after SIGTERM: ${gateway.exit.signal ? `signal ${gateway.exit.signal}` : `code ${gateway.exit.code}`} in ${gateway.exit.seconds.toFixed(1)} s` +
      (gateway.exit.forced ? ' (did not stop in time: SIGKILLed)' : ''),
  );
  const warnings = gateway.logProblems.reduce((sum, problem) => sum + problem.count, 0);
  lines.push(`  log: ${warnings} warnings and errors${warnings > 0 ? ', most frequent:' : ''}`);
  for (const problem of gateway.logProblems.slice(0, 5)) lines.push(`  ${pad(problem.count, 7)}  ${problem.message.slice(0, 200)}`);
  if (gateway.logPath) lines.push(`  full log: ${gateway.logPath}`);
  lines.push('');

  lines.push(`child processes: ${children.everSeen} seen below the gateway during the run, ${children.leftBehind.length} left behind after it exited`);
  for (const child of children.leftBehind) lines.push(`  pid ${child.pid} (${child.server}): ${child.command}`);
  lines.push('');

  lines.push(report.verdict === 'PASS' ? 'PASS' : `FAIL: ${report.reasons.join('; ')}`);
  return `${lines.join('\n')}\n`;
}
