/**
 * `npm run soak`: a bounded soak test of the real `mcpgate` command under load and chaos.
 *
 * 1. Start `mcpgate --config <tmp config> --port 0` with real stdio servers (see `config.ts`),
 *    wait for `/readyz`, and probe every kind of call once on every frontend.
 * 2. Warm-up: the same load and chaos as the measured phase, for `--warmup` seconds; then the load
 *    stops, sessions are ended, every server is ready again, and after a quiet period (a readiness
 *    probe a second, until V8 has given back its spare heap, at most `--idle` seconds) the
 *    baseline RSS and descriptor count are read (why after a warm-up: `resources.ts`; why the
 *    quiet period is what it is: `quiet.ts`).
 * 3. Load: `--clients` clients (half REST, half MCP SDK clients on `/mcp` and `/{server}/mcp`)
 *    for `--duration` seconds, while the chaos loop SIGKILLs a child of the gateway every
 *    `--chaos-interval` seconds. Every request is classified (`outcomes.ts`).
 * 4. Settle: the load stops, sessions are ended; in the same kind of quiet period, RSS and
 *    descriptors must come back within bounds within `--settle` seconds, and every server must be
 *    ready.
 * 5. Stop: SIGTERM; the gateway must exit with code 0 and leave no process it ever had below it.
 *
 * Prints the summary (and, with `--json`, the same as JSON) on stdout, progress on stderr.
 * Exit code: 0 PASS, 1 FAIL, 2 the soak test could not run (bad options, no gateway, failed probe).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChaosLoop } from './chaos.js';
import { SERVERS, writeGatewayConfig } from './config.js';
import { GatewayProcess, readiness, waitUntilReady, type Readiness } from './gateway.js';
import { heapStats } from './heap.js';
import { clientPlan, probe, runLoad, type LoadSettings } from './load.js';
import { backgroundErrors, type McpClientStats } from './mcp-client.js';
import { parseSoakOptions, UsageError, USAGE, type SoakOptions } from './options.js';
import { Tally } from './outcomes.js';
import { ProcessTracker } from './process-tracker.js';
import { heapReturned, quietUntil } from './quiet.js';
import { baselineOf, fdSlack, PeakSampler, read, rssLimitKiB, waitToSettle } from './resources.js';
import { failureReasons, formatReport, requestSection, type SoakReport, type TimelinePoint } from './report.js';

const startedAt = Date.now();

/** The shortest quiet before the baseline: sessions closing and children restarting after the warm-up are done by then. */
const MIN_QUIET_SECONDS = 5;

function progress(line: string): void {
  process.stderr.write(`[soak ${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${line}\n`);
}

/** The run could not be carried out (as opposed to a run that found problems). */
class SetupError extends Error {}

/** SIGKILL, for processes that may have ended already. */
function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

function restartCounts(status: Readiness): Record<string, number> {
  return Object.fromEntries(status.upstreams.map((upstream) => [upstream.name, upstream.restarts]));
}

