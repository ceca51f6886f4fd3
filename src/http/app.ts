/**
 * The HTTP application every frontend mounts into: one Hono app on web-standard
 * `Request`/`Response`, so the same app runs under Node's HTTP server, in tests through
 * `app.request()`, and inside a library user's own server.
 *
 * @module
 */
import { Hono } from 'hono';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Upstream } from '../upstream/upstream.js';
import { healthRoutes } from './health.js';

export interface AppContext {
  upstreams: () => Iterable<Upstream>;
  disabledUpstreams: () => string[];
  logger: Logger;
}

export function createApp(context: AppContext): Hono {
  const app = new Hono();
  app.route('/', healthRoutes(context.upstreams, context.disabledUpstreams));

  app.notFound((c) => c.json({ detail: 'Not Found' }, 404));
  app.onError((error, c) => {
    if (error instanceof GatewayError) {
      if (error.retryAfterSeconds !== undefined) c.header('Retry-After', String(error.retryAfterSeconds));
      return c.json({ detail: { message: error.message, code: error.code } }, error.status as 500);
    }
    // A bug of ours: log it with its stack, answer without leaking internals.
    context.logger.error({ err: error, path: c.req.path }, 'unhandled error in a route');
    return c.json({ detail: { message: 'Internal Server Error' } }, 500);
  });
  return app;
}
