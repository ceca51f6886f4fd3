/**
 * How to spawn the demo server as a child process, whether mcpgate runs compiled (`dist/`) or
 * from source through tsx (`npm start`, tests).
 *
 * @module
 */

import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The command line that starts the demo server over stdio: the current Node binary with
 * `main.js` next to this module when it runs compiled, or with `--import <tsx> src/demo/main.ts`
 * when it runs from TypeScript source. Paths derive from this module's URL, never the cwd, so
 * the gateway works from any directory.
 */
export function demoServerCommand(): { command: string; args: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.js')) {
    return { command: process.execPath, args: [fileURLToPath(new URL('./main.js', here))] };
  }
  return { command: process.execPath, args: ['--import', tsxLoader(here), fileURLToPath(new URL('./main.ts', here))] };
}

/**
 * The tsx loader as an absolute file URL. A bare `--import tsx` is resolved from the child's cwd
 * (verified on Node 20: it fails with ERR_MODULE_NOT_FOUND outside the project), so resolve it
 * from this module instead. Falls back to the bare name if tsx cannot be found from here.
 */
function tsxLoader(from: string): string {
  try {
    return pathToFileURL(createRequire(from).resolve('tsx')).href;
  } catch {
    return 'tsx';
  }
}
