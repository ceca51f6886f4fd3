/**
 * The quiet periods around the load, before the baseline and after the load: no clients, but a
 * readiness probe (`GET /readyz`) every second, as an orchestrator sends to a deployed gateway.
 *
 * Why the probe, and why the quiet can last up to a minute or more: V8 gives memory back only
 * from a garbage collection, and collects only when something allocates. Measured on this gateway
 * after 60 s of load: with no request at all, nothing is collected and RSS stays where the load
 * left it (198 MiB, flat for 90 s, the heap 119.5 MiB of which 65 used); with one probe per
 * second, V8's memory reducer runs after 35–55 s, the heap shrinks to its live size (36 MiB) and
 * RSS falls to 112 MiB. A heap snapshot (which collects first) after a two-minute soak with a
 * dozen kills held 35.3 MiB of objects against 35.4 MiB at the baseline, nothing of any kind grown: the
 * memory above that is heap V8 keeps, not objects the gateway keeps.
 *
 * So each quiet period lasts until V8 has given back its spare heap, which `/metrics` shows as the
 * heap's used part reaching `HEAP_RETURNED_RATIO` of its total (about 0.55–0.6 right after the
 * load; the reducer may work in steps, 0.75–0.85 after a first one, 0.94 at the end), or until its
 * time is up. The baseline and the end are then readings of the same state,
 * an idle gateway whose heap holds what it uses, and a leak of a few MiB is not hidden under tens
 * of MiB of heap that V8 returns at a moment of its own choosing.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readiness } from './gateway.js';
import { heapStats } from './heap.js';

/** Used / total above which the heap counts as given back (V8 keeps a little slack even then). */
export const HEAP_RETURNED_RATIO = 0.9;

/** Whether V8 has given back its spare heap; undefined when `/metrics` does not tell. */
export async function heapReturned(baseUrl: string): Promise<boolean | undefined> {
  const heap = await heapStats(baseUrl);
  return heap === undefined ? undefined : heap.usedKiB >= heap.totalKiB * HEAP_RETURNED_RATIO;
}

export interface Quiet {
  seconds: number;
  /** Whether `done` held when the quiet ended (false: the time ran out). */
  done: boolean;
}

/**
 * Probes `/readyz` every second for at least `minSeconds`, then until `done()` holds or
 * `maxSeconds` have passed.
 */
export async function quietUntil(baseUrl: string, minSeconds: number, maxSeconds: number, done: () => Promise<boolean>): Promise<Quiet> {
  const started = performance.now();
  for (;;) {
    await readiness(baseUrl);
    const seconds = (performance.now() - started) / 1000;
    if (seconds >= minSeconds && (await done())) return { seconds, done: true };
    if (seconds >= maxSeconds) return { seconds, done: false };
    await sleep(1_000);
  }
}
