/**
 * The checks on disk for paths the gateway is given (`"hooks"` and `"auditLog"` in the config
 * file, `--hook` and `--audit-log` on the command line): a hook module must be an existing file,
 * and an audit log's directory must exist (the file itself is created). Collected, not thrown,
 * so the config file's path problems are reported with its other problems.
 *
 * @module
 */

import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One path to check, and how a problem with it is introduced in the message. */
export interface PathCheck {
  /**
   * `module`: a file that must exist (a hook module).
   * `created-file`: a file that may be missing, but whose directory must exist (the audit log).
   */
  kind: 'module' | 'created-file';
  /** Absolute path. */
  path: string;
  /** What names the setting, e.g. `config.json: hooks[1]` or `--hook`. */
  where: string;
}

/** What `stat` says of a path: a file, a directory, missing, or another error's message. */
async function kindOf(path: string): Promise<'file' | 'directory' | 'missing' | { error: string }> {
  try {
    const found = await stat(path);
    return found.isDirectory() ? 'directory' : 'file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a component of the path is a file, so the path cannot exist either.
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** The problem with one path, as `<where>: <what is wrong>`, or undefined when it is fine. */
async function pathProblem(check: PathCheck): Promise<string | undefined> {
  const { path, where } = check;
  const found = await kindOf(path);
  if (typeof found === 'object') return `${where}: cannot access ${path}: ${found.error}`;
  if (check.kind === 'module') {
    if (found === 'missing') return `${where}: file not found: ${path}`;
    if (found === 'directory') return `${where}: ${path} is a directory, not a module file`;
    return undefined;
  }
  if (found === 'directory') return `${where}: ${path} is a directory; give the path of the log file`;
  if (found === 'file') return undefined;
  const directory = dirname(path);
  const parent = await kindOf(directory);
  if (parent === 'directory') return undefined;
  if (parent === 'missing') return `${where}: directory not found: ${directory} (the log file ${path} is created in it, the directory is not)`;
  if (parent === 'file') return `${where}: ${directory} is not a directory (the log file ${path} would be created in it)`;
  return `${where}: cannot access ${directory}: ${parent.error}`;
}

/** Every problem with the given paths, in the order given. */
export async function checkPaths(checks: readonly PathCheck[]): Promise<string[]> {
  const problems = await Promise.all(checks.map(pathProblem));
  return problems.filter((problem): problem is string => problem !== undefined);
}
