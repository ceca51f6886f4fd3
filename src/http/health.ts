/**
 * `/healthz` (the process is alive and serving HTTP) and `/readyz` (every enabled upstream is
 * `ready`). `/readyz` always tells each upstream's state, catalog size and last error, so an
 * operator sees which server is down and why, not just a 503.
 *
 * @module
 */
import { Hono } from 'hono';
import type { Upstream, UpstreamStatus } from '../upstream/upstream.js';

export interface ReadinessReport {
  ready: boolean;
  upstreams: UpstreamStatus[];
  /** Servers present in the config file but `"disabled": true`; they do not count against readiness. */
  disabled: string[];
}

export function readinessReport(upstreams: Iterable<Upstream>, disabled: string[]): ReadinessReport {
  const statuses = [...upstreams].map((upstream) => upstream.status());
  return { ready: statuses.every((status) => status.state === 'ready'), upstreams: statuses, disabled };
}

/** The paths of the health routes, which stay open whatever the API key settings. */
export const HEALTH_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

export function healthRoutes(upstreams: () => Iterable<Upstream>, disabled: () => string[]): Hono {
  const routes = new Hono();
  routes.get('/healthz', (c) => c.json({ status: 'ok' }));
  routes.get('/readyz', (c) => {
    const report = readinessReport(upstreams(), disabled());
    c.header('Cache-Control', 'no-store');
    return c.json(report, report.ready ? 200 : 503);
  });
  return routes;
}
