/**
 * Defaults of the HTTP-facing settings, and the normalisation of URL prefixes, in one place so
 * the CLI, the config file and library users all get the same gateway.
 *
 * @module
 */
import type { AuthConfig, CorsConfig, GatewayConfig, McpConfig, RestConfig } from './types.js';

/** Tool arguments are small; 10 MiB leaves room for files passed inline and stops runaway bodies. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** An MCP session nobody used for half an hour is closed, as mcp-proxy does. */
export const DEFAULT_SESSION_IDLE_TIMEOUT_MS = 30 * 60 * 1000;

export interface HttpSettings {
  rest: RestConfig;
  auth: AuthConfig;
  cors: CorsConfig;
  mcp: McpConfig;
}

export function httpSettings(config: Pick<GatewayConfig, 'rest' | 'auth' | 'cors' | 'mcp'>): HttpSettings {
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
