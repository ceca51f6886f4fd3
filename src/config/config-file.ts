/**
 * The config file (Claude Desktop's `mcpServers` format, as mcpo reads it) → upstream configs.
 * Pipeline: JSONC parse → `${VAR}` expansion → validation of every entry. All problems of the
 * file are reported together in one CONFIG_INVALID error.
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { configInvalid } from './config-error.js';
import { expandEnvInTree, type EnvSource } from './expand-env.js';
import { isJsonObject, jsonTypeOf, problemAt } from './json-path.js';
import { parseJsonc } from './parse-jsonc.js';
import { KNOWN_TOP_LEVEL_FIELDS, UNSUPPORTED_TOP_LEVEL_FIELDS } from './server-schema.js';
import type { UpstreamConfig } from './types.js';
import { readUpstreamEntry, type EntryContext } from './upstream-entry.js';

/** What reading a config file needs from the caller. */
export interface ConfigFileOptions {
  /** The variables `${VAR}` may refer to (normally `process.env`, passed in by the CLI). */
  env: EnvSource;
  /** Copied to every stdio upstream: give children the gateway's whole environment. */
  passEnvironment: boolean;
}

/** The useful content of a config file. */
export interface ConfigFileResult {
  /** Enabled servers, in file order. */
  upstreams: UpstreamConfig[];
  /** Names of servers with `"disabled": true`, in file order (validated like the others). */
  disabledUpstreams: string[];
  /** Things that were ignored, e.g. `config.json: mcpServers.time.alwaysAllow: unknown field, ignored`. */
  warnings: string[];
}

/**
 * Parse and validate config-file text. `fileLabel` names the file in messages.
 *
 * @throws GatewayError('CONFIG_INVALID') on a syntax error, or with every problem found, one
 *   per line as `<fileLabel>: <json path>: <what is wrong>`, listed in `details.problems`.
 */
export function parseConfigFile(text: string, fileLabel: string, options: ConfigFileOptions): ConfigFileResult {
  const parsed = parseJsonc(text, fileLabel);
  // Expansion problems are kept and reported with the validation ones, not thrown early.
  const expanded = expandEnvInTree(parsed, options.env, fileLabel);
  const context: EntryContext = {
    fileLabel,
    passEnvironment: options.passEnvironment,
    problems: [...expanded.problems],
    warnings: [],
  };
  const result = readTopLevel(expanded.value, context);
  if (context.problems.length > 0) throw configInvalid(context.problems);
  return { ...result, warnings: context.warnings };
}

/**
 * Read a config file from disk and {@link parseConfigFile} it, labelling messages with `path`
 * as given.
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
  return parseConfigFile(text, path, options);
}

/** The top-level object and its `mcpServers`; problems go to the context. */
function readTopLevel(root: unknown, context: EntryContext): Omit<ConfigFileResult, 'warnings'> {
  const upstreams: UpstreamConfig[] = [];
  const disabledUpstreams: string[] = [];
  const { fileLabel, problems } = context;
  if (!isJsonObject(root)) {
    problems.push(problemAt(fileLabel, [], `expected object, got ${jsonTypeOf(root)}`));
    return { upstreams, disabledUpstreams };
  }

  for (const key of Object.keys(root)) {
    if (UNSUPPORTED_TOP_LEVEL_FIELDS.has(key)) {
      problems.push(problemAt(fileLabel, [key], 'not yet supported by this version of mcpgate'));
    } else if (!KNOWN_TOP_LEVEL_FIELDS.has(key)) {
      context.warnings.push(problemAt(fileLabel, [key], 'unknown field, ignored'));
    }
  }

  const servers = Object.hasOwn(root, 'mcpServers') ? root.mcpServers : undefined;
  if (servers === undefined) {
    problems.push(problemAt(fileLabel, ['mcpServers'], 'missing: the file must have an "mcpServers" object'));
    return { upstreams, disabledUpstreams };
  }
  if (!isJsonObject(servers)) {
    problems.push(problemAt(fileLabel, ['mcpServers'], `expected object, got ${jsonTypeOf(servers)}`));
    return { upstreams, disabledUpstreams };
  }
  const names = Object.keys(servers);
  if (names.length === 0) {
    problems.push(problemAt(fileLabel, ['mcpServers'], 'has no servers: add at least one entry'));
    return { upstreams, disabledUpstreams };
  }

  for (const name of names) {
    const entry = readUpstreamEntry(name, servers[name], context);
    if (entry === undefined) continue;
    if (entry.disabled) disabledUpstreams.push(name);
    else upstreams.push(entry.upstream);
  }
  return { upstreams, disabledUpstreams };
}
