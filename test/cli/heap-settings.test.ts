/**
 * The executable's heap settings, read off the real command's `/metrics` (prom-client's heap
 * space gauges) while it serves the bundled demo server under calls: the young generation stays
 * at its cap, and the process owner's `--max-semi-space-size` wins over it.
 */
import { describe, expect, it } from 'vitest';
import { YOUNG_GENERATION_CAP_BYTES } from '../../src/cli/young-generation.js';
import { baseEnv, pollReadyz, startCli, stopCleanly, useCliLifecycle, type CliProcess } from './run-cli.js';

useCliLifecycle();

/** `nodejs_heap_space_size_total_bytes{space="new"}`: both semi-spaces, as V8 reports them. */
async function newSpaceBytes(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const match = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)/m.exec(text);
  if (!match) throw new Error(`no new space gauge in /metrics:\n${text.slice(0, 500)}`);
  return Number(match[1]);
}

/**
 * Makes enough tool calls, with enough in flight, that V8 would grow its young generation to the
 * full 32 MiB, and returns the largest young generation `/metrics` showed between rounds.
 */
async function largestYoungGenerationUnderCalls(baseUrl: string): Promise<number> {
  const call = async (): Promise<void> => {
    const response = await fetch(`${baseUrl}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'x'.repeat(2000) }) });
    expect(response.status).toBe(200);
    await response.text();
  };
  let largest = 0;
  for (let round = 0; round < 30; round++) {
    await Promise.all(Array.from({ length: 32 }, call));
    if (round % 5 === 4) largest = Math.max(largest, await newSpaceBytes(baseUrl));
  }
  return largest;
}

async function servedDemo(owner: object, env = baseEnv()): Promise<{ cli: CliProcess; url: string }> {
  const cli = startCli(['--port', '0'], { owner, env });
  const url = await cli.waitForListening();
  await pollReadyz(url);
  return { cli, url };
}

describe('heap settings of the executable', () => {
  it('holds the young generation at its cap under load', async ({ task }) => {
    const { cli, url } = await servedDemo(task);
    // Grown from V8's initial 2 MiB to the cap, and never past it.
    expect(await largestYoungGenerationUnderCalls(url)).toBe(YOUNG_GENERATION_CAP_BYTES);
    await stopCleanly(cli);
  });

  it('leaves the young generation to V8 when the owner sets --max-semi-space-size', async ({ task }) => {
    const { cli, url } = await servedDemo(task, baseEnv({ NODE_OPTIONS: '--max-semi-space-size=16' }));
    expect(await largestYoungGenerationUnderCalls(url)).toBeGreaterThan(YOUNG_GENERATION_CAP_BYTES);
    await stopCleanly(cli);
  });
});
