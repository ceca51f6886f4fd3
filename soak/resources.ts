/**
 * The gateway process's resident memory and open descriptors: a baseline, the peak under load,
 * and whether they come back to the baseline after the load.
 *
 * Why the baseline is read after a warm-up and not at start-up: a fresh gateway has not yet
 * compiled its hot code (V8 compiles and optimises functions as they get used, and keeps the
 * code), has not built what it builds on first use (each tool's compiled argument validator, the
 * catalog indexes, the SDK's schemas, Node internals loaded on demand), and its V8 heap has not
 * grown to its working size (old space and semi-spaces grow under load and are given back slowly,
 * if at all). All of that is a one-time cost, not a leak, and it would show as growth against
 * a start-up reading. So the same load runs first, then stops, the clients end their sessions,
 * and the baseline is read after a quiet period (`quiet.ts`): the gateway serves nothing but has
 * done everything once. The reading after the load is taken the same way (load stopped, sessions
 * ended, the same kind of quiet period), so both describe the same idle state.
 *
 * Client connections are counted apart. The gateway keeps idle HTTP connections for 65 s, and
 * the clients' `fetch` keeps them as long as the server's `Keep-Alive` header allows, so how many
 * are open at a reading depends on the clients' connection pool, not on the gateway. The
 * descriptors judged are the gateway's own: every open descriptor except the TCP connections it
 * accepted on its port that are still established (a connection the client closed and the
 * gateway did not, CLOSE_WAIT, is the gateway's and is counted).
 *
 * The bounds: RSS may be at most 10% above the baseline (less is fine: V8 may have returned
 * memory), and the gateway's own descriptors within ±10% of the baseline or ±3, whichever is
 * larger (a gateway holds a few dozen, where 10% is two or three).
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { acceptedConnectionInodes, fdKinds, peakRssKiB, rssKiB } from './proc.js';

/** The gateway process and the port it listens on. */
export interface Target {
  pid: number;
  port: number;
}

export interface Reading {
  rssKiB: number;
  /** Every open descriptor. */
  fds: number;
  /** Of those, the established connections clients opened to the gateway's port. */
  connections: number;
  /** `fds - connections`: the descriptors that are the gateway's own (judged). */
  ownFds: number;
  /** Descriptors by kind (connection, socket, pipe, anon_inode, …), to say what a difference is. */
  fdKinds: Record<string, number>;
}

export const RSS_TOLERANCE = 0.1;
export const FD_TOLERANCE = 0.1;
export const FD_MIN_SLACK = 3;

export function read(target: Target): Reading | undefined {
  const rss = rssKiB(target.pid);
  if (rss === undefined) return undefined;
  const kinds = fdKinds(target.pid, acceptedConnectionInodes(target.pid, target.port));
  const fds = Object.values(kinds).reduce((sum, count) => sum + count, 0);
  const connections = kinds.connection ?? 0;
  return { rssKiB: rss, fds, connections, ownFds: fds - connections, fdKinds: kinds };
}

/** The median of three readings a second apart (by RSS), so one reading in the middle of a GC does not decide. */
export async function baselineOf(target: Target): Promise<Reading> {
  const readings: Reading[] = [];
  for (let index = 0; index < 3; index++) {
    if (index > 0) await sleep(1_000);
    const reading = read(target);
    if (!reading) throw new Error(`the gateway (pid ${target.pid}) is gone`);
    readings.push(reading);
  }
  const byRss = [...readings].sort((a, b) => a.rssKiB - b.rssKiB)[1]!;
  const byFds = [...readings].sort((a, b) => a.ownFds - b.ownFds)[1]!;
  return { ...byFds, rssKiB: byRss.rssKiB };
}

export function rssLimitKiB(baseline: Reading): number {
  return baseline.rssKiB * (1 + RSS_TOLERANCE);
}

export function fdSlack(baseline: Reading): number {
  return Math.max(FD_MIN_SLACK, Math.ceil(baseline.ownFds * FD_TOLERANCE));
}

export function rssWithin(baseline: Reading, reading: Reading): boolean {
  return reading.rssKiB <= rssLimitKiB(baseline);
}

export function fdsWithin(baseline: Reading, reading: Reading): boolean {
  return Math.abs(reading.ownFds - baseline.ownFds) <= fdSlack(baseline);
}

/** Samples the gateway every `intervalMs` while the load runs: the highest RSS and descriptor counts seen. */
export class PeakSampler {
  peakRssKiB = 0;
  peakFds = 0;
  peakOwnFds = 0;
  peakConnections = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: Target,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** The kernel's own high-water mark of the RSS (VmHWM) since the gateway started, warm-up included. */
  highWaterKiB(): number | undefined {
    return peakRssKiB(this.target.pid);
  }

  private sample(): void {
    const reading = read(this.target);
    if (!reading) return;
    this.peakRssKiB = Math.max(this.peakRssKiB, reading.rssKiB);
    this.peakFds = Math.max(this.peakFds, reading.fds);
    this.peakOwnFds = Math.max(this.peakOwnFds, reading.ownFds);
    this.peakConnections = Math.max(this.peakConnections, reading.connections);
  }
}

export interface Settled {
  /** The last reading taken. */
  end: Reading;
  /** Seconds from the first reading to the one within bounds (or to giving up). */
  seconds: number;
  rssOk: boolean;
  fdsOk: boolean;
  /** Whether `/readyz` answered 200 at the last reading. */
  ready: boolean;
}

/**
 * Reads every second, up to `timeoutSeconds`, until RSS and descriptors are within bounds and
 * the gateway is ready; returns the last reading. `probeReady` is called every second whatever
 * the readings say: it is the readiness probe of the quiet period (see `quiet.ts`).
 */
export async function waitToSettle(target: Target, baseline: Reading, timeoutSeconds: number, probeReady: () => Promise<boolean>): Promise<Settled> {
  const started = performance.now();
  for (;;) {
    const ready = await probeReady();
    const end = read(target);
    if (!end) throw new Error(`the gateway (pid ${target.pid}) is gone`);
    const rssOk = rssWithin(baseline, end);
    const fdsOk = fdsWithin(baseline, end);
    const seconds = (performance.now() - started) / 1000;
    if ((rssOk && fdsOk && ready) || seconds >= timeoutSeconds) return { end, seconds, rssOk, fdsOk, ready };
    await sleep(1_000);
  }
}
