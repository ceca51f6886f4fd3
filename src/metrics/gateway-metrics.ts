/**
 * The gateway's Prometheus metrics (prom-client), one registry per gateway so that two gateways
 * in one process (a library user's tests) never mix their counts.
 *
 * Calls are counted by a hook, the first of the chain: the hook runner is the one place every
 * frontend's tool calls pass through, and being first it sees every call as the caller saw it,
 * refusals by later hooks included. Calls and HTTP answers are counted in plain numbers and
 * handed to prom-client when Prometheus scrapes (`call-series.ts` says why). What is a state
 * rather than an event (upstream states, sessions, children) is read at scrape time too, from the
 * parts that own it, so nothing can drift out of step.
 *
 * Label values come from the config (server names) or from the servers' own catalogs (tool
 * names): a tool name a caller made up is counted as `(unknown)`, so nobody can grow the
 * registry without bound by calling tools that do not exist.
 *
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import { isGatewayError } from '../errors.js';
import { outcomeOfError, outcomeOfResult, type CallOutcome } from '../hooks/call-outcome.js';
import type { Frontend, Hook, ToolCall } from '../hooks/types.js';
import { UPSTREAM_STATES, type Upstream } from '../upstream/upstream.js';
import { CallSeries } from './call-series.js';

/** Where the metrics read the gateway's state at scrape time. */
export interface MetricSources {
  /** The live upstreams. */
  upstreams: () => Iterable<Upstream>;
  /** The live upstream of that name. */
  upstream: (name: string) => Upstream | undefined;
  /** The open MCP sessions, by server and endpoint. */
  sessions: () => Iterable<{ server: string; endpoint: string }>;
  /** How many child processes (stdio servers) are running. */
  childProcesses: () => number;
}

/** The label a tool name a caller made up is counted under. */
export const UNKNOWN_TOOL_LABEL = '(unknown)';

