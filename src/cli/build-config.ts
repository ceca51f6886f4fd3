/**
 * Turns a parsed command line (and the config file it names) into the one validated
 * `GatewayConfig`. Every problem becomes a `GatewayError('CONFIG_INVALID')` whose message says
 * which flag or field is wrong and why; the CLI exits with 2 on it.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { configInvalid } from '../config/config-error.js';
import { readConfigFile } from '../config/config-file.js';
import { allowedHostProblem } from '../config/host-names.js';
import { checkPaths, type PathCheck } from '../config/path-checks.js';
import { DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, SHARING_MODES, TRANSPORT_ALIASES, isHttpUrl } from '../config/server-schema.js';
import type { AuditLogConfig, GatewayConfig, LogLevel, UpstreamConfig, UpstreamSharing } from '../config/types.js';
import { demoServerCommand } from '../demo/command.js';
import { GatewayError } from '../errors.js';
import { API_KEYS_VARIABLE, collectApiKeys } from './api-keys.js';
import { DEFAULT_HOST, DEFAULT_PORT, type ParsedCommandLine } from './options.js';
import { operationsFlags, secondsFlag } from './operations-flags.js';
import { tlsFlags } from './tls-flags.js';

/** The name of the upstream in single-server mode (routes sit at the root, so it shows only in logs and /readyz). */
export const SINGLE_SERVER_NAME = 'default';
/** The name of the bundled demo server, served when no server is given. */
export const DEMO_SERVER_NAME = 'demo';

export interface BuiltConfig {
  config: GatewayConfig;
  /** Things that were ignored (unknown config fields); the CLI logs them. */
  warnings: string[];
  /** True when no server was given and the bundled demo server is served. */
  demo: boolean;
  /** `--stdio`: relay stdin/stdout to the one upstream instead of serving HTTP. */
  stdio: boolean;
  /** `--hot-reload`: watch the config file and apply its changes while running. */
  hotReload: boolean;
}

/** mcpo takes Python's level names; pino has its own. */
const LOG_LEVELS: Record<string, LogLevel> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
  fatal: 'fatal',
  silent: 'silent',
};

const invalid = (message: string): GatewayError => new GatewayError('CONFIG_INVALID', message);

/** The REST frontend's, auth, CORS and MCP frontends' flags; unset ones are left to the defaults. */
function httpOptions(options: ParsedCommandLine['options'], apiKeys: string[]): Pick<GatewayConfig, 'info' | 'rest' | 'auth' | 'cors' | 'mcp'> {
  if (options.strictAuth && apiKeys.length === 0) throw invalid(`--strict-auth needs an API key: --api-key, --api-key-file or ${API_KEYS_VARIABLE}`);
  const info: GatewayConfig['info'] = {};
  if (options.name !== undefined) info.title = options.name;
  if (options.description !== undefined) info.description = options.description;
  if (typeof options.version === 'string') info.version = options.version;
  const rest: GatewayConfig['rest'] = { resourcesAndPrompts: !options.toolsOnly };
  if (options.rootPath !== undefined) rest.rootPath = options.rootPath;
  if (options.pathPrefix !== undefined) rest.pathPrefix = options.pathPrefix;
  if (options.maxBodySize !== undefined) {
    const bytes = Number(options.maxBodySize);
    if (!/^\d+$/.test(options.maxBodySize) || bytes < 1) {
      throw invalid(`--max-body-size: expected a number of bytes (1 or more), got "${options.maxBodySize}"`);
    }
    rest.maxBodyBytes = bytes;
  }
  return {
    info,
    rest,
    auth: { apiKeys, strict: options.strictAuth ?? false },
    // --allow-origin (mcp-proxy) and --cors-allow-origins (mcpo) fill one list.
    cors: { allowOrigins: [...new Set([...(options.corsAllowOrigins ?? []), ...(options.allowOrigin ?? [])])] },
    mcp: mcpOptions(options),
  };
}

