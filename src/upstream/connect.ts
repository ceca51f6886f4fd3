/**
 * Opens one MCP client connection to an upstream, whatever its transport and protocol era.
 *
 * - stdio: a child process in its own process group (see `stdio-transport.ts`), legacy handshake.
 *   Stdio servers are overwhelmingly legacy, and probing a legacy stdio server with
 *   `server/discover` makes some of them exit; the SDK's modern servers accept `initialize` too.
 *   With `"protocol": "2026-07-28"` the child is started in that era instead.
 * - streamable HTTP: the 2025 handshake first, and era negotiation `auto` when the server refuses
 *   it, so a 2026-07-28-only server and a legacy session server both work. A server that speaks
 *   both is used in the 2025 era: there, sampling, elicitation, log levels and resource
 *   subscriptions reach 2025-era clients exactly as the server means them. Its 2026-07-28
 *   requests go beside it, in their own era (see `modern-lane.ts`).
 * - SSE: the SDK's legacy HTTP+SSE transport.
 * - `"protocol"` other than `auto` pins the era: `2025-11-25` never sends `server/discover`,
 *   `2026-07-28` never sends `initialize`.
 * - a URL without a type: streamable HTTP first; on 400/404/405 fall back to SSE, as the
 *   specification's backwards-compatibility section describes.
 *
 * @module
 */
