/**
 * How each request ended, and the tally of a run.
 *
 * Four outcomes, from the caller's point of view:
 * - `ok`: the right answer;
 * - `clear`: a failure that tells the caller what happened: an HTTP 5xx whose JSON body has a
 *   message, or an MCP error (JSON-RPC error, or an HTTP error of the MCP transport) with one.
 *   Under chaos these are expected: a call in flight to a child that is killed fails, and calls
 *   while it restarts get 503;
 * - `unclear`: anything else that is not a success: a 5xx without a message, a 2xx with a wrong
 *   result, an unexpected status, a connection reset, an exception without a message;
 * - `hang`: no answer within the client's timeout.
 *
 * Messages are grouped after replacing session ids with `<id>` and numbers (pids, exit codes,
 * durations, ports) with `N`, so that a hundred "process 12345 was killed" read as one line with
 * a count.
 *
 * @module
 */

export type OutcomeKind = 'ok' | 'clear' | 'unclear' | 'hang';

export interface Outcome {
  kind: OutcomeKind;
  /** What went wrong (not for `ok`), as the caller saw it. */
  detail?: string;
}

/** Where a request went: REST, the aggregated `/mcp`, or a server's own `/{server}/mcp`. */
export type Frontend = 'REST' | '/mcp' | '/{server}/mcp';
export const FRONTENDS: readonly Frontend[] = ['REST', '/mcp', '/{server}/mcp'];

export const ok: Outcome = { kind: 'ok' };

export function clear(detail: string): Outcome {
  return { kind: 'clear', detail };
}

export function unclear(detail: string): Outcome {
  return { kind: 'unclear', detail };
}

export function hang(detail: string): Outcome {
  return { kind: 'hang', detail };
}

/** A message for grouping: numbers become N, whitespace is collapsed, the length is capped. */
export function normalizeMessage(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/\d+(\.\d+)?/g, 'N')
    .trim()
    .slice(0, 200);
}

export interface Counts {
  requests: number;
  ok: number;
  clear: number;
  unclear: number;
  hang: number;
}

function emptyCounts(): Counts {
  return { requests: 0, ok: 0, clear: 0, unclear: 0, hang: 0 };
}

export interface MessageGroup {
  /** `frontend: normalised message`. */
  message: string;
  count: number;
  /** The first one, as it was. */
  example: string;
}

/** The tally of a run: counts per frontend and kind of request, latencies, failure messages. */
export class Tally {
  readonly byFrontend = new Map<Frontend, Counts>();
  readonly byKind = new Map<string, Counts>();
  /** Latencies in ms of every answered request (not hangs), per frontend. */
  readonly latencies = new Map<Frontend, number[]>();
  /** The slowest answered request of each frontend, whatever its outcome. */
  readonly slowest = new Map<Frontend, number>();
  private readonly groups = { clear: new Map<string, MessageGroup>(), unclear: new Map<string, MessageGroup>(), hang: new Map<string, MessageGroup>() };

  record(frontend: Frontend, kind: string, outcome: Outcome, ms: number): void {
    for (const [map, key] of [
      [this.byFrontend, frontend],
      [this.byKind, `${frontend} ${kind}`],
    ] as const) {
      let counts = (map as Map<string, Counts>).get(key);
      if (!counts) (map as Map<string, Counts>).set(key, (counts = emptyCounts()));
      counts.requests += 1;
      counts[outcome.kind] += 1;
    }
    if (outcome.kind !== 'hang') {
      let list = this.latencies.get(frontend);
      if (!list) this.latencies.set(frontend, (list = []));
      list.push(ms);
      this.slowest.set(frontend, Math.max(this.slowest.get(frontend) ?? 0, ms));
    }
    if (outcome.kind !== 'ok') {
      const detail = `${frontend} ${kind}: ${outcome.detail ?? '(no detail)'}`;
      const key = `${frontend} ${kind}: ${normalizeMessage(outcome.detail ?? '')}`;
      const groups = this.groups[outcome.kind];
      const group = groups.get(key);
      if (group) group.count += 1;
      else groups.set(key, { message: key, count: 1, example: detail.slice(0, 500) });
    }
  }

  total(): Counts {
    const sum = emptyCounts();
    for (const counts of this.byFrontend.values()) {
      for (const field of Object.keys(sum) as Array<keyof Counts>) sum[field] += counts[field];
    }
    return sum;
  }

  /** Failure messages of one outcome, most frequent first. */
  messages(kind: 'clear' | 'unclear' | 'hang'): MessageGroup[] {
    return [...this.groups[kind].values()].sort((a, b) => b.count - a.count);
  }
}

/** The nearest-rank percentile of `values` (0 < p ≤ 100); undefined for an empty list. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
