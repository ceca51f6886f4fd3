/**
 * The config file (Claude Desktop's `mcpServers` format, as mcpo reads it) → upstream configs,
 * plus the gateway's own top-level settings (`"hooks"`, `"auditLog"`, `"host"`, `"port"`).
 * Pipeline: JSONC parse → `${VAR}` expansion → validation of every entry (→ for a file read from
 * disk, checks that the paths it names exist). All problems of the file are reported together
 * in one CONFIG_INVALID error.
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { configInvalid } from './config-error.js';
import { expandEnvInTree, type EnvSource } from './expand-env.js';
import { readGatewayFields } from './gateway-fields.js';
import { isJsonObject, jsonTypeOf, problemAt } from './json-path.js';
import { parseJsonc } from './parse-jsonc.js';
import { checkPaths, type PathCheck } from './path-checks.js';
import { KNOWN_TOP_LEVEL_FIELDS, UNSUPPORTED_TOP_LEVEL_FIELDS } from './server-schema.js';
import type { AuditLogConfig, UpstreamConfig } from './types.js';
import { readUpstreamEntry, type EntryContext } from './upstream-entry.js';

/** What reading a config file needs from the caller. */
export interface ConfigFileOptions {
  /** The variables `${VAR}` may refer to (normally `process.env`, passed in by the CLI). */
  env: EnvSource;
  /** Copied to every stdio upstream: give children the gateway's whole environment. */
  passEnvironment: boolean;
  /**
   * The directory relative paths in the file (`"hooks"`, `"auditLog"`) are resolved against.
   * Default: the directory of the file label, so a file read from disk resolves against its own.
   */
  baseDir?: string;
}

/** The useful content of a config file. */
export interface ConfigFileResult {
  /** Enabled servers, in file order. */
  upstreams: UpstreamConfig[];
  /** Names of servers with `"disabled": true`, in file order (validated like the others). */
  disabledUpstreams: string[];
  /** `"hooks"` as absolute paths, in file order; left out when the file lists none. */
  hookModules?: string[];
  /** `"auditLog"`, its path absolute and `includeArguments` defaulted to false; left out when absent. */
  auditLog?: AuditLogConfig;
  /** `"host"` and `"port"`: where to listen when the command line does not say; left out when absent. */
  host?: string;
  port?: number;
  /** Things that were ignored, e.g. `config.json: mcpServers.time.alwaysAllow: unknown field, ignored`. */
  warnings: string[];
}

/** A validated file's content, the problems found, and the paths still to check on disk. */
interface Validation {
  result: ConfigFileResult;
  problems: string[];
  pathChecks: PathCheck[];
}

/** Everything but the checks on disk; throws only on a syntax error. */
function validate(text: string, fileLabel: string, options: ConfigFileOptions): Validation {
  const parsed = parseJsonc(text, fileLabel);
  // Expansion problems are kept and reported with the validation ones, not thrown early.
  const expanded = expandEnvInTree(parsed, options.env, fileLabel);
  const context: TopLevelContext = {
    fileLabel,
    passEnvironment: options.passEnvironment,
    baseDir: resolve(options.baseDir ?? dirname(fileLabel)),
    problems: [...expanded.problems],
    warnings: [],
  };
  const { pathChecks, ...result } = readTopLevel(expanded.value, context);
  return { result: { ...result, warnings: context.warnings }, problems: context.problems, pathChecks };
}

/**
 * Parse and validate config-file text. `fileLabel` names the file in messages. Relative paths
 * are resolved (against `options.baseDir`) but not looked up on disk: {@link readConfigFile} does that.
 *
 * @throws GatewayError('CONFIG_INVALID') on a syntax error, or with every problem found, one
 *   per line as `<fileLabel>: <json path>: <what is wrong>`, listed in `details.problems`.
 */
export function parseConfigFile(text: string, fileLabel: string, options: ConfigFileOptions): ConfigFileResult {
  const { result, problems } = validate(text, fileLabel, options);
  if (problems.length > 0) throw configInvalid(problems);
  return result;
}

/**
 * Read a config file from disk and {@link parseConfigFile} it, labelling messages with `path`
 * as given and resolving relative paths in it against its directory. Also checks on disk that
 * every `"hooks"` module exists and that the `"auditLog"` file's directory does, reporting
 * those problems (`config.json: hooks[1]: file not found: /abs/path`) with the others.
 *
 * @throws GatewayError('CONFIG_INVALID') when the file cannot be read
 *   (`config.json: cannot read file: ENOENT: ...`) or is invalid.
 */
export async function readConfigFile(path: string, options: ConfigFileOptions): Promise<ConfigFileResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw configInvalid([`${path}: cannot read file: ${reason}`], error);
  }
  const { result, problems, pathChecks } = validate(text, path, options);
  problems.push(...(await checkPaths(pathChecks)));
  if (problems.length > 0) throw configInvalid(problems);
  return result;
}

/** What reading the top level needs: the entries' context, and where relative paths start. */
interface TopLevelContext extends EntryContext {
  /** Absolute directory relative paths are resolved against. */
  baseDir: string;
}

/** The top-level object: the gateway's own fields, then `mcpServers`; problems go to the context. */
function readTopLevel(
  root: unknown,
  context: TopLevelContext,
): Omit<ConfigFileResult, 'warnings'> & { pathChecks: PathCheck[] } {
  const upstreams: UpstreamConfig[] = [];
  const disabledUpstreams: string[] = [];
  const { fileLabel, problems } = context;
  if (!isJsonObject(root)) {
    problems.push(problemAt(fileLabel, [], `expected object, got ${jsonTypeOf(root)}`));
    return { upstreams, disabledUpstreams, pathChecks: [] };
  }

  for (const key of Object.keys(root)) {
    if (UNSUPPORTED_TOP_LEVEL_FIELDS.has(key)) {
      problems.push(problemAt(fileLabel, [key], 'not yet supported by this version of mcpgate'));
    } else if (!KNOWN_TOP_LEVEL_FIELDS.has(key)) {
      context.warnings.push(problemAt(fileLabel, [key], 'unknown field, ignored'));
    }
  }

  // Read before the servers, whose problems end the reading early.
  const { pathChecks, ...gatewayFields } = readGatewayFields(root, context);
  const done = () => ({ upstreams, disabledUpstreams, ...gatewayFields, pathChecks });

  const servers = Object.hasOwn(root, 'mcpServers') ? root.mcpServers : undefined;
  if (servers === undefined) {
    problems.push(problemAt(fileLabel, ['mcpServers'], 'missing: the file must have an "mcpServers" object'));
    return done();
  }
  if (!isJsonObject(servers)) {
    problems.push(problemAt(fileLabel, ['mcpServers'], `expected object, got ${jsonTypeOf(servers)}`));
    return done();
  }
  const names = Object.keys(servers);
  if (names.length === 0) {
    problems.push(problemAt(fileLabel, ['mcpServers'], 'has no servers: add at least one entry'));
    return done();
  }

  for (const name of names) {
    const entry = readUpstreamEntry(name, servers[name], context);
    if (entry === undefined) continue;
    if (entry.disabled) disabledUpstreams.push(name);
    else upstreams.push(entry.upstream);
  }
  return done();
}
