/**
 * The HTTP application every frontend mounts into: one Hono app on web-standard
 * `Request`/`Response`, so the same app runs under Node's HTTP server, in tests through
 * `app.request()`, and inside a library user's own server.
 *
 * Order of the layers, outermost first: the request id (so every answer carries one), with the
 * refusal of new requests while the gateway stops, around the app's `fetch`; the root path a
 * reverse proxy adds is stripped; CORS (so every answer, errors and 401s included, carries its
 * headers); the API key; then health and metrics routes at the root, the per-caller concurrency
 * limit, the MCP endpoints, and the REST frontend at the path prefix.
 *
 * @module
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { getPath } from 'hono/utils/url';
import type { Bridge } from '../bridge/bridge.js';
import { mcpRoutes } from '../bridge/mcp-routes.js';
import type { HttpSettings } from '../config/http-defaults.js';
import type { GatewayConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { HookRunner } from '../hooks/hook-runner.js';
import type { Logger } from '../log/logger.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { restRoutes } from '../rest/routes.js';
import type { Upstream } from '../upstream/upstream.js';
import { apiKeyCheck, apiKeyGuard, holdsApiKey } from './auth.js';
import { concurrencyLimit } from './concurrency-limit.js';
import { dnsRebindingCheck } from './dns-rebinding.js';
import { HEALTH_PATHS, healthRoutes } from './health.js';
import { RememberingRouter } from './remembering-router.js';
import { answerWithRequestIds } from './request-id.js';

export interface AppContext {
  config: Pick<GatewayConfig, 'mode' | 'info' | 'host'>;
  settings: HttpSettings;
  upstreams: () => Iterable<Upstream>;
  upstream: (name: string) => Upstream | undefined;
  disabledUpstreams: () => string[];
  /** The MCP frontends' sessions. */
  bridge: Bridge;
  /** The server whose MCP endpoints sit at the root in single-server mode. */
  singleServer: string | undefined;
  logger: Logger;
  hooks: HookRunner;
  /** Counts and serves `/metrics`; left out when metrics are off. */
  metrics?: GatewayMetrics | undefined;
  /** True once the gateway is stopping: new requests are refused with 503. */
  stopping: () => boolean;
}

/** Where Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

export function createApp(context: AppContext): Hono {
  const { rest, auth, cors: corsSettings, limits } = context.settings;
  const { metrics } = context;
  const app = new Hono({ getPath: rootPathStripper(rest.rootPath), router: new RememberingRouter() });

  answerWithRequestIds(app, {
    logger: context.logger,
    refuse: () => (context.stopping() ? shuttingDown() : undefined),
    ...(metrics ? { onResponse: (status: number) => metrics.responded(status) } : {}),
  });
  if (corsSettings.allowOrigins.length > 0) app.use(corsMiddleware(corsSettings.allowOrigins));
  // Health stays open for orchestrators, and metrics when asked (`--metrics-public`). Strict mode
  // guards everything else, unknown paths included; otherwise the REST routes guard what reaches
  // an upstream and leave documents open.
  const metricsPublic = context.settings.metrics.public;
  const isPublic = (_method: string, path: string): boolean => HEALTH_PATHS.has(path) || (metricsPublic && path === METRICS_PATH);
  const check = auth.apiKeys.length > 0 ? apiKeyCheck({ auth, isPublic }) : undefined;
  if (check && auth.strict) app.use(apiKeyGuard(check));
  app.route('/', healthRoutes(context.upstreams, context.disabledUpstreams, check ? holdsApiKey(auth) : undefined));
  if (metrics) {
    if (check && !auth.strict) app.use(METRICS_PATH, apiKeyGuard(check));
    app.get(METRICS_PATH, async (c) => {
      const { contentType, body } = await metrics.render();
      return c.body(body, 200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
    });
  }
  if (limits.maxConcurrentRequests > 0) app.use(concurrencyLimit({ max: limits.maxConcurrentRequests, byApiKey: auth.apiKeys.length > 0 }));
  // MCP clients are often local tools reached as localhost: checking Host and Origin keeps a web
  // page from reaching them through DNS rebinding.
  const mcpChecks = [
    dnsRebindingCheck({ bindHost: context.config.host, allowedHosts: context.settings.mcp.allowedHosts, allowedOrigins: corsSettings.allowOrigins }),
    ...(check && !auth.strict ? [check] : []),
  ];
  app.route(
    '/',
    mcpRoutes({ bridge: context.bridge, mode: context.config.mode, singleServer: context.singleServer, maxBodyBytes: rest.maxBodyBytes, checks: mcpChecks }),
  );
  app.route(rest.pathPrefix || '/', restRoutes({ ...context, authorize: auth.strict ? undefined : check }));

  app.notFound((c) => {
    // From the path as received, still percent-encoded: a decoded one could hold characters a
    // `Location` header cannot carry (`/%0A/`), and would send `/%C3%A9/` to `/%e9/docs`.
    const target = c.req.method === 'GET' ? withoutTrailingSlash(withoutRootPath(new URL(c.req.url).pathname, rest.rootPath), rest.pathPrefix) : undefined;
    return target === undefined ? c.json({ detail: 'Not Found' }, 404) : c.redirect(`${rest.rootPath}${target}`);
  });
  app.onError((error, c) => {
    if (error instanceof GatewayError) return gatewayErrorAnswer(error);
    // A bug of ours: log it with its stack, answer without leaking internals.
    context.logger.error({ err: error, path: c.req.path }, 'unhandled error in a route');
    return c.json({ detail: { message: 'Internal Server Error' } }, 500);
  });
  return app;
}

/** A refusal or failure the gateway names: its status, `Retry-After` when it has one, and `{detail: {message, code}}`. */
function gatewayErrorAnswer(error: GatewayError, headers: Record<string, string> = {}): Response {
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  return Response.json({ detail: { message: error.message, code: error.code } }, { status: error.status, headers });
}

