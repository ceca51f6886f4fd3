/**
 * The REST path: autocannon (in this process) sends `POST /echo` to the gateway.
 *
 * Latency percentiles are computed here from autocannon's `response` events rather than taken
 * from its result: autocannon's histogram stores whole milliseconds (lowest discernible value 1),
 * so its p50 reads 0 or 1 for a sub-millisecond route and cannot be compared with a 0.35 ms
 * target. The event carries the same `process.hrtime` measurement as a float. autocannon's own
 * p50/p99 are kept in the result for reference. Throughput and failure counts come from
 * autocannon's result.
 *
 * @module
 */
import autocannon, { type Result } from 'autocannon';
import { ECHO_MESSAGE } from './echo-call.js';
import type { LoadDriver } from './paths.js';
import { SampleBuffer, summarize, type RunResult } from './stats.js';

/** What the route answers on success: the tool's text content as a JSON string. */
const EXPECTED_BODY = JSON.stringify(ECHO_MESSAGE);

export interface RestRun extends RunResult {
  /** autocannon's own latency percentiles, in whole milliseconds. */
  autocannonLatencyMs: { p50: number; p99: number; mean: number };
}

/** The REST path as a load: autocannon opens its `concurrency` connections itself on each run. */
export function restDriver(baseUrl: string): LoadDriver {
  return {
    open: async (concurrency) => ({ run: (seconds) => runRest(baseUrl, concurrency, seconds), close: async () => undefined }),
    probe: async () => {
      const { status, body } = await probeRest(baseUrl);
      return { ok: status === 200 && body === EXPECTED_BODY, answer: `POST /echo -> ${status} ${body.slice(0, 200)}` };
    },
  };
}

/** One `POST /echo`, as answered. */
async function probeRest(baseUrl: string): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(`${baseUrl}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: ECHO_MESSAGE }),
    });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { status: 0, body: `request failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export function runRest(baseUrl: string, concurrency: number, seconds: number): Promise<RestRun> {
  const latencies = new SampleBuffer();
  let responses = 0;
  // autocannon calls `verifyBody` right after emitting `response` for the same reply.
  let lastStatus = 0;
  let lastTimeMs = 0;
  let sample: string | undefined;

  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${baseUrl}/echo`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: ECHO_MESSAGE }),
        connections: concurrency,
        duration: seconds,
        verifyBody: (body) => {
          const success = lastStatus >= 200 && lastStatus < 300;
          if (success && body === EXPECTED_BODY) {
            latencies.push(lastTimeMs);
            return true;
          }
          sample ??= `HTTP ${lastStatus} ${body.slice(0, 200)}`;
          // Non-2xx replies are counted as such; only a 2xx with the wrong body is a mismatch.
          return !success;
        },
      },
      (error, result) => {
        if (error) reject(error);
        else resolve(toRunResult(result, concurrency, latencies, responses, sample));
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      responses += 1;
      lastStatus = statusCode;
      lastTimeMs = responseTimeMs;
    });
  });
}

function toRunResult(result: Result, concurrency: number, latencies: SampleBuffer, responses: number, sample: string | undefined): RestRun {
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  // A 2xx with the wrong body is counted in both '2xx' and 'mismatches'.
  const ok = Math.max(0, result['2xx'] - result.mismatches);
  return {
    path: 'rest',
    concurrency,
    seconds: result.duration,
    ok,
    callsPerSecond: ok / result.duration,
    latency: summarize(latencies.values()),
    failures: {
      badResponses: result.non2xx,
      mismatches: result.mismatches,
      // autocannon counts a timeout in `errors` too; report them apart.
      errors: result.errors - result.timeouts,
      timeouts: result.timeouts,
      statusCodes,
      ...(sample === undefined ? {} : { sample }),
    },
    responses,
    autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean },
  };
}
