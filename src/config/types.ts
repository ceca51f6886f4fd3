/**
 * The validated shape of everything mcpgate is told: CLI flags and the config file, merged.
 * Produced once by `src/config/`, read by every other part; never mutated after start-up.
 *
 * @module
 */

/** How mcpgate reaches an upstream MCP server. */
export type UpstreamTransportKind =
  | 'stdio'
  /** Legacy HTTP+SSE (protocol 2024-11-05). */
  | 'sse'
  /** Streamable HTTP, either protocol era (sessions up to 2025-11-25, or stateless 2026-07-28). */
  | 'streamable-http'
  /** A URL with no declared type: try streamable HTTP, fall back to SSE as the spec describes. */
  | 'http-auto';

/** Settings shared by every upstream, whatever its transport. */
interface UpstreamConfigBase {
  /** The key under `mcpServers` (or `--name`-independent `default` in single-server mode). */
  name: string;
  /** Per-call timeout in milliseconds; the upstream request is cancelled when it fires. */
  timeoutMs: number;
  /** Tools hidden from the catalog and refused on call. */
  disabledTools: string[];
  /** When set, only these tools are in the catalog. */
  enabledTools: string[] | undefined;
  /** How the MCP frontends' sessions share this server (`"sharing"`); `shared` when left out. */
  sharing?: UpstreamSharing;
  /** Most concurrent sessions with a connection of their own (`"maxSessions"`, `per-session` only). */
  maxSessions?: number;
  /** Which protocol era the server is spoken to in (`"protocol"`); `auto` when left out. */
  protocol?: UpstreamProtocol;
}

/**
 * - `auto`: stdio servers in the session era (2025-11-25 and before); HTTP servers in the session
 *   era when they accept it, the 2026-07-28 era otherwise, and 2026-07-28 requests in their own
 *   era when the server speaks both.
 * - `2025-11-25`: only the session era (no `server/discover` is ever sent).
 * - `2026-07-28`: only the stateless era; a stdio child is started in it.
 */
export type UpstreamProtocol = 'auto' | '2025-11-25' | '2026-07-28';

/**
 * - `shared`: every MCP session goes through the one supervised connection the REST frontend
 *   uses (ids, progress tokens and server requests remapped per session).
 * - `per-session`: each MCP session gets a connection of its own (a child process, or an upstream
 *   HTTP session), closed with the session.
 */
export type UpstreamSharing = 'shared' | 'per-session';

export interface StdioUpstreamConfig extends UpstreamConfigBase {
  transport: 'stdio';
  command: string;
  args: string[];
  /** Added to the child's environment (over the minimal default, or the whole one with `passEnvironment`). */
  env: Record<string, string>;
  cwd: string | undefined;
  /** Give the child the gateway's whole environment instead of the minimal default. */
  passEnvironment: boolean;
}

export interface HttpUpstreamConfig extends UpstreamConfigBase {
  transport: 'sse' | 'streamable-http' | 'http-auto';
  url: string;
  /** Static headers sent with every request to the upstream. */
  headers: Record<string, string>;
  /** OAuth 2.1 for this server (`"oauth"`); absent: none. */
  oauth?: OAuthUpstreamConfig;
}

/** How mcpgate obtains tokens for an OAuth-protected upstream (the config's `"oauth"`). */
export interface OAuthUpstreamConfig {
  /**
   * - `authorization_code`: a user authorizes once in a browser (PKCE); refresh tokens keep it going.
   * - `client_credentials`: headless, with `clientId` and `clientSecret`.
   */
  grantType: 'authorization_code' | 'client_credentials';
  /** mcpo's `server_url`, kept for compatibility: discovery starts from the server's `url`. */
  serverUrl: string | undefined;
  /** `file`: `~/.mcpgate/tokens/`, surviving restarts; `memory`: until the gateway stops. */
  storage: 'file' | 'memory';
  /** The loopback port of the authorization callback (`callback_port`, default 3030). */
  callbackPort: number;
  /** Open the authorization URL in a browser (`use_loopback`); otherwise it is only shown. */
  openBrowser: boolean;
  /** Client metadata laid over the defaults (`client_metadata`), e.g. for a pre-registered client. */
  clientMetadata: Record<string, unknown> | undefined;
  /** An HTTPS URL serving this client's metadata document, for servers that accept one as `client_id`. */
  clientMetadataUrl: string | undefined;
  /** A client registered beforehand (required for `client_credentials`); skips registration. */
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** Scopes to ask for (space-separated); default what the server advertises. */
  scope: string | undefined;
  /** The authorization server the credentials must be used with (its `issuer`). */
  issuer: string | undefined;
}