/** 503 with `Connection: close` for what arrives once the gateway is stopping, so clients go elsewhere. */
function shuttingDown(): Response {
  const error = new GatewayError('SHUTTING_DOWN', 'the gateway is shutting down; retry in a moment (another instance, or this one once restarted)', {
    retryAfterSeconds: 5,
  });
  return gatewayErrorAnswer(error, { connection: 'close' });
}

/**
 * `/docs/`, `/{server}/` and `/{prefix}/` lead to the same place as without the slash: the docs
 * page must not be served at `/docs/`, where its relative URLs would point one level too deep.
 * Done on a miss rather than with routes: a twin route for each would double the parameterised
 * routes every request is matched against.
 */
function withoutTrailingSlash(path: string, pathPrefix: string): string | undefined {
  if (path.length < 2 || !path.endsWith('/')) return undefined;
  const target = path.slice(0, -1);
  if (target.endsWith('/docs')) return target;
  const isApiRoot = target === pathPrefix;
  const isServerRoot = target.startsWith(`${pathPrefix}/`) && !target.slice(pathPrefix.length + 1).includes('/');
  return isApiRoot || isServerRoot ? `${target}/docs` : undefined;
}

/**
 * Behind a reverse proxy mounted at `--root-path`, requests may arrive with the prefix (a proxy
 * that passes the path through) or without it (one that strips it); both are served.
 */
function rootPathStripper(rootPath: string): (request: Request) => string {
  if (rootPath === '') return getPath;
  return (request) => withoutRootPath(getPath(request), rootPath);
}

function withoutRootPath(path: string, rootPath: string): string {
  if (rootPath === '') return path;
  if (path === rootPath) return '/';
  return path.startsWith(`${rootPath}/`) ? path.slice(rootPath.length) : path;
}

/**
 * No CORS unless asked: a gateway on localhost answering `*` would let any web page call the
 * user's tools. Listed origins are echoed (credentials allowed); `*` allows any origin without
 * credentials.
 */
function corsMiddleware(allowOrigins: string[]) {
  const any = allowOrigins.includes('*');
  return cors({
    origin: any ? '*' : allowOrigins,
    credentials: !any,
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    // The MCP endpoints' headers a browser client must read to keep its session going.
    exposeHeaders: ['Retry-After', 'WWW-Authenticate', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'Last-Event-ID'],
    maxAge: 600,
  });
}
