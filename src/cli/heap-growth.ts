/**
 * How fast the gateway's old generation may grow, set before anything else loads.
 *
 * On a machine with plenty of memory V8 lets the old generation grow to several times what is
 * live before collecting it: a busy gateway holding ~20 MB reached ~175 MB of RSS under load
 * (`npm run bench`). A growing factor of 1.1 makes V8 collect sooner, at about the same CPU: the
 * peak stays near 115 MB. This flag is one of the few V8 reads while running, so it can be set
 * here; the size flags (`--max-semi-space-size`, `--max-old-space-size`) only apply at start-up,
 * through `NODE_OPTIONS` or the node command line. The young generation is held small by
 * `young-generation.ts`.
 *
 * A flag given on the command line or in `NODE_OPTIONS` wins: the process owner decides.
 *
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { ownerSetV8Flag } from './v8-flags.js';

const FLAG = '--heap-growing-percent';

/** Makes the old generation grow by a tenth at a time; call before the program loads. */
export function boundHeapGrowth(): void {
  if (!ownerSetV8Flag(FLAG)) setFlagsFromString(`${FLAG}=10`);
}