/** `--allowed-hosts`, `--session-idle-timeout` and `--stateless`. */
function mcpOptions(options: ParsedCommandLine['options']): NonNullable<GatewayConfig['mcp']> {
  const mcp: NonNullable<GatewayConfig['mcp']> = {};
  if (options.stateless) mcp.stateless = true;
  if (options.allowedHosts !== undefined) {
    for (const host of options.allowedHosts) {
      const problem = allowedHostProblem(host);
      if (problem !== undefined) throw invalid(`--allowed-hosts: ${problem}`);
    }
    mcp.allowedHosts = [...new Set(options.allowedHosts)];
  }
  if (options.sessionIdleTimeout !== undefined) mcp.sessionIdleTimeoutMs = secondsFlag('--session-idle-timeout', options.sessionIdleTimeout, 'never');
  return mcp;
}

/** `--sharing` and `--max-sessions`, for the single server given on the command line. */
function sharingOptions(
  options: ParsedCommandLine['options'],
  warnings: string[],
): { sharing?: UpstreamSharing; maxSessions?: number } {
  const result: { sharing?: UpstreamSharing; maxSessions?: number } = {};
  if (options.sharing !== undefined) {
    const mode = SHARING_MODES.find((candidate) => candidate === options.sharing);
    if (mode === undefined) throw invalid(`--sharing: expected ${SHARING_MODES.join(' or ')}, got "${options.sharing}"`);
    result.sharing = mode;
  }
  if (options.maxSessions !== undefined) {
    const count = Number(options.maxSessions);
    if (!/^\d+$/.test(options.maxSessions) || count < 1 || !Number.isSafeInteger(count)) {
      throw invalid(`--max-sessions: expected a whole number of sessions (1 or more), got "${options.maxSessions}"`);
    }
    // A shared connection has no per-session connections to count.
    if (result.sharing === 'per-session') result.maxSessions = count;
    else warnings.push('--max-sessions: ignored: only used with --sharing per-session');
  }
  return result;
}

/** `--hook`, `--audit-log` and `--audit-log-arguments`, before the config file's settings are added. */
interface HookAndAuditFlags {
  /** `--hook` paths, absolute, in the order given. */
  hookModules: string[];
  /** Only the fields the flags set, to be laid over the config file's `"auditLog"`. */
  auditLog: Partial<AuditLogConfig>;
}

/**
 * The hook and audit-log flags, their paths resolved against the working directory and checked
 * on disk: a hook module must exist, the audit log's directory must (the file is created).
 */
async function hookAndAuditFlags(options: ParsedCommandLine['options']): Promise<HookAndAuditFlags> {
  const checks: PathCheck[] = [];
  const hookModules = (options.hook ?? []).map((file) => {
    if (file === '') throw invalid('--hook: expected the path of a module file, got ""');
    const path = resolve(file);
    checks.push({ kind: 'module', path, where: '--hook' });
    return path;
  });
  const auditLog: Partial<AuditLogConfig> = {};
  if (options.auditLog !== undefined) {
    if (options.auditLog === '') throw invalid('--audit-log: expected the path of the log file, got ""');
    auditLog.path = resolve(options.auditLog);
    checks.push({ kind: 'created-file', path: auditLog.path, where: '--audit-log' });
  }
  if (options.auditLogArguments) auditLog.includeArguments = true;
  const problems = await checkPaths(checks);
  if (problems.length > 0) throw configInvalid(problems);
  return { hookModules, auditLog };
}

/**
 * `hookModules` and `auditLog` of the config: the file's hooks, then the `--hook` ones; for the
 * audit log, each field a flag sets wins over the file's (`--audit-log` over `"auditLog".path`,
 * `--audit-log-arguments` turns `includeArguments` on). Fields are left out when there is nothing.
 *
 * @param configFile the `--config` path as given, when there is one (for the message).
 */
