/**
 * The guard of the MCP endpoints against DNS rebinding and cross-site requests: a `Host` check
 * and an `Origin` check, as the MCP specification asks of servers that listen locally.
 *
 * Why: a web page at `http://evil.example` can make its own name resolve to 127.0.0.1 (DNS
 * rebinding); the browser then sends the page's requests to a gateway on this machine as
 * same-origin requests, with `Host: evil.example`, and the page can call the user's tools. A
 * page that does not rebind can still send simple cross-site POSTs. Hence:
 *
 * **Host check.** The only thing a rebound request cannot fake is the name it was sent to.
 * - `allowedHosts` containing `*`: no Host check (the operator said any name is fine).
 * - Otherwise the accepted names are the loopback names (`localhost`, `127.0.0.1`, `[::1]`), the
 *   bind address itself when it is one host (e.g. `127.0.0.2`), and every `allowedHosts` entry.
 *   An entry without a port matches the name on any port; an entry with a port matches only that
 *   port (`example.com:80` does not match a Host header without a port). Names compare without
 *   regard to case, IP addresses in canonical form.
 * - A gateway bound to a non-loopback address (`0.0.0.0`, a LAN address) is reached under names
 *   we cannot guess (its DNS name, a proxy's name), so there the check is off unless
 *   `allowedHosts` is given. A loopback-bound gateway is only ever meant to be reached as
 *   localhost, so there the check is always on: this is the default that protects users.
 * - A refused `Host` (or one that is not `host[:port]` at all) gets 403 naming the header and
 *   `--allowed-hosts`.
 *
 * **Origin check.** Browsers send `Origin` with cross-site requests; non-browser clients do not.
 * - No `Origin` header: passes (curl, SDK clients, server-to-server).
 * - Accepted: an origin on a loopback name (a page served from this machine), an origin equal to
 *   one of `allowedOrigins` (`--allow-origin`, `--cors-allow-origins`; compared as origins, so
 *   `http://LOCALHOST:80/` equals `http://localhost`), any origin when `allowedOrigins` contains
 *   `*`, and a same-origin request (the origin's `host[:port]` is the request's own `Host`).
 * - Anything else, including the literal `null` (sandboxed frames, local files) and values that
 *   are not origins, gets 403 naming the origin and `--allow-origin`.
 * The Origin check alone does not stop rebinding (a rebound page is same-origin by construction);
 * the Host check does. It stops other sites' pages.
 *
 * Refusals are JSON-RPC error bodies (`-32000`, `id: null`) as the SDK's own transports answer,
 * so an MCP client shows the message. The SDK's `validateHostHeader` / `validateOriginHeader`
 * compare hostnames only, without ports or full origins, so they do not express these rules.
 *
 * @module
 */
import type { Context } from 'hono';
import {
  LOOPBACK_HOSTNAMES,
  allowedHostProblem,
  bindHostname,
  isLoopbackAddress,
  parseHostAndPort,
  type HostAndPort,
} from '../config/host-names.js';
import { GatewayError } from '../errors.js';

export interface DnsRebindingCheckOptions {
  /** The address the gateway listens on (`--host`). */
  bindHost: string;
  /** Extra accepted `Host` values (`--allowed-hosts`); `*` turns the Host check off. */
  allowedHosts: string[];
  /** Accepted browser origins (`--allow-origin`, `--cors-allow-origins`); `*` accepts any. */
  allowedOrigins: string[];
}

/** How many accepted `Host` header values are remembered. */
const REMEMBERED_HOST_HEADERS = 16;

/** A refusal's reason (after `Forbidden: `), or undefined when the request may pass. */
type Check = (c: Context, host: string) => string | undefined;

/**
 * The refusal (403) of a request whose `Host` or `Origin` header is not allowed (see the module
 * comment for the rules), or undefined when it may pass. A check the MCP endpoints call, not a
 * middleware: every MCP request passes here, and each middleware layer costs a request an async
 * step of Hono's.
 *
 * @throws GatewayError CONFIG_INVALID when an `allowedHosts` entry is not `host[:port]` or `*`.
 */
