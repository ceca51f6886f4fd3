/**
 * The direct path: an SDK client in this process talks to the demo server over stdio, with no
 * gateway in between. This is the baseline the REST path is compared with.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { SampleBuffer, summarize, type RunResult } from './stats.js';

export const ECHO_MESSAGE = 'hi';

export interface DirectClient {
  client: Client;
  /** Pid of the demo server child, for its CPU time. */
  pid: number;
  close: () => Promise<void>;
}

/** Spawns `node <demoMain>` and connects an SDK client to it (legacy era, as the gateway does for stdio). */
export async function connectDirect(demoMain: string): Promise<DirectClient> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [demoMain], stderr: 'inherit' });
  const client = new Client({ name: 'mcpgate-bench', version: '0.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close().catch(() => undefined);
    throw error;
  }
  const pid = transport.pid;
  if (pid === null) {
    await client.close();
    throw new Error('the demo server started but its pid is unknown');
  }
  return { client, pid, close: () => client.close() };
}

/** The text of a successful echo, or a description of what came back instead. */
function checkEcho(result: Awaited<ReturnType<Client['callTool']>>): string | undefined {
  const first = result.content[0];
  if (!result.isError && result.content.length === 1 && first?.type === 'text' && first.text === ECHO_MESSAGE) return undefined;
  return JSON.stringify(result).slice(0, 200);
}

/**
 * `concurrency` workers, each calling `echo` and awaiting the answer in a loop, until `seconds`
 * have passed. A worker that is mid-call at the deadline finishes that call; the window ends
 * when the last one does.
 */
export async function runDirect(client: Client, concurrency: number, seconds: number): Promise<RunResult> {
  const latencies = new SampleBuffer();
  const failures: RunResult['failures'] = { badResponses: 0, mismatches: 0, errors: 0, timeouts: 0, statusCodes: {} };
  const started = performance.now();
  const deadline = started + seconds * 1000;

  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const callStart = performance.now();
      try {
        const result = await client.callTool({ name: 'echo', arguments: { message: ECHO_MESSAGE } });
        const elapsed = performance.now() - callStart;
        const problem = checkEcho(result);
        if (problem === undefined) latencies.push(elapsed);
        else {
          failures.badResponses += 1;
          failures.sample ??= problem;
        }
      } catch (error) {
        failures.errors += 1;
        failures.sample ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));

  const elapsedSeconds = (performance.now() - started) / 1000;
  return {
    path: 'direct',
    concurrency,
    seconds: elapsedSeconds,
    ok: latencies.length,
    callsPerSecond: latencies.length / elapsedSeconds,
    latency: summarize(latencies.values()),
    failures,
  };
}