export type UpstreamConfig = StdioUpstreamConfig | HttpUpstreamConfig;

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** The whole gateway configuration. */
export interface GatewayConfig {
  /**
   * `single`: one server given on the command line (`mcpgate -- cmd`), routes at the root.
   * `multi`: servers from a config file, routes under `/{server}`.
   */
  mode: 'single' | 'multi';
  /** Enabled upstreams, in config-file order. Servers with `"disabled": true` are not here. */
  upstreams: UpstreamConfig[];
  /** Names of servers present in the config file but disabled. */
  disabledUpstreams: string[];
  /** Absolute path of the config file, when there is one. */
  configPath: string | undefined;
  host: string;
  port: number;
  logLevel: LogLevel;
  /**
   * OpenAPI metadata given explicitly (`--name`, `--description`, `--version`). What is left out
   * comes from the server itself (single-server mode) or from mcpgate's defaults.
   */
  info: { title?: string; description?: string; version?: string };
  /** The REST frontend; defaults apply to what is left out. */
  rest?: Partial<RestConfig>;
  /** API keys guarding the HTTP frontends; none by default. */
  auth?: Partial<AuthConfig>;
  /** Origins allowed by CORS; none by default (no CORS headers at all). */
  cors?: Partial<CorsConfig>;
  /** The MCP frontends (`/mcp`, `/sse`); defaults apply to what is left out. */
  mcp?: Partial<McpConfig>;
  /**
   * Hook modules to load at start, as absolute paths, in the order their hooks run: the config
   * file's `"hooks"` (relative to the file), then each `--hook` (relative to the working directory).
   */
  hookModules?: string[];
  /** The built-in audit log of tool calls (`"auditLog"`, `--audit-log`); off when left out. */
  auditLog?: AuditLogConfig;
  /** Serve HTTPS instead of plain HTTP (`--ssl-certfile`, `--ssl-keyfile`); plain HTTP when left out. */
  tls?: TlsConfig;
  /** Limits on what callers may ask of the gateway; defaults apply to what is left out. */
  limits?: Partial<LimitsConfig>;
  /** The Prometheus endpoint `/metrics`; on, behind the API key, when left out. */
  metrics?: Partial<MetricsConfig>;
  /**
   * On stop: how long calls in flight may finish before they are cancelled (`--shutdown-timeout`);
   * 10 s when left out.
   */
  shutdownTimeoutMs?: number;
}

export interface LimitsConfig {
  /** Largest request head (request line and headers) in bytes; larger ones get 431 (`--max-header-size`). */
  maxHeaderBytes: number;
  /**
   * Most requests in flight at once per API key, or per client address when no key is set; more
   * get 429 with `Retry-After` (`--max-concurrent-requests`). 0: no limit.
   */
  maxConcurrentRequests: number;
  /**
   * Most MCP sessions open at once, over every server and endpoint (`--max-total-sessions`). At
   * the limit a session with nothing in flight is closed to make room (one nobody listens to
   * first, then the least recently used); when every one has a request in flight a new one gets
   * 503. 0: no limit.
   */
  maxSessions: number;
}

export interface MetricsConfig {
  /** Count calls and serve `/metrics` (`--no-metrics` turns both off). */
  enabled: boolean;
  /** Serve `/metrics` without the API key, for a scraper that has none (`--metrics-public`). */
  public: boolean;
}

/**
 * TLS termination: the listener speaks HTTPS only. The PEM texts are read once, at start, so a
 * certificate renewed on disk is taken up by the next start.
 */
export interface TlsConfig {
  /** The certificate, or the certificate followed by its chain, in PEM. */
  cert: string;
  /** Its private key in PEM, unencrypted. A secret: never written to a log. */
  key: string;
  /** Absolute path the certificate was read from (`--ssl-certfile`), for messages; left out when given in code. */
  certFile?: string;
  /** Absolute path the key was read from (`--ssl-keyfile`), for messages; left out when given in code. */
  keyFile?: string;
}

export interface AuditLogConfig {
  /** The JSON-lines file calls are appended to, as an absolute path. */
  path: string;
  /** Write each call's arguments too (secret-looking values masked); off by default (`--audit-log-arguments`). */
  includeArguments: boolean;
}

export interface McpConfig {
  /** A session with no request and no open stream for this long is closed (`--session-idle-timeout`); 0 never. */
  sessionIdleTimeoutMs: number;
  /**
   * `Host` header values accepted by the MCP endpoints besides the loopback names (`--allowed-hosts`),
   * against DNS rebinding; `*` turns the Host check off.
   */
  allowedHosts: string[];
  /**
   * Serve 2025-era streamable HTTP without sessions (`--stateless`): every request stands alone,
   * as 2026-07-28 requests always do; there is no GET stream and no `DELETE`.
   */
  stateless: boolean;
}

export interface RestConfig {
  /** Where the REST API lives (`--path-prefix`), e.g. `/api/v1`; empty for the root. */
  pathPrefix: string;
  /** The prefix a reverse proxy adds in front of mcpgate (`--root-path`), e.g. `/tools`. */
  rootPath: string;
  /** Largest accepted request body, in bytes (`--max-body-size`); larger bodies get 413. */
  maxBodyBytes: number;
  /** Expose each server's resources and prompts as routes and operations (off with `--tools-only`). */
  resourcesAndPrompts: boolean;
}

export interface AuthConfig {
  /** Accepted keys (`--api-key`); empty means no authentication. */
  apiKeys: string[];
  /** Guard every route, documents and docs included, and accept HTTP Basic with the key as password (`--strict-auth`). */
  strict: boolean;
}

export interface CorsConfig {
  /** Allowed origins (`--cors-allow-origins`); `*` allows any. */
  allowOrigins: string[];
}
