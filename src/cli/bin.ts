#!/usr/bin/env node
/**
 * The `mcpgate` executable. The only place that touches `process.exit` and signal handlers.
 *
 * A plain `env node` line: `env -S` (to pass V8 flags here) is missing from BusyBox, so the
 * command would not start on Alpine. The heap settings (`heap-growth.ts`, `young-generation.ts`,
 * `main-thread-scavenge.ts`) are made before the rest of the program loads: the program is
 * imported only after them, dynamically (static imports are all parsed before any of them runs,
 * and parsing alone grows the young generation to its full size).
 *
 * @module
 */
import { boundHeapGrowth } from './heap-growth.js';
import { scavengeOnMainThread } from './main-thread-scavenge.js';
import { holdYoungGeneration } from './young-generation.js';

boundHeapGrowth();
holdYoungGeneration();
scavengeOnMainThread();
const { main } = await import('./main.js');

main(process.argv.slice(2), {
  env: process.env,
  writeOut: (text) => process.stdout.write(text),
  writeError: (text) => process.stderr.write(text),
  onStopSignal: (listener) => {
    process.on('SIGINT', () => listener('SIGINT'));
    process.on('SIGTERM', () => listener('SIGTERM'));
  },
  onHangUpSignal: (listener) => {
    process.on('SIGHUP', listener);
  },
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mcpgate: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
