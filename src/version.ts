/**
 * The package's own version, read from package.json at run time so it is never out of step.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

function readPackageVersion(): string {
  // src/version.ts and dist/version.js both sit one level below package.json.
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}

export const packageVersion: string = readPackageVersion();