export function dnsRebindingCheck(options: DnsRebindingCheckOptions): (c: Context) => Response | undefined {
  const checkHost = hostCheck(options);
  const checkOrigin = originCheck(options.allowedOrigins);
  return (c) => {
    // Node's server builds the URL from the Host header; an HTTP/2 request has :authority instead.
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    const refusal = checkHost(c, host) ?? checkOrigin(c, host);
    if (refusal === undefined) return undefined;
    return c.json({ jsonrpc: '2.0', error: { code: -32000, message: `Forbidden: ${refusal}` }, id: null }, 403);
  };
}

function hostCheck({ bindHost, allowedHosts }: DnsRebindingCheckOptions): Check {
  for (const entry of allowedHosts) {
    const problem = allowedHostProblem(entry);
    if (problem !== undefined) throw new GatewayError('CONFIG_INVALID', `allowedHosts: ${problem}`);
  }
  if (allowedHosts.includes('*')) return () => undefined;
  if (!isLoopbackAddress(bindHost) && allowedHosts.length === 0) return () => undefined;

  const names = new Set(LOOPBACK_HOSTNAMES);
  const bound = bindHostname(bindHost);
  if (bound !== undefined) names.add(bound);
  const entries = allowedHosts.map((entry) => parseHostAndPort(entry) as HostAndPort);
  const accepts = (host: HostAndPort): boolean =>
    names.has(host.hostname) ||
    entries.some((entry) => entry.hostname === host.hostname && (entry.port === undefined || entry.port === host.port));

  // Clients send the same few Host values on every request: those accepted once are remembered
  // (a few, since any port of an accepted name is accepted) rather than parsed again each time.
  const acceptedHeaders = new Set<string>();
  return (_c, header) => {
    if (acceptedHeaders.has(header)) return undefined;
    const host = parseHostAndPort(header);
    if (host !== undefined && accepts(host)) {
      if (acceptedHeaders.size < REMEMBERED_HOST_HEADERS) acceptedHeaders.add(header);
      return undefined;
    }
    const suggestion = host === undefined ? '<host>' : host.hostname;
    return `Host header ${JSON.stringify(header)} is not allowed; to reach mcpgate under this name, start it with --allowed-hosts ${suggestion}`;
  };
}

function originCheck(allowedOrigins: string[]): Check {
  if (allowedOrigins.includes('*')) return () => undefined;
  const allowed = new Set(allowedOrigins.map(normaliseOrigin));
  return (c, host) => {
    const origin = c.req.header('origin');
    if (origin === undefined || allowed.has(normaliseOrigin(origin))) return undefined;
    const url = webOrigin(origin);
    if (url === undefined) {
      return `Origin ${JSON.stringify(origin)} is not allowed; it is not a web origin (only --allow-origin "*" accepts it)`;
    }
    if (LOOPBACK_HOSTNAMES.has(url.hostname) || isSameHost(url, host)) return undefined;
    return `Origin ${JSON.stringify(origin)} is not allowed; to accept requests from its pages, start mcpgate with --allow-origin ${url.origin}`;
  };
}

/** `text` as an http(s) URL, or undefined (`null`, other schemes, not a URL). */
function webOrigin(text: string): URL | undefined {
  try {
    const url = new URL(text.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The form origins are compared in: scheme, lower-case host, no default port, no path. */
function normaliseOrigin(text: string): string {
  return webOrigin(text)?.origin ?? text.trim().toLowerCase().replace(/\/+$/, '');
}

/** True when the origin names the host the request was sent to (default ports of its scheme omitted). */
function isSameHost(origin: URL, hostHeader: string): boolean {
  const host = parseHostAndPort(hostHeader);
  if (host === undefined) return false;
  const defaultPort = origin.protocol === 'https:' ? '443' : '80';
  const port = host.port === undefined || host.port === defaultPort ? '' : host.port;
  return origin.hostname === host.hostname && origin.port === port;
}
