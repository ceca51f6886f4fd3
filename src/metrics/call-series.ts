/**
 * Tool-call counts and latencies kept in plain numbers, turned into samples when Prometheus
 * scrapes.
 *
 * Why not prom-client's `inc` and `observe`: they hash and check the label object on every call,
 * the children `labels()` returns included (they keep the labels and hash them again), and
 * allocate as they go. At the rate a busy gateway answers calls that was the larger part of what
 * counting cost (decision 67 has the figures). Here a call finds its series with two map lookups (server,
 * then tool) and adds to numbers; what prom-client would have shown is built at scrape time, the
 * same samples under the same names.
 *
 * Bounded like the series themselves: server names come from the config and tool names from the
 * servers' catalogs (a made-up name is counted as `(unknown)` before it gets here).
 *
 * @module
 */
import type { CallOutcome } from '../hooks/call-outcome.js';
import type { Frontend } from '../hooks/types.js';

const FRONTENDS = ['rest', 'streamable-http', 'sse', 'stdio'] as const satisfies readonly Frontend[];
const OUTCOMES = ['ok', 'tool_error', 'error', 'cancelled'] as const satisfies readonly CallOutcome[];

const FRONTEND_INDEX: Readonly<Record<Frontend, number>> = { rest: 0, 'streamable-http': 1, sse: 2, stdio: 3 };
const OUTCOME_INDEX: Readonly<Record<CallOutcome, number>> = { ok: 0, tool_error: 1, error: 2, cancelled: 3 };

/** A call counter's sample: the counter's labels and the count. */
export interface CountSample {
  labels: { server: string; tool: string; frontend: Frontend; outcome: CallOutcome };
  value: number;
}

/** A histogram's samples, as prom-client's `get()` gives them: `_bucket` (cumulative, `le`), `_sum`, `_count`. */
export interface HistogramSample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/** One tool's calls: counts by frontend and outcome, and a latency histogram per outcome. */
class ToolSeries {
  /** Index `frontend * OUTCOMES.length + outcome`. */
  readonly counts = new Float64Array(FRONTENDS.length * OUTCOMES.length);
  readonly durations: Array<DurationSeries | undefined> = OUTCOMES.map(() => undefined);
}

class DurationSeries {
  /** Calls per bucket, not cumulative; the last slot holds those above every bound (`+Inf`). Their total is the count. */
  readonly buckets: Float64Array;
  sum = 0;

  constructor(bounds: readonly number[]) {
    this.buckets = new Float64Array(bounds.length + 1);
  }
}

export class CallSeries {
  /** Server -> tool -> series. */
  private readonly servers = new Map<string, Map<string, ToolSeries>>();

  /** `bounds`: the histogram's upper bounds in seconds, ascending. */
  constructor(readonly bounds: readonly number[]) {}

  /** One call of `tool` (already `(unknown)` when its server does not list it) that took `seconds`. */
  record(server: string, tool: string, frontend: Frontend, outcome: CallOutcome, seconds: number): void {
    let tools = this.servers.get(server);
    if (tools === undefined) {
      tools = new Map();
      this.servers.set(server, tools);
    }
    let series = tools.get(tool);
    if (series === undefined) {
      series = new ToolSeries();
      tools.set(tool, series);
    }
    const outcomeIndex = OUTCOME_INDEX[outcome];
    const countIndex = FRONTEND_INDEX[frontend] * OUTCOMES.length + outcomeIndex;
    series.counts[countIndex] = series.counts[countIndex]! + 1;
    let durations = series.durations[outcomeIndex];
    if (durations === undefined) {
      durations = new DurationSeries(this.bounds);
      series.durations[outcomeIndex] = durations;
    }
    const { bounds } = this;
    let bucket = 0;
    while (bucket < bounds.length && seconds > bounds[bucket]!) bucket += 1;
    durations.buckets[bucket] = durations.buckets[bucket]! + 1;
    durations.sum += seconds;
  }

  /** Forgets every call (`Registry.resetMetrics()`). */
  clear(): void {
    this.servers.clear();
  }

  /** Every count above zero, by server, tool, frontend and outcome. */
  *counts(): Generator<CountSample> {
    for (const [server, tools] of this.servers) {
      for (const [tool, series] of tools) {
        for (let frontend = 0; frontend < FRONTENDS.length; frontend += 1) {
          for (let outcome = 0; outcome < OUTCOMES.length; outcome += 1) {
            const value = series.counts[frontend * OUTCOMES.length + outcome]!;
            if (value > 0) yield { labels: { server, tool, frontend: FRONTENDS[frontend]!, outcome: OUTCOMES[outcome]! }, value };
          }
        }
      }
    }
  }

  /** The latency histogram of `name`, by server, tool and outcome, with the samples prom-client's histogram would have. */
  *histogram(name: string): Generator<HistogramSample> {
    for (const [server, tools] of this.servers) {
      for (const [tool, series] of tools) {
        for (let outcome = 0; outcome < OUTCOMES.length; outcome += 1) {
          const durations = series.durations[outcome];
          if (durations === undefined) continue;
          const labels = { server, tool, outcome: OUTCOMES[outcome]! };
          let cumulative = 0;
          for (let bucket = 0; bucket <= this.bounds.length; bucket += 1) {
            cumulative += durations.buckets[bucket]!;
            yield { metricName: `${name}_bucket`, labels: { le: this.bounds[bucket] ?? '+Inf', ...labels }, value: cumulative };
          }
          yield { metricName: `${name}_sum`, labels, value: durations.sum };
          yield { metricName: `${name}_count`, labels, value: cumulative };
        }
      }
    }
  }
}
