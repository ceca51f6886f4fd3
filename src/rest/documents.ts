/**
 * The OpenAPI documents the REST frontend serves: one per server (`/{server}/openapi.json`, or
 * `/openapi.json` in single-server mode) and, with a config file, the aggregated root document
 * that holds every server's tools (mcpo's root document is empty).
 *
 * Documents are rebuilt only when an upstream's catalog changes (a new catalog object after each
 * connection or `list_changed`), so serving them costs a lookup.
 *
 * @module
 */
import type { GatewayConfig } from '../config/types.js';
import type { HttpSettings } from '../config/http-defaults.js';
import { buildOpenApiDocument, type DocumentOptions } from '../openapi/document.js';
import type { Catalog } from '../upstream/catalog.js';
import type { Upstream } from '../upstream/upstream.js';
import { packageVersion } from '../version.js';

type OpenApiDocument = Record<string, unknown>;

interface Cached {
  catalogs: Catalog[];
  document: OpenApiDocument;
}

export class OpenApiDocuments {
  private readonly perServer = new Map<string, Cached>();
  private aggregated: Cached | undefined;

  constructor(
    private readonly config: Pick<GatewayConfig, 'mode' | 'info'>,
    private readonly settings: HttpSettings,
  ) {}

  /** The document of one server: its tools at `/{tool}` relative to its own base URL. */
  serverDocument(upstream: Upstream): OpenApiDocument {
    const cached = this.perServer.get(upstream.name);
    if (cached && cached.catalogs[0] === upstream.catalog) return cached.document;
    const base = this.config.mode === 'single' ? this.apiBase() : `${this.apiBase()}/${encodeURIComponent(upstream.name)}`;
    const { document } = buildOpenApiDocument({
      ...this.common(),
      info: this.serverInfo(upstream),
      serverUrl: base || '/',
      sections: [{ server: upstream.name, basePath: '', catalog: upstream.catalog }],
      aggregated: false,
    });
    this.perServer.set(upstream.name, { catalogs: [upstream.catalog], document });
    return document;
  }

  /** Every server's operations in one document, under `/{server}/…`, ids prefixed with the server name. */
  aggregatedDocument(upstreams: Upstream[]): OpenApiDocument {
    const catalogs = upstreams.map((upstream) => upstream.catalog);
    const cached = this.aggregated;
    if (cached && cached.catalogs.length === catalogs.length && cached.catalogs.every((catalog, i) => catalog === catalogs[i])) {
      return cached.document;
    }
    const { document } = buildOpenApiDocument({
      ...this.common(),
      info: {
        title: this.config.info.title ?? 'mcpgate',
        description: this.config.info.description ?? this.serverList(upstreams),
        version: this.config.info.version ?? packageVersion,
      },
      serverUrl: this.apiBase() || '/',
      sections: upstreams.map((upstream) => ({
        server: upstream.name,
        basePath: `/${encodeURIComponent(upstream.name)}`,
        catalog: upstream.catalog,
      })),
      aggregated: true,
    });
    this.aggregated = { catalogs, document };
    return document;
  }

  /** Root path (reverse proxy) + path prefix: where the REST API is, as the client sees it. */
  private apiBase(): string {
    return `${this.settings.rest.rootPath}${this.settings.rest.pathPrefix}`;
  }

  private common(): Pick<DocumentOptions, 'security' | 'resourcesAndPrompts'> {
    const { auth, rest } = this.settings;
    return {
      security: auth.apiKeys.length === 0 ? 'none' : auth.strict ? 'bearer-or-basic' : 'bearer',
      resourcesAndPrompts: rest.resourcesAndPrompts,
    };
  }

  /**
   * What the server says of itself (name, version, instructions), as mcpo shows it. In
   * single-server mode `--name`, `--description` and `--version` override it.
   */
  private serverInfo(upstream: Upstream): DocumentOptions['info'] {
    const client = upstream.client;
    const server = client?.getServerVersion();
    const explicit = this.config.mode === 'single' ? this.config.info : {};
    const name = server?.title ?? server?.name ?? upstream.name;
    return {
      title: explicit.title ?? name,
      description: explicit.description ?? client?.getInstructions() ?? `${name} MCP Server`,
      version: explicit.version ?? server?.version ?? '1.0',
    };
  }

  private serverList(upstreams: Upstream[]): string {
    const links = upstreams.map((upstream) => `- [${upstream.name}](${this.apiBase()}/${encodeURIComponent(upstream.name)}/docs)`);
    return ['Every MCP server behind this gateway, as one API. Each server also has its own document:', '', ...links].join('\n');
  }
}
