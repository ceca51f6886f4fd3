#!/usr/bin/env -S node --max-semi-space-size=8 --max-old-space-size=512
/**
 * The `mcpgate` executable. The only place that touches `process.exit` and signal handlers.
 *
 * The V8 flags on the first line bound the heap's growth. Left to its defaults on a machine with
 * lots of memory, V8 lets a busy gateway grow to ~170 MB before collecting; with an explicit
 * limit it collects earlier and peaks under 100 MB for the same load and about the same CPU
 * (`npm run bench`). 512 MB of JavaScript heap is far above what the gateway holds; to give it
 * more, run `node --max-old-space-size=<MB> <path to>/dist/cli/bin.js …`.
 *
 * @module
 */
import { main } from './main.js';

main(process.argv.slice(2), {
  env: process.env,
  writeOut: (text) => process.stdout.write(text),
  writeError: (text) => process.stderr.write(text),
  onStopSignal: (listener) => {
    process.on('SIGINT', () => listener('SIGINT'));
    process.on('SIGTERM', () => listener('SIGTERM'));
  },
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mcpgate: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
