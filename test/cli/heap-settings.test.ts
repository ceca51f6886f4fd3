/**
 * The executable's heap settings, read off the real command's `/metrics` (prom-client's heap
 * space gauges) while it serves the bundled demo server under calls: the young generation stays
 * at its cap, and the process owner's `--max-semi-space-size` wins over it. Scavenges run on the
 * main thread, as V8's own trace of them shows, unless the owner gives `--parallel-scavenge`.
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

async function servedDemo(owner: object, env = baseEnv(), nodeArgs: string[] = []): Promise<{ cli: CliProcess; url: string }> {
  const cli = startCli(['--port', '0'], { owner, env, nodeArgs });
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

  /**
   * Scavenges while serving calls, and the tasks they ran in: V8's `--trace-gc` writes a line per
   * scavenge (`: Scavenge`), and `--trace-parallel-scavenge` a line per task of each
   * (`scavenge[…]`), before it. Counted once the gateway serves, past start-up.
   */
  async function scavengesUnderCalls(owner: object, nodeArgs: string[]): Promise<{ scavenges: number; tasks: number }> {
    const { cli, url } = await servedDemo(owner, baseEnv(), ['--trace-gc', '--trace-parallel-scavenge', ...nodeArgs]);
    const serving = cli.stdout.length;
    await largestYoungGenerationUnderCalls(url);
    // Stopped as `stopCleanly` does, but the trace is on stdout.
    cli.signal('SIGTERM');
    expect((await cli.waitForExit(15_000)).code, cli.transcript()).toBe(0);
    // From the end of the first scavenge line after that point: a scavenge's task lines come
    // before its own line, so every scavenge counted has all its task lines counted too.
    const after = cli.stdout.slice(serving);
    const firstEnd = /: Scavenge\b[^\n]*\n/.exec(after);
    const trace = firstEnd ? after.slice(firstEnd.index + firstEnd[0].length) : '';
    return { scavenges: trace.match(/: Scavenge\b/g)?.length ?? 0, tasks: trace.match(/ scavenge\[/g)?.length ?? 0 };
  }

  it('scavenges on the main thread alone: one task per scavenge', async ({ task }) => {
    const { scavenges, tasks } = await scavengesUnderCalls(task, []);
    expect(scavenges).toBeGreaterThan(5);
    expect(tasks).toBe(scavenges);
  });

  it('gives V8 its parallel scavenges back when the owner sets --parallel-scavenge', async ({ task }) => {
    const { scavenges, tasks } = await scavengesUnderCalls(task, ['--parallel-scavenge']);
    expect(scavenges).toBeGreaterThan(5);
    expect(tasks).toBeGreaterThan(scavenges);
  });
});
