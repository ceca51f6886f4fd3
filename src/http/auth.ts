/**
 * API-key authentication, as mcpo clients expect it, without its rough edges.
 *
 * - `Authorization: Bearer <key>` (scheme in any case). Missing or malformed → 401 with
 *   `WWW-Authenticate`; a wrong key → 403.
 * - Strict mode also takes HTTP Basic with the key as the password (any user name), so a browser
 *   can open `/docs` and call tools from it; a wrong password → 403.
 * - Keys are compared in constant time (digests of equal length, `timingSafeEqual`).
 *
 * Bodies match mcpo's (`{"detail": "Invalid API key"}` …). The middleware runs inside CORS, so
 * a browser can read its 401/403 answers (mcpo's strict mode sends them without CORS headers).
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { AuthConfig } from '../config/types.js';

export interface ApiKeyGuardOptions {
  auth: AuthConfig;
  /** Requests this returns true for pass without a key (e.g. documents outside strict mode). */
  isPublic: (method: string, path: string) => boolean;
}

type Verdict = { ok: true } | { ok: false; status: 401 | 403; detail: string };

/** The refusal for a request without a valid key, or undefined when it may pass. */
export type ApiKeyCheck = (c: Context) => Response | undefined;

export function apiKeyCheck(options: ApiKeyGuardOptions): ApiKeyCheck {
  const digests = options.auth.apiKeys.map(digest);
  return (c) => {
    if (c.req.method === 'OPTIONS' || options.isPublic(c.req.method, c.req.path)) return undefined;
    const verdict = check(c.req.header('authorization'), digests, options.auth.strict);
    if (verdict.ok) return undefined;
    if (verdict.status === 401) c.header('WWW-Authenticate', challengeFor(c, options.auth.strict));
    return c.json({ detail: verdict.detail }, verdict.status);
  };
}

/** Whether a request carries a valid key (for routes open to all that tell key holders more). */
export function holdsApiKey(auth: AuthConfig): (c: Context) => boolean {
  const digests = auth.apiKeys.map(digest);
  return (c) => check(c.req.header('authorization'), digests, auth.strict).ok;
}

/** The same check as middleware, for guarding a whole app. */
export function apiKeyGuard(check: ApiKeyCheck): MiddlewareHandler {
  return async (c, next) => check(c) ?? next();
}

/**
 * Browsers read only the first challenge of a `WWW-Authenticate` line and would never offer their
 * login prompt after `Bearer, Basic`; separate header lines cannot be sent through the web
 * `Headers` API. So in strict mode a page navigation (it accepts HTML) is challenged with Basic
 * alone, and every other client with both.
 */
function challengeFor(c: Context, strict: boolean): string {
  if (!strict) return 'Bearer';
  return c.req.header('accept')?.includes('text/html') ? BASIC_CHALLENGE : `Bearer, ${BASIC_CHALLENGE}`;
}

const BASIC_CHALLENGE = 'Basic realm="mcpgate", charset="UTF-8"';

function check(header: string | undefined, digests: Buffer[], strict: boolean): Verdict {
  const match = header === undefined ? null : /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return { ok: false, status: 401, detail: 'Missing or invalid Authorization header' };
  const scheme = match[1]!.toLowerCase();
  const credentials = match[2]!;
  if (scheme === 'bearer') {
    return isKnown(credentials, digests) ? { ok: true } : { ok: false, status: 403, detail: 'Invalid API key' };
  }
  if (scheme === 'basic' && strict) {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, status: 401, detail: 'Invalid Basic Authentication format' };
    return isKnown(decoded.slice(colon + 1), digests) ? { ok: true } : { ok: false, status: 403, detail: 'Invalid credentials' };
  }
  return { ok: false, status: 401, detail: strict ? 'Unsupported authorization method' : 'Missing or invalid Authorization header' };
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Compares against every key, without stopping at the first match, so timing tells nothing. */
function isKnown(candidate: string, digests: Buffer[]): boolean {
  const given = digest(candidate);
  let found = false;
  for (const expected of digests) found = timingSafeEqual(given, expected) || found;
  return found;
}
