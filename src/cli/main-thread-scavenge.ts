/**
 * Young-generation collections (scavenges) run on the main thread alone, not split among V8's
 * helper threads.
 *
 * V8 splits a scavenge into one task per MiB of young generation plus one, up to its worker
 * threads plus one: with the young generation held at 8 MiB (`young-generation.ts`), two to five
 * tasks. What a scavenge of this gateway copies is small (what the calls in flight keep alive,
 * decision 65), so the tasks spend more on starting, stealing work from one another and meeting
 * at the end than they save, and on a machine whose other cores are busy (the servers, the
 * clients) they wait their turn. Measured with the builds side by side under load: gateway CPU
 * per call 1–9% lower on the MCP endpoints, peak RSS the same (decision 69).
 *
 * V8 reads the flag at each scavenge, so it can be set here, before the program loads. The
 * process owner's flag wins: `--parallel-scavenge` on node's command line gives V8's default back.
 *
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { ownerSetV8Flag } from './v8-flags.js';

/** Makes every later scavenge run on the main thread; call before the program loads. */
export function scavengeOnMainThread(): void {
  if (!ownerSetV8Flag('--parallel-scavenge', '--no-parallel-scavenge')) setFlagsFromString('--no-parallel-scavenge');
}
