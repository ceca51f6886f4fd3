/**
 * Host names as they appear in a `Host` header, an `--allowed-hosts` entry or a bind address:
 * parsing `host[:port]`, the loopback names, and what counts as a loopback bind address. Used by
 * the CLI (to validate `--allowed-hosts`) and by the HTTP edge's DNS-rebinding guard, so both
 * read a host the same way.
 *
 * @module
 */

/** The names under which a browser reaches this machine's loopback interface. */
export const LOOPBACK_HOSTNAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface HostAndPort {
  /** Lower case; IP addresses in their canonical form (`127.1` → `127.0.0.1`), IPv6 in brackets. */
  hostname: string;
  /** Decimal digits without leading zeros, or undefined when no port was given. */
  port: string | undefined;
}

/** A DNS name (letters, digits, `-`, `_` in dot-separated labels), an IPv4 address or a bracketed IPv6 one; then an optional port. */
const HOST_AND_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)(?::(\d{1,5}))?$/;

/**
 * Parses `host[:port]` (`example.com`, `example.com:8080`, `10.0.0.2`, `[::1]:3000`), or returns
 * undefined when `text` is not one (a path, user info, spaces, an IPv6 address without brackets,
 * a port above 65535, an invalid IP).
 */
export function parseHostAndPort(text: string): HostAndPort | undefined {
  const match = HOST_AND_PORT.exec(text.trim());
  if (!match) return undefined;
  const portText = match[2];
  if (portText !== undefined && Number(portText) > 65535) return undefined;
  let hostname: string;
  try {
    // The URL parser lower-cases names and canonicalises IP addresses, as browsers do.
    hostname = new URL(`http://${match[1]!}`).hostname;
  } catch {
    return undefined;
  }
  return { hostname, port: portText === undefined ? undefined : String(Number(portText)) };
}

/**
 * What is wrong with an `--allowed-hosts` entry, or undefined when it is fine: `*`, or a host
 * name or IP address with an optional `:port`.
 */
export function allowedHostProblem(entry: string): string | undefined {
  if (entry === '*' || parseHostAndPort(entry) !== undefined) return undefined;
  return `expected a host name or IP address, optionally with :port (e.g. example.com, example.com:8000, 10.0.0.2, [::1]), or "*", got ${JSON.stringify(entry)}`;
}

/**
 * The canonical name of a bind address (`::1` and `[::1]` alike → `[::1]`), or undefined for
 * an address that is not one host (`0.0.0.0`, `::`, an IPv6 address with a zone).
 */
export function bindHostname(bindHost: string): string | undefined {
  const bracketed = bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost;
  const parsed = parseHostAndPort(bracketed);
  if (parsed === undefined || parsed.port !== undefined) return undefined;
  if (parsed.hostname === '0.0.0.0' || parsed.hostname === '[::]') return undefined;
  return parsed.hostname;
}

/** True when a gateway bound to `bindHost` can only be reached from this machine. */
export function isLoopbackAddress(bindHost: string): boolean {
  const hostname = bindHostname(bindHost);
  if (hostname === undefined) return false;
  return (
    LOOPBACK_HOSTNAMES.has(hostname) ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname) ||
    // ::ffff:127.x.y.z, an IPv4 loopback address written as IPv6.
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(hostname)
  );
}
