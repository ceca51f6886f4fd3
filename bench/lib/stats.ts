/**
 * Summary of one measured run, the same shape for both paths so the report compares like with like.
 *
 * @module
 */
import type { PathId } from './paths.js';

export interface LatencySummary {
  /** Successful calls whose latency was recorded. */
  count: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

export interface RunResult {
  path: PathId;
  concurrency: number;
  /** Wall-clock length of the measured window, in seconds. */
  seconds: number;
  /** Calls that completed successfully (REST: 2xx with the expected body; direct: the expected result). */
  ok: number;
  /** Successful calls per second over the window. */
  callsPerSecond: number;
  /** Every answer in the window, failures included: what the gateway's CPU time is divided by. */
  responses: number;
  latency: LatencySummary;
  /** Everything that went wrong; all zero in a valid run. */
  failures: {
    /** REST: responses that were not 2xx. Other paths: results with `isError` or unexpected content. */
    badResponses: number;
    /** REST: 2xx whose body was not the expected one. */
    mismatches: number;
    /** Socket errors (REST), thrown calls and JSON-RPC errors (other paths); timeouts apart. */
    errors: number;
    timeouts: number;
    /** Status code -> count, REST only. */
    statusCodes: Record<string, number>;
    /** The first unexpected answer seen, to show what went wrong. */
    sample?: string;
  };
}

export function failureCount(run: RunResult): number {
  const f = run.failures;
  return f.badResponses + f.mismatches + f.errors + f.timeouts;
}

/** Nearest-rank percentile of an ascending array (`p` in 0..100). */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** p50/p99/mean/max of latencies in milliseconds. */
export function summarize(latenciesMs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(latenciesMs).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: sorted.length > 0 ? sum / sorted.length : Number.NaN,
    maxMs: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}

/** An append-only list of numbers that grows without boxing every value. */
export class SampleBuffer {
  private data = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}
