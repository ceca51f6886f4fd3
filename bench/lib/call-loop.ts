/**
 * The load of every path but REST: `concurrency` workers, each making a call and awaiting its
 * answer in a loop, until `seconds` have passed. A worker that is mid-call at the deadline
 * finishes that call; the window ends when the last one does.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { PathId } from './paths.js';
import { SampleBuffer, summarize, type RunResult } from './stats.js';

/**
 * One call by worker `worker` (0 … concurrency-1): resolves with undefined when the answer is the
 * expected one, with a description of it when not, and throws when the call failed.
 */
export type Call = (worker: number) => Promise<string | undefined>;

/** Thrown by a client whose call got no answer in time: counted as a timeout, not an error. */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError';
}

export async function runCallLoop(path: PathId, concurrency: number, seconds: number, call: Call): Promise<RunResult> {
  const latencies = new SampleBuffer();
  const failures: RunResult['failures'] = { badResponses: 0, mismatches: 0, errors: 0, timeouts: 0, statusCodes: {} };
  const started = performance.now();
  const deadline = started + seconds * 1000;

  const worker = async (_: unknown, index: number): Promise<void> => {
    while (performance.now() < deadline) {
      const callStart = performance.now();
      try {
        const problem = await call(index);
        const elapsed = performance.now() - callStart;
        if (problem === undefined) latencies.push(elapsed);
        else {
          failures.badResponses += 1;
          failures.sample ??= problem;
        }
      } catch (error) {
        if (error instanceof CallTimeoutError) failures.timeouts += 1;
        else failures.errors += 1;
        failures.sample ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));

  const elapsedSeconds = (performance.now() - started) / 1000;
  return {
    path,
    concurrency,
    seconds: elapsedSeconds,
    ok: latencies.length,
    callsPerSecond: latencies.length / elapsedSeconds,
    responses: latencies.length + failures.badResponses + failures.errors + failures.timeouts,
    latency: summarize(latencies.values()),
    failures,
  };
}
