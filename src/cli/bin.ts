#!/usr/bin/env node
/**
 * The `mcpgate` executable. The only place that touches `process.exit` and signal handlers.
 *
 * @module
 */
import { main } from './main.js';

function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      // A second signal while stopping means "now": do not make the user wait for slow children.
      if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
      stopping = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

main(process.argv.slice(2), {
  env: process.env,
  writeError: (text) => process.stderr.write(text),
  waitForStopSignal,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mcpgate: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