async function run(options: SoakOptions): Promise<number> {
  const runId = randomUUID();
  const dir = await mkdtemp(join(tmpdir(), 'mcpgate-soak-'));
  const configPath = await writeGatewayConfig(dir, runId);
  const gateway = new GatewayProcess(configPath, join(dir, 'gateway.log'));
  const tracker = new ProcessTracker(gateway.pid, runId);
  tracker.start();

  // Ctrl-C during a run: stop the gateway and anything it left, then leave.
  const interrupted = async (): Promise<void> => {
    progress('interrupted: stopping the gateway');
    await gateway.stop(5_000);
    tracker.stop();
    for (const child of tracker.leftovers()) killQuietly(child.pid);
    process.exit(2);
  };
  process.once('SIGINT', () => void interrupted());
  process.once('SIGTERM', () => void interrupted());

  try {
    const url = await gateway.url();
    progress(`gateway pid ${gateway.pid} listening on ${url}; log: ${gateway.logPath}`);
    const target = { pid: gateway.pid, port: Number(new URL(url).port) };
    const settings: LoadSettings = { baseUrl: url, clients: options.clients, timeoutMs: options.requestTimeoutSeconds * 1000 };
    const firstReady = await waitUntilReady(url, 60_000);
    if (!firstReady.ready) throw new SetupError(`/readyz did not answer 200 within 60 s: ${JSON.stringify(firstReady.last)}`);
    const problems = await probe(settings);
    if (problems.length > 0) throw new SetupError(`the probe calls failed:\n  ${problems.join('\n  ')}`);
    progress('probe: every kind of call answered correctly on REST, /mcp and each /{server}/mcp');

    const tally = new Tally();
    const mcpStats: McpClientStats = { reopened: 0 };
    const restartsBefore = restartCounts(await readiness(url));
    const chaos = new ChaosLoop(tracker, new Set<string>(Object.values(SERVERS)), url, options.chaosIntervalSeconds * 1000, startedAt, progress);

    progress(`warm-up: ${options.warmupSeconds} s of load${options.chaosIntervalSeconds > 0 ? ' and chaos' : ''}`);
    chaos.start();
    await runLoad(settings, options.warmupSeconds, tally, mcpStats);
    await chaos.stop();
    const readyAgain = await waitUntilReady(url, 30_000);
    if (!readyAgain.ready) throw new SetupError(`/readyz did not answer 200 within 30 s of the warm-up: ${JSON.stringify(readyAgain.last)}`);
    progress(`warm-up done; quiet (a readiness probe a second) until V8 has given back its spare heap, at most ${options.idleSeconds} s`);
    const quiet = await quietUntil(url, MIN_QUIET_SECONDS, options.idleSeconds, async () => (await heapReturned(url)) !== false);
    const baseline = await baselineOf(target);
    const baselineHeap = await heapStats(url);
    progress(`baseline: RSS ${(baseline.rssKiB / 1024).toFixed(1)} MiB, ${baseline.ownFds} descriptors of its own (+${baseline.connections} client connections)`);

    progress(`load: ${options.durationSeconds} s, ${options.clients} clients${options.chaosIntervalSeconds > 0 ? `, a kill every ${options.chaosIntervalSeconds} s` : ''}`);
    const sampler = new PeakSampler(target);
    sampler.start();
    chaos.start();
    // Every 15 s: progress, and a point of the memory timeline (is RSS climbing, or flat?).
    const loadStartedAt = Date.now();
    const timeline: TimelinePoint[] = [];
    const progressTimer = setInterval(() => {
      const total = tally.total();
      const reading = read(target);
      void heapStats(url).then((heap) => {
        if (reading) timeline.push({ atSeconds: Math.round((Date.now() - loadStartedAt) / 1000), rssKiB: reading.rssKiB, ownFds: reading.ownFds, heapUsedKiB: heap?.usedKiB });
      });
      const memory = reading ? `; RSS ${(reading.rssKiB / 1024).toFixed(1)} MiB, ${reading.ownFds} own descriptors` : '';
      progress(`${total.requests} requests: ${total.ok} ok, ${total.clear} clear, ${total.unclear} unclear, ${total.hang} hangs; ${chaos.kills.length} kills${memory}`);
    }, 15_000);
    await runLoad(settings, options.durationSeconds, tally, mcpStats);
    clearInterval(progressTimer);
    sampler.stop();
    await chaos.stop();

    progress(`load done; waiting up to ${options.settleSeconds} s for memory and descriptors to come back`);
    const settled = await waitToSettle(target, baseline, options.settleSeconds, async () => (await readiness(url)).status === 200);
    const endHeapReturned = await heapReturned(url);
    const endHeap = await heapStats(url);
    const atEnd = await readiness(url);
    const restartsAfter = restartCounts(atEnd);
    tracker.scan();

    progress('stopping the gateway (SIGTERM)');
    const stopped = await gateway.stop(20_000);
    tracker.stop();
    // A child being killed as the gateway exits may need a moment to be gone; give it 3 s.
    let leftBehind = tracker.leftovers();
    for (let waited = 0; leftBehind.length > 0 && waited < 3_000; waited += 100) {
      await sleep(100);
      leftBehind = tracker.leftovers();
    }

    const plan = clientPlan(options.clients);
    const partial: Omit<SoakReport, 'verdict' | 'reasons'> = {
      settings: {
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        idleSeconds: options.idleSeconds,
        settleSeconds: options.settleSeconds,
        clients: options.clients,
        restClients: plan.rest,
        mcpEndpoints: plan.mcp.map((endpoint) => endpoint.path),
        chaosIntervalSeconds: options.chaosIntervalSeconds,
        requestTimeoutSeconds: options.requestTimeoutSeconds,
      },
      wallSeconds: (Date.now() - startedAt) / 1000,
      requests: requestSection(tally),
      failures: { clear: tally.messages('clear'), unclear: tally.messages('unclear'), hang: tally.messages('hang') },
      mcp: {
        sessionsReopened: mcpStats.reopened,
        errorsOutsideCalls: [...backgroundErrors.entries()].map(([message, count]) => ({ message, count })).sort((a, b) => b.count - a.count),
      },
      chaos: {
        kills: chaos.kills,
        restartsReported: Object.fromEntries(Object.entries(restartsAfter).map(([server, count]) => [server, count - (restartsBefore[server] ?? 0)])),
      },
      resources: {
        baseline,
        peakRssKiB: sampler.peakRssKiB,
        peakFds: sampler.peakFds,
        peakOwnFds: sampler.peakOwnFds,
        peakConnections: sampler.peakConnections,
        highWaterKiB: sampler.highWaterKiB(),
        end: settled.end,
        settleSeconds: settled.seconds,
        rssLimitKiB: rssLimitKiB(baseline),
        fdRange: [baseline.ownFds - fdSlack(baseline), baseline.ownFds + fdSlack(baseline)],
        rssOk: settled.rssOk,
        fdsOk: settled.fdsOk,
        heap: { baseline: baselineHeap, end: endHeap },
        quietSeconds: quiet.seconds,
        baselineHeapReturned: quiet.done ? (baselineHeap === undefined ? undefined : true) : false,
        endHeapReturned,
        timeline,
      },
      gateway: {
        pid: gateway.pid,
        url,
        readyAtEnd: settled.ready || atEnd.status === 200,
        exit: { ...stopped.status, seconds: stopped.ms / 1000, forced: stopped.forced },
        logProblems: [...gateway.problems.entries()]
          .map(([message, problem]) => ({ message, ...problem }))
          .sort((a, b) => b.count - a.count),
        logPath: undefined,
      },
      children: {
        everSeen: tracker.everSeen,
        leftBehind: leftBehind.map(({ pid, server, command }) => ({ pid, server, command })),
      },
    };
    const reasons = failureReasons(partial);
    const verdict = reasons.length === 0 ? 'PASS' : 'FAIL';
    const keep = verdict === 'FAIL' || options.keepLogs;
    const report: SoakReport = { verdict, reasons, ...partial, gateway: { ...partial.gateway, logPath: keep ? gateway.logPath : undefined } };

    process.stdout.write(formatReport(report));
    if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    // What the gateway left is reported above; do not leave it running on this machine too.
    for (const child of leftBehind) killQuietly(child.pid);
    if (!keep) await rm(dir, { recursive: true, force: true });
    return verdict === 'PASS' ? 0 : 1;
  } catch (error) {
    // A SetupError says what is wrong in words; anything else is a bug of the soak test: show the stack.
    const message = error instanceof SetupError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`soak test could not run: ${message}\n--- last lines of the gateway's log (${gateway.logPath}):\n${gateway.lastLines()}\n`);
    await gateway.stop(5_000);
    tracker.stop();
    for (const child of tracker.leftovers()) killQuietly(child.pid);
    return 2;
  }
}

async function main(): Promise<number> {
  let options: SoakOptions | undefined;
  try {
    options = parseSoakOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  return run(options);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak test failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