/** Seconds; from a cached catalog answer (~1 ms) to a long-running tool. */
const CALL_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class GatewayMetrics {
  readonly registry = new Registry();
  /** The hook that counts every tool call; the gateway puts it first in the chain. */
  readonly hook: Hook;
  private readonly callErrors: Counter<'server' | 'code'>;
  private readonly hookFailures: Counter<'hook'>;
  private processMetrics = false;
  /** Every call's count and latency, by server and tool. */
  private readonly callSeries = new CallSeries(CALL_DURATION_BUCKETS);
  /** HTTP answers by status. */
  private readonly statuses = new Map<number, number>();
  /** Each catalog's tool names as a set (a catalog's tool list is replaced, never changed in place). */
  private readonly toolNames = new WeakMap<readonly { name: string }[], Set<string>>();

  constructor(private readonly sources: MetricSources) {
    const registers = [this.registry];
    const { callSeries, statuses } = this;
    new Counter({
      name: 'mcpgate_tool_calls_total',
      help: 'Tool calls, by server, tool, frontend (rest, streamable-http, sse, stdio) and outcome (ok, tool_error, error, cancelled).',
      labelNames: ['server', 'tool', 'frontend', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const { labels, value } of callSeries.counts()) this.inc(labels, value);
      },
    });
    this.callErrors = new Counter({
      name: 'mcpgate_tool_call_errors_total',
      help: 'Tool calls that ended without an answer, by server and error code (e.g. UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT, FORBIDDEN).',
      labelNames: ['server', 'code'],
      registers,
    });
    this.registry.registerMetric(
      callDurationHistogram('mcpgate_tool_call_duration_seconds', 'Time from the gateway receiving a tool call to its answer, hooks included.', callSeries),
    );
    this.hookFailures = new Counter({
      name: 'mcpgate_hook_failures_total',
      help: 'Times a hook threw (not a refusal): the message or call it handled got HOOK_FAILED.',
      labelNames: ['hook'],
      registers,
    });
    new Counter({
      name: 'mcpgate_http_responses_total',
      help: 'HTTP answers by status: 429 (a caller over --max-concurrent-requests), 413 (body too large), 503 (server unavailable, too many sessions, stopping)…',
      labelNames: ['status'],
      registers,
      collect() {
        this.reset();
        for (const [status, count] of statuses) this.inc({ status: String(status) }, count);
      },
    });
    this.defineStateGauges(registers);
    this.hook = this.countingHook();
  }

  /** A hook threw; called by the hook runner. */
  hookFailed(hook: string): void {
    this.hookFailures.inc({ hook });
  }

  /** An HTTP request was answered with `status`. */
  responded(status: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  /** The text Prometheus scrapes, and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    if (!this.processMetrics) {
      // Process metrics (memory, CPU, open file descriptors, event-loop lag, heap) under their usual
      // names, from the first scrape on: their event-loop and GC observers then run for good, which
      // a gateway nobody scrapes (a library user's, a test's) need not pay for.
      this.processMetrics = true;
      collectDefaultMetrics({ register: this.registry });
    }
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private countingHook(): Hook {
    const record = (call: ToolCall, frontend: Frontend, start: number, outcome: CallOutcome): void => {
      this.callSeries.record(call.server, this.knownTool(call), frontend, outcome, (performance.now() - start) / 1000);
    };
    return {
      name: 'metrics',
      // An observer, not an `onToolCall` middleware: counting must not cost a call a chain of promises.
      observeToolCall: (call, { frontend }) => {
        const start = performance.now();
        return (ending) => {
          if ('result' in ending) return record(call, frontend, start, outcomeOfResult(ending.result));
          const outcome = outcomeOfError(ending.error);
          record(call, frontend, start, outcome);
          // Calls to servers fail with a `GatewayError`; anything else is a hook that threw, which
          // its caller receives as HOOK_FAILED.
          if (outcome === 'error') this.callErrors.inc({ server: call.server, code: isGatewayError(ending.error) ? ending.error.code : 'HOOK_FAILED' });
        };
      },
    };
  }

  /** The tool's name when its server lists it; otherwise the one label for made-up names. */
  private knownTool(call: ToolCall): string {
    const tools = this.sources.upstream(call.server)?.catalog.tools;
    if (tools === undefined) return UNKNOWN_TOOL_LABEL;
    let names = this.toolNames.get(tools);
    if (names === undefined) {
      names = new Set(tools.map((tool) => tool.name));
      this.toolNames.set(tools, names);
    }
    return names.has(call.tool) ? call.tool : UNKNOWN_TOOL_LABEL;
  }

  private defineStateGauges(registers: Registry[]): void {
    const sources = this.sources;
    new Gauge({
      name: 'mcpgate_upstream_state',
      help: 'The state of each upstream server: 1 for its current state (starting, ready, degraded, down, auth_required), 0 for the others.',
      labelNames: ['server', 'state'],
      registers,
      collect() {
        this.reset();
        for (const upstream of sources.upstreams()) {
          const current = upstream.currentState;
          for (const state of UPSTREAM_STATES) this.set({ server: upstream.name, state }, state === current ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'mcpgate_upstream_restarts',
      help: 'Times each upstream server was reconnected (its child restarted) since it was started.',
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        for (const upstream of sources.upstreams()) this.set({ server: upstream.name }, upstream.status().restarts);
      },
    });
    new Gauge({
      name: 'mcpgate_upstream_tools',
      help: 'Tools each upstream server offers (after disabledTools/enabledTools).',
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        for (const upstream of sources.upstreams()) this.set({ server: upstream.name }, upstream.catalog.tools.length);
      },
    });
    new Gauge({
      name: 'mcpgate_mcp_sessions',
      help: 'Open MCP sessions, by server (`*` for the aggregated endpoint) and endpoint (streamable-http, sse).',
      labelNames: ['server', 'endpoint'],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, { server: string; endpoint: string; count: number }>();
        for (const { server, endpoint } of sources.sessions()) {
          const key = `${server}\u0000${endpoint}`;
          const entry = counts.get(key) ?? { server, endpoint, count: 0 };
          entry.count += 1;
          counts.set(key, entry);
        }
        for (const { server, endpoint, count } of counts.values()) this.set({ server, endpoint }, count);
      },
    });
    new Gauge({
      name: 'mcpgate_child_processes',
      help: 'Child processes (stdio servers, per-session ones included) running now.',
      registers,
      collect() {
        this.set(sources.childProcesses());
      },
    });
  }
}

/**
 * The call latency histogram as a metric of the registry, its samples read from `series` at
 * scrape time. prom-client's `Histogram` has no way to be given counts it did not observe one by
 * one; the registry takes any metric whose `get()` answers in the shape its own metrics do (the
 * one `getMetricsAsJSON()` documents), which this does, so the text Prometheus reads is the one
 * a prom-client histogram of these buckets would write.
 */
function callDurationHistogram(name: string, help: string, series: CallSeries): Metric {
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: [...series.histogram(name)] }),
    /** `Registry.resetMetrics()`: every call series starts again, the counter's too (they are one). */
    reset: () => series.clear(),
  };
  // The registry's parameter type names prom-client's own classes; it only calls `get` and `reset`.
  return metric as unknown as Metric;
}
