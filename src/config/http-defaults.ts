/**
 * Defaults of the HTTP-facing settings, and the normalisation of URL prefixes, in one place so
 * the CLI, the config file and library users all get the same gateway.
 *
 * @module
 */
import type { AuthConfig, CorsConfig, GatewayConfig, LimitsConfig, McpConfig, MetricsConfig, RestConfig } from './types.js';

/** Tool arguments are small; 10 MiB leaves room for files passed inline and stops runaway bodies. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** An MCP session nobody used for half an hour is closed, as mcp-proxy does. */
export const DEFAULT_SESSION_IDLE_TIMEOUT_MS = 30 * 60 * 1000;

/** Node's own default: a request head larger than 16 KiB is refused with 431. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

/**
 * Enough for every client a team runs at once, few enough that a client opening sessions and
 * never ending them cannot exhaust memory; at the limit the session idle longest makes room.
 */
export const DEFAULT_MAX_TOTAL_SESSIONS = 1000;

/** Long enough for most tool calls to finish, short enough to stop well before Kubernetes' 30 s SIGKILL. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export interface HttpSettings {
  rest: RestConfig;
  auth: AuthConfig;
  cors: CorsConfig;
  mcp: McpConfig;
  limits: LimitsConfig;
  metrics: MetricsConfig;
}

export function httpSettings(config: Pick<GatewayConfig, 'rest' | 'auth' | 'cors' | 'mcp' | 'limits' | 'metrics'>): HttpSettings {
  return {
    rest: {
      pathPrefix: normaliseUrlPrefix(config.rest?.pathPrefix ?? ''),
      rootPath: normaliseUrlPrefix(config.rest?.rootPath ?? ''),
      maxBodyBytes: config.rest?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      resourcesAndPrompts: config.rest?.resourcesAndPrompts ?? true,
    },
    auth: { apiKeys: config.auth?.apiKeys ?? [], strict: config.auth?.strict ?? false },
    cors: { allowOrigins: config.cors?.allowOrigins ?? [] },
    mcp: {
      sessionIdleTimeoutMs: config.mcp?.sessionIdleTimeoutMs ?? DEFAULT_SESSION_IDLE_TIMEOUT_MS,
      allowedHosts: config.mcp?.allowedHosts ?? [],
      stateless: config.mcp?.stateless ?? false,
    },
    limits: {
      maxHeaderBytes: config.limits?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
      maxConcurrentRequests: config.limits?.maxConcurrentRequests ?? 0,
      maxSessions: config.limits?.maxSessions ?? DEFAULT_MAX_TOTAL_SESSIONS,
    },
    metrics: { enabled: config.metrics?.enabled ?? true, public: config.metrics?.public ?? false },
  };
}

/**
 * `api/v1`, `/api/v1/` and `/api/v1` all mean `/api/v1`; `/` and `` mean no prefix. Kept
 * without a trailing slash so that `prefix + '/' + name` is always a clean path.
 */
export function normaliseUrlPrefix(prefix: string): string {
  const segments = prefix.split('/').filter((segment) => segment !== '');
  return segments.length === 0 ? '' : `/${segments.join('/')}`;
}
