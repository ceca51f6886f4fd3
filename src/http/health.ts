/**
 * `/healthz` (the process is alive and serving HTTP) and `/readyz` (every enabled upstream is
 * `ready`). `/readyz` always tells each upstream's state, catalog size and last error, so an
 * operator sees which server is down and why, not just a 503, and where an OAuth server waits
 * for its user to authorize.
 *
 * @module
 */
import { Hono, type Context } from 'hono';
import type { Upstream, UpstreamStatus } from '../upstream/upstream.js';

export interface ReadinessReport {
  ready: boolean;
  upstreams: UpstreamStatus[];
  /** Servers present in the config file but `"disabled": true`; they do not count against readiness. */
  disabled: string[];
}

export function readinessReport(upstreams: Iterable<Upstream>, disabled: string[], options: { showAuthorizationUrls?: boolean } = {}): ReadinessReport {
  const statuses = [...upstreams].map((upstream) => upstream.status());
  const shown = options.showAuthorizationUrls === false ? statuses.map(withoutAuthorizationUrl) : statuses;
  return { ready: statuses.every((status) => status.state === 'ready'), upstreams: shown, disabled };
}

/**
 * Whoever follows an authorization URL decides whose account the gateway then acts as, so on a
 * gateway with API keys the URL is only shown to key holders.
 */
function withoutAuthorizationUrl(status: UpstreamStatus): UpstreamStatus {
  if (status.authorizationUrl === null) return status;
  const hidden = 'waiting for the user to authorize mcpgate (send the API key to see the authorization URL)';
  return { ...status, authorizationUrl: null, lastError: hidden };
}

/** The paths of the health routes, which stay open whatever the API key settings. */
export const HEALTH_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/**
 * `mayAuthorize`, when given, tells whether a caller may see authorization URLs (it holds an
 * API key); without it everyone may, as anyone may call the tools.
 */
export function healthRoutes(upstreams: () => Iterable<Upstream>, disabled: () => string[], mayAuthorize?: (c: Context) => boolean): Hono {
  const routes = new Hono();
  routes.get('/healthz', (c) => c.json({ status: 'ok' }));
  routes.get('/readyz', (c) => {
    const report = readinessReport(upstreams(), disabled(), { showAuthorizationUrls: mayAuthorize?.(c) ?? true });
    c.header('Cache-Control', 'no-store');
    return c.json(report, report.ready ? 200 : 503);
  });
  return routes;
}