import {
  Client,
  ProtocolError,
  type AuthProvider,
  type FetchLike,
  SdkHttpError,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type ClientOptions,
  type Transport,
} from '@modelcontextprotocol/client';
import { getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import type { HttpUpstreamConfig, StdioUpstreamConfig, UpstreamConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ChildProcessRegistry } from './child-registry.js';
import { LeanRequests } from './lean-requests.js';
import { ChildProcessTransport } from './stdio-transport.js';

/** The transport actually in use, which for `http-auto` is only known after connecting. */
export type ConnectedTransportKind = 'stdio' | 'sse' | 'streamable-http';

export interface UpstreamConnection {
  client: Client;
  transport: Transport;
  kind: ConnectedTransportKind;
  /** The requests a gateway passes on, beside the client; session-era connections only (see `lean-requests.ts`). */
  lean: LeanRequests | undefined;
}

export interface ConnectOptions {
  logger: Logger;
  /** Client options (capabilities, list-changed handlers); a fresh Client is built per attempt. */
  clientOptions: ClientOptions;
  clientInfo: { name: string; version: string };
  /** Bound on the handshake, so that a server that never answers is reported instead of waited on. */
  connectTimeoutMs: number;
  signal: AbortSignal;
  /** Registers stdio children for a forced stop. */
  children?: ChildProcessRegistry;
  /** An OAuth upstream's credentials (see `oauth/upstream-authorization.ts`). */
  auth?: HttpAuthOptions;
}

/** What an HTTP transport needs to send an OAuth upstream's tokens and obtain new ones. */
export interface HttpAuthOptions {
  authProvider: AuthProvider;
  fetch: FetchLike;
}

/** HTTP statuses that mean "no streamable HTTP here, try the legacy SSE transport". */
const SSE_FALLBACK_STATUSES = new Set([400, 404, 405]);

/** The environment a stdio child gets: the SDK's minimal safe set, or everything, plus its own `env`. */
function childEnvironment(config: StdioUpstreamConfig): Record<string, string> {
  const base: Record<string, string> = {};
  const source = config.passEnvironment ? process.env : getDefaultEnvironment();
  for (const [key, value] of Object.entries(source)) if (typeof value === 'string') base[key] = value;
  return { ...base, ...config.env };
}

/** The transport to a stdio server (not started). Also used by the stdio relay. */
export function stdioTransport(config: StdioUpstreamConfig, logger: Logger, children?: ChildProcessRegistry): ChildProcessTransport {
  return new ChildProcessTransport({
    registry: children,
    command: config.command,
    args: config.args,
    env: childEnvironment(config),
    cwd: config.cwd,
    logger,
  });
}

/**
 * The transport to an HTTP server of a settled kind (not started), with the configured headers
 * and, for an OAuth upstream, its credentials. Also used by the stdio relay and per-session pipes.
 */
export function httpTransport(
  config: HttpUpstreamConfig,
  kind: 'sse' | 'streamable-http',
  auth?: HttpAuthOptions,
): SSEClientTransport | StreamableHTTPClientTransport {
  const { url, headers } = credentialsAsHeader(config);
  const options = { requestInit: { headers } satisfies RequestInit, ...auth };
  return kind === 'sse' ? new SSEClientTransport(url, options) : new StreamableHTTPClientTransport(url, options);
}

/**
 * `fetch` refuses a URL with credentials in it (`https://user:secret@host/mcp`), which users
 * copy from docs and curl: they are sent as the Basic `Authorization` header a browser would
 * build from them, unless `headers` already has an `Authorization`.
 */
function credentialsAsHeader(config: Pick<HttpUpstreamConfig, 'url' | 'headers'>): { url: URL; headers: Record<string, string> } {
  const url = new URL(config.url);
  if (url.username === '' && url.password === '') return { url, headers: config.headers };
  const basic = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  url.username = '';
  url.password = '';
  const hasAuthorization = Object.keys(config.headers).some((name) => name.toLowerCase() === 'authorization');
  return { url, headers: hasAuthorization ? config.headers : { ...config.headers, Authorization: `Basic ${basic}` } };
}

/** How the SDK client is told which era to speak: the session era, negotiation, or 2026-07-28 only. */
type EraMode = 'legacy' | 'auto' | { pin: typeof MODERN_PROTOCOL_VERSION };

/** The stateless era's revision, the one a `"protocol": "2026-07-28"` server is pinned to. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** Connects `transport` with a fresh SDK client speaking `era`; a failed handshake leaves nothing open. */
export async function connectWith(
  transport: Transport,
  kind: ConnectedTransportKind,
  options: ConnectOptions,
  era: EraMode,
): Promise<UpstreamConnection> {
  const client = new Client(options.clientInfo, {
    ...options.clientOptions,
    versionNegotiation: { mode: era },
  });
  try {
    await client.connect(transport, { timeout: options.connectTimeoutMs, signal: options.signal });
  } catch (error) {
    // A failed handshake must not leave a child process or an HTTP session behind.
    await client.close().catch(() => undefined);
    await transport.close().catch(() => undefined);
    throw error;
  }
  deliverResponsesAfterNotifications(transport);
  const lean = client.getProtocolEra() === 'modern' ? undefined : new LeanRequests(transport);
  return { client, transport, kind, lean };
}

/**
 * The SDK dispatches notification handlers one microtask late but settles responses at once, and
 * forgets a request's progress handler when its response settles. A progress notification that
 * arrives in the same chunk as its response (the last step of a fast tool, always) would be lost.
 * Delaying each response by one microtask puts it behind the notifications that preceded it.
 */
export function deliverResponsesAfterNotifications(transport: Transport): void {
  const deliver = transport.onmessage;
  if (!deliver) return;
  transport.onmessage = (message, extra) => {
    if ('id' in message && !('method' in message)) queueMicrotask(() => deliver(message, extra));
    else deliver(message, extra);
  };
}

/** Connects to the upstream once. Throws with a readable reason when it cannot. */
export async function connectUpstream(config: UpstreamConfig, options: ConnectOptions): Promise<UpstreamConnection> {
  switch (config.transport) {
    case 'stdio': {
      const transport = stdioTransport(config, options.logger, options.children);
      try {
        return await connectWith(transport, 'stdio', options, config.protocol === '2026-07-28' ? { pin: MODERN_PROTOCOL_VERSION } : 'legacy');
      } catch (error) {
        // The child's own account (exit code, last stderr lines) beats "Connection closed".
        const reason = transport.exitReason;
        throw reason ? new Error(reason, { cause: error }) : error;
      }
    }
    case 'sse':
      return connectWith(httpTransport(config, 'sse', options.auth), 'sse', options, 'legacy');
    case 'streamable-http':
      if (config.protocol === '2026-07-28') {
        return connectWith(httpTransport(config, 'streamable-http', options.auth), 'streamable-http', options, { pin: MODERN_PROTOCOL_VERSION });
      }
      try {
        return await connectWith(httpTransport(config, 'streamable-http', options.auth), 'streamable-http', options, 'legacy');
      } catch (legacyError) {
        // Pinned to the session era: there is no other era to ask in.
        if (config.protocol === '2025-11-25') throw legacyError;
        // Unreachable, too slow or unauthorized: asking again in the other era would only fail again, later.
        if (!(legacyError instanceof SdkHttpError) && !(legacyError instanceof ProtocolError)) throw legacyError;
        if (legacyError instanceof SdkHttpError && (legacyError.status === 401 || legacyError.status === 403)) throw legacyError;
        try {
          return await connectWith(httpTransport(config, 'streamable-http', options.auth), 'streamable-http', options, 'auto');
        } catch (autoError) {
          // A refused initialize (400) is what a 2026-07-28-only server says; then its own failure tells more.
          throw legacyError instanceof SdkHttpError && legacyError.status !== 400 ? legacyError : autoError;
        }
      }
    case 'http-auto':
      // The HTTP+SSE fallback has the session era only.
      if (config.protocol === '2026-07-28') return connectUpstream({ ...config, transport: 'streamable-http' }, options);
      try {
        return await connectUpstream({ ...config, transport: 'streamable-http' }, options);
      } catch (error) {
        if (!(error instanceof SdkHttpError && SSE_FALLBACK_STATUSES.has(error.status))) throw error;
        options.logger.info(
          { status: error.status },
          'the URL does not speak streamable HTTP; falling back to the HTTP+SSE transport',
        );
        try {
          return await connectUpstream({ ...config, transport: 'sse' }, options);
        } catch (sseError) {
          const why = sseError instanceof Error ? sseError.message : String(sseError);
          throw new Error(`streamable HTTP answered ${error.status} and HTTP+SSE failed too: ${why}`, { cause: sseError });
        }
      }
  }
}