function hookAndAuditConfig(
  flags: HookAndAuditFlags,
  file: { hookModules?: string[]; auditLog?: AuditLogConfig },
  configFile: string | undefined,
): Pick<GatewayConfig, 'hookModules' | 'auditLog'> {
  const result: Pick<GatewayConfig, 'hookModules' | 'auditLog'> = {};
  const hookModules = [...(file.hookModules ?? []), ...flags.hookModules];
  if (hookModules.length > 0) result.hookModules = hookModules;
  const { path, includeArguments } = { ...file.auditLog, ...flags.auditLog };
  if (path !== undefined) result.auditLog = { path, includeArguments: includeArguments ?? false };
  else if (includeArguments) {
    const orFile = configFile === undefined ? '' : ` (or "auditLog" in ${configFile})`;
    throw invalid(`--audit-log-arguments needs an audit log: give --audit-log <file>${orFile}`);
  }
  return result;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw invalid(`--port: expected a port number from 0 to 65535, got "${text}"`);
  return port;
}

function parseTimeoutMs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_SECONDS * 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TIMEOUT_SECONDS) {
    throw invalid(`--timeout: expected a number of seconds between 0 and ${MAX_TIMEOUT_SECONDS}, got "${text}"`);
  }
  return Math.round(seconds * 1000);
}

function parseLogLevel(text: string): LogLevel {
  const level = LOG_LEVELS[text.toLowerCase()];
  if (!level) throw invalid(`--log-level: expected one of ${Object.keys(LOG_LEVELS).join(', ')}, got "${text}"`);
  return level;
}

