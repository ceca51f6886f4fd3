#!/usr/bin/env node
/**
 * The `mcpgate` executable. The only place that touches `process.exit` and signal handlers.
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
