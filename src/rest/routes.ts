/**
 * The REST frontend's routes, mounted at the path prefix.
 *
 * Single-server mode (`mcpgate -- cmd`):      `POST /{tool}`, `GET /openapi.json`, `GET /docs`, …
 * Config-file mode:  `POST /{server}/{tool}`, `GET /{server}/openapi.json`, `GET /{server}/docs`, …
 *                    and `GET /openapi.json` + `GET /docs` holding every server's tools.
 *
 * Routes look their server and tool up on each request rather than being registered per tool,
 * so a catalog change (`list_changed`, a reconnect) is live at once and nothing is re-mounted.
 *
 * @module
 */
import { Hono, type Context } from 'hono';
import type { ApiKeyCheck } from '../http/auth.js';
import type { GatewayConfig } from '../config/types.js';
import type { HttpSettings } from '../config/http-defaults.js';
import { docsAsset, docsPageHtml } from '../http/docs-ui.js';
import { answersEveryRequest } from '../http/remembering-router.js';
import type { HookRunner } from '../hooks/hook-runner.js';
import type { Logger } from '../log/logger.js';
import type { Upstream } from '../upstream/upstream.js';
import { CatalogIndexes } from './catalog-index.js';
import { OpenApiDocuments } from './documents.js';
import { methodNotAllowed, notFound } from './errors.js';
import { handleGetPrompt, handleListPrompts, handleListResources, handleReadResource } from './resources-and-prompts.js';
import { handleToolCall, respond, type RestCallContext } from './tool-call.js';

export interface RestRoutesOptions {
  config: Pick<GatewayConfig, 'mode' | 'info'>;
  settings: HttpSettings;
  /** The upstreams by name, looked up on each request. */
  upstream: (name: string) => Upstream | undefined;
  /** Every upstream, in config order. */
  upstreams: () => Iterable<Upstream>;
  logger: Logger;
  /** Checked on every route that reaches an upstream (tools, resources, prompts); documents stay open. */
  authorize?: ApiKeyCheck;
  hooks: HookRunner;
}

export function restRoutes(options: RestRoutesOptions): Hono {
  const { settings } = options;
  const documents = new OpenApiDocuments(options.config, settings);
  const context: RestCallContext = { indexes: new CatalogIndexes(options.logger), maxBodyBytes: settings.rest.maxBodyBytes, hooks: options.hooks };
  const docsUrl = `${settings.rest.rootPath}${settings.rest.pathPrefix}`;
  const app = new Hono();

  if (options.config.mode === 'single') {
    const only = (): Upstream => options.upstreams()[Symbol.iterator]().next().value as Upstream;
    app.get('/', (c) => c.redirect(`${docsUrl}/docs`));
    documentRoutes(app, '', (c) => c.json(documents.serverDocument(only())), () => documents.serverDocument(only()));
    serverRoutes(app, '', () => only(), settings, context, options.authorize);
    return app;
  }

  const byName = (c: Context): Upstream | undefined => options.upstream(c.req.param('server') ?? '');
  const withServer = withUpstream(byName);
  app.get('/', (c) => c.redirect(`${docsUrl}/docs`));
  const aggregated = () => documents.aggregatedDocument([...options.upstreams()]);
  documentRoutes(app, '', (c) => c.json(aggregated()), aggregated);
  app.get('/:server', withServer((c, upstream) => c.redirect(`${docsUrl}/${encodeURIComponent(upstream.name)}/docs`)));
  documentRoutes(
    app,
    '/:server',
    withServer((c, upstream) => c.json(documents.serverDocument(upstream))),
    (c) => {
      const upstream = byName(c);
      return upstream ? documents.serverDocument(upstream) : undefined;
    },
  );
  serverRoutes(app, '/:server', byName, settings, context, options.authorize);
  return app;
}

type UpstreamHandler = (c: Context, upstream: Upstream) => Response | Promise<Response>;

/** Runs `handler` with the upstream the request names, or answers 404 when there is none. */
function withUpstream(upstreamOf: (c: Context) => Upstream | undefined) {
  return (handler: UpstreamHandler) =>
    answersEveryRequest((c: Context): Response | Promise<Response> => {
      const upstream = upstreamOf(c);
      return upstream ? handler(c, upstream) : respond(c, notFound);
    });
}

/** `openapi.json`, the Swagger UI page and its assets under `base`. */
function documentRoutes(
  app: Hono,
  base: string,
  serveDocument: (c: Context) => Response | Promise<Response>,
  document: (c: Context) => Record<string, unknown> | undefined,
): void {
  app.get(`${base}/openapi.json`, serveDocument);
  app.get(`${base}/docs`, (c) => {
    const current = document(c);
    if (!current) return respond(c, notFound);
    const info = current.info as { title?: string } | undefined;
    return c.html(docsPageHtml({ title: info?.title ?? 'mcpgate' }));
  });
  app.get(`${base}/docs/:file`, (c) => (document(c) ? (docsAsset(c.req.param('file')) ?? respond(c, notFound)) : respond(c, notFound)));
}

/** Tools, resources and prompts of the server that `upstreamOf` picks. */
function serverRoutes(
  app: Hono,
  base: string,
  upstreamOf: (c: Context) => Upstream | undefined,
  settings: HttpSettings,
  context: RestCallContext,
  authorize: ApiKeyCheck | undefined,
): void {
  const on = withUpstream(upstreamOf);
  const guarded = (handler: UpstreamHandler) => {
    const served = on(handler);
    return answersEveryRequest((c: Context): Response | Promise<Response> => authorize?.(c) ?? served(c));
  };

  if (settings.rest.resourcesAndPrompts) {
    app.get(`${base}/resources`, guarded(handleListResources));
    app.get(`${base}/resources/read`, guarded((c, upstream) => handleReadResource(c, upstream, context)));
    app.get(`${base}/prompts`, guarded(handleListPrompts));
    app.post(`${base}/prompts/:prompt`, guarded((c, upstream) => handleGetPrompt(c, upstream, c.req.param('prompt') ?? '', context)));
  }
  app.post(`${base}/:tool`, guarded((c, upstream) => handleToolCall(c, upstream, c.req.param('tool') ?? '', context)));
  // Any other method on a tool's path: 405 when the tool exists (mcpo does the same), else 404.
  app.all(
    `${base}/:tool`,
    on((c, upstream) => {
      if (!context.indexes.of(upstream.catalog).tools.has(c.req.param('tool') ?? '')) return respond(c, notFound);
      c.header('Allow', 'POST');
      return respond(c, methodNotAllowed);
    }),
  );
}