function parseHeaders(json: string | undefined): Record<string, string> {
  if (json === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw invalid(`--header: not valid JSON (${(error as Error).message}); write e.g. '{"Authorization": "Bearer token"}'`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('--header: expected a JSON object of header names to values');
  }
  for (const [name, headerValue] of Object.entries(value)) {
    if (typeof headerValue !== 'string') throw invalid(`--header: the value of "${name}" must be a string`);
  }
  return value as Record<string, string>;
}

function parseEnvPairs(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw invalid(`--env: expected KEY=VALUE or KEY VALUE, got "${pair}"`);
    env[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return env;
}

async function readEnvFile(path: string | undefined): Promise<Record<string, string>> {
  if (path === undefined) return {};
  try {
    return parseEnv(await readFile(path, 'utf8')) as Record<string, string>;
  } catch (error) {
    throw invalid(`--env-path: cannot read ${path}: ${(error as Error).message}`);
  }
}

function singleServer(
  name: string,
  server: string[],
  options: ParsedCommandLine['options'],
  extraEnv: Record<string, string>,
  timeoutMs: number,
  sharing: { sharing?: UpstreamSharing; maxSessions?: number },
): UpstreamConfig {
  const [target, ...rest] = server as [string, ...string[]];
  const common = { name, timeoutMs, disabledTools: [], enabledTools: undefined, ...sharing };
  const typeName = options.serverType;
  const transport = typeName === undefined ? (isHttpUrl(target) ? 'http-auto' : 'stdio') : TRANSPORT_ALIASES[typeName];
  if (transport === undefined) {
    throw invalid(`--server-type: expected stdio, sse or streamable-http, got "${typeName}"`);
  }
  if (transport === 'stdio') {
    if (options.header !== undefined) throw invalid('--header applies to sse and streamable-http servers, not to a stdio command');
    return {
      ...common,
      transport,
      command: target,
      args: rest,
      env: extraEnv,
      cwd: options.cwd === undefined ? undefined : resolve(options.cwd),
      passEnvironment: options.passEnvironment,
    };
  }
  if (!isHttpUrl(target)) throw invalid(`--server-type ${typeName ?? 'auto'}: expected an http:// or https:// URL after --, got "${target}"`);
  if (rest.length > 0) throw invalid(`a URL takes no further arguments, got "${rest.join(' ')}"`);
  if (options.cwd !== undefined) throw invalid('--cwd applies to a stdio command, not to a URL');
  return { ...common, transport, url: target, headers: parseHeaders(options.header) };
}

/**
 * Builds the gateway's config. `env` is the process environment (for `${VAR}` in the config file).
 *
 * @throws GatewayError CONFIG_INVALID, naming the flag or field.
 */
export async function buildConfig(parsed: ParsedCommandLine, env: NodeJS.ProcessEnv): Promise<BuiltConfig> {
  const { options, server } = parsed;
  const port = options.port === undefined ? undefined : parsePort(options.port);
  const logLevel = parseLogLevel(options.logLevel);
  const extraEnv = { ...(await readEnvFile(options.envPath)), ...parseEnvPairs(options.env) };
  // Where to listen: the command line wins over the config file, which wins over the defaults.
  const listenAt = (file: { host?: string; port?: number } = {}) => ({ host: options.host ?? file.host ?? DEFAULT_HOST, port: port ?? file.port ?? DEFAULT_PORT });
  const base = { ...listenAt(), logLevel, ...operationsFlags(options), ...httpOptions(options, await collectApiKeys({ flags: options.apiKey ?? [], file: options.apiKeyFile, env })) };

  const stdio = options.stdio === true;
  const hotReload = options.hotReload === true;
  if (hotReload && options.config === undefined) {
    throw invalid('--hot-reload watches a config file: give it with --config <file> (a server given on the command line has nothing to reload)');
  }
  if (stdio && options.config !== undefined) {
    throw invalid('--stdio relays one server given after -- (a URL or a command); it cannot be combined with --config');
  }
  if (stdio && server.length === 0) throw invalid('--stdio: put the server\'s URL or command after --, e.g. mcpgate --stdio -- https://example.com/mcp');
  const tls = await tlsFlags(options, stdio);
  // Left out rather than undefined when not given: the config says only what was asked for.
  const tlsField = tls === undefined ? {} : { tls };

  if (options.config !== undefined) {
    if (server.length > 0) throw invalid(`give either --config or a server command, not both (got "${server.join(' ')}")`);
    for (const [flag, value] of [['--server-type', options.serverType], ['--header', options.header], ['--cwd', options.cwd], ['--timeout', options.timeout]] as const) {
      if (value !== undefined) throw invalid(`${flag} applies to a single server given on the command line; set it per server in ${options.config}`);
    }
    for (const [flag, value, field] of [['--sharing', options.sharing, 'sharing'], ['--max-sessions', options.maxSessions, 'maxSessions']] as const) {
      if (value !== undefined) {
        throw invalid(`${flag} applies to a single server given on the command line; set "${field}" per server in ${options.config}`);
      }
    }
    const flags = await hookAndAuditFlags(options);
    const file = await readConfigFile(options.config, { env: { ...env, ...extraEnv }, passEnvironment: options.passEnvironment });
    const upstreams = file.upstreams.map((upstream) =>
      upstream.transport === 'stdio' ? { ...upstream, env: { ...extraEnv, ...upstream.env } } : upstream,
    );
    return {
      config: {
        ...base,
        ...listenAt(file),
        mode: 'multi',
        upstreams,
        disabledUpstreams: file.disabledUpstreams,
        configPath: resolve(options.config),
        ...hookAndAuditConfig(flags, file, options.config),
        ...tlsField,
      },
      warnings: file.warnings,
      demo: false,
      stdio: false,
      hotReload,
    };
  }

  const hookAndAudit = hookAndAuditConfig(await hookAndAuditFlags(options), {}, undefined);
  const timeoutMs = parseTimeoutMs(options.timeout);
  const warnings: string[] = [];
  const sharing = sharingOptions(options, warnings);
  const demo = server.length === 0;
  if (demo && (options.serverType !== undefined || options.header !== undefined)) {
    throw invalid('no server given: put the server command or URL after --');
  }
  const demoCommand = demo ? demoServerCommand() : undefined;
  const upstream = demoCommand
    ? // The demo runs where it is installed, whatever --cwd says.
      singleServer(DEMO_SERVER_NAME, [demoCommand.command, ...demoCommand.args], { ...options, cwd: undefined }, extraEnv, timeoutMs, sharing)
    : singleServer(SINGLE_SERVER_NAME, server, options, extraEnv, timeoutMs, sharing);
  return {
    config: { ...base, mode: 'single', upstreams: [upstream], disabledUpstreams: [], configPath: undefined, ...hookAndAudit, ...tlsField },
    warnings,
    demo,
    stdio,
    hotReload: false,
  };
}
