/**
 * Holds V8's young generation at 8 MiB (two 4 MiB semi-spaces) instead of the 32 MiB it grows to.
 *
 * V8 doubles the young generation whenever enough of it survives collections, up to two 16 MiB
 * semi-spaces on 64-bit machines; module loading alone takes it there, and it is never given
 * back to the system while the gateway is busy. That was a quarter of the gateway's peak RSS
 * (118 MiB with 64 sessions, 98 MiB capped). A call keeps little alive past a collection
 * (decision 65), so collecting a smaller young generation more often costs little CPU: about 10%
 * at 64 calls in flight on one session, less than noise otherwise (decision 66).
 *
 * `--max-semi-space-size` would say this directly, but V8 reads it only at start-up, and the
 * `#!` line cannot pass it portably (`src/cli/bin.ts`). V8 reads `--semi-space-growth-factor`
 * each time it grows the young generation, so that is the flag set here: 1 (no growth) while the
 * program loads, then after each collection 2 while one doubling stays within the cap (the young
 * generation is at most half of it) and 1 otherwise. Growth happens only inside a collection, and
 * the check runs after each one (a `gc` performance observer), so at worst one growth passes
 * between two checks.
 *
 * The process owner's flags win: with `--max-semi-space-size` (on the node command line or in
 * `NODE_OPTIONS`) or `--semi-space-growth-factor` (node's command line only: `NODE_OPTIONS`
 * refuses it), V8's own policy applies (the README's Memory paragraph).
 *
 * @module
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { ownerSetV8Flag } from './v8-flags.js';

/** Both semi-spaces together, as V8 reports the new space's size. */
export const YOUNG_GENERATION_CAP_BYTES = 8 * 1024 * 1024;

const GROWTH_FLAG = '--semi-space-growth-factor';

function newSpaceBytes(): number {
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_size;
  return 0;
}

/** Starts holding the young generation at its cap, for the life of the process; call before the program loads. */
export function holdYoungGeneration(): void {
  if (ownerSetV8Flag('--max-semi-space-size', GROWTH_FLAG)) return;
  let growing = false;
  setFlagsFromString(`${GROWTH_FLAG}=1`);
  const govern = (): void => {
    // Growth doubles: allowed only while one doubling stays within the cap.
    const grow = newSpaceBytes() * 2 <= YOUNG_GENERATION_CAP_BYTES;
    if (grow === growing) return;
    growing = grow;
    setFlagsFromString(`${GROWTH_FLAG}=${grow ? 2 : 1}`);
  };
  new PerformanceObserver(govern).observe({ entryTypes: ['gc'] });
}
