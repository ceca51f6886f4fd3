/**
 * The zod schema of one `mcpServers` entry and the vocabulary around it: which `type` values
 * mean which transport, which fields are known, which are reserved for later releases.
 * Only field types live here; rules across fields are in `upstream-entry.ts`.
 *
 * @module
 */

import { z } from 'zod';
import type { UpstreamProtocol, UpstreamSharing, UpstreamTransportKind } from './types.js';

/** Every accepted `type` value and the transport it selects (mcpo and Claude clients disagree on spelling). */
export const TRANSPORT_ALIASES: Readonly<Record<string, Exclude<UpstreamTransportKind, 'http-auto'>>> = {
  stdio: 'stdio',
  sse: 'sse',
  'streamable-http': 'streamable-http',
  streamable_http: 'streamable-http',
  streamablehttp: 'streamable-http',
  streamableHttp: 'streamable-http',
  http: 'streamable-http',
};

/** Default per-call timeout, in seconds, as mcpo has it. */
export const DEFAULT_TIMEOUT_SECONDS = 300;

/** Node's timers overflow above 2^31-1 ms and then fire at once, so a longer timeout is refused. */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** The accepted `"sharing"` values (and `--sharing`). */
export const SHARING_MODES = ['shared', 'per-session'] as const satisfies readonly UpstreamSharing[];

/** The accepted `"protocol"` values. */
export const UPSTREAM_PROTOCOLS = ['auto', '2025-11-25', '2026-07-28'] as const satisfies readonly UpstreamProtocol[];

/** Fields of a server entry that this version understands. */
export const KNOWN_SERVER_FIELDS: ReadonlySet<string> = new Set([
  'type',
  'command',
  'args',
  'env',
  'cwd',
  'url',
  'headers',
  'disabled',
  'disabledTools',
  'disabled_tools',
  'enabledTools',
  'enabled_tools',
  'timeout',
  'sharing',
  'maxSessions',
  'protocol',
  'oauth',
]);

/** Fields that belong to a later release: recognised so they fail loudly instead of being ignored. */
export const UNSUPPORTED_SERVER_FIELDS: ReadonlySet<string> = new Set(['client_header_forwarding']);

/** The fields of `"oauth"`: mcpo's (`server_url` … `client_metadata`) and mcpgate's additions. */
export const KNOWN_OAUTH_FIELDS: ReadonlySet<string> = new Set([
  'server_url',
  'storage_type',
  'callback_port',
  'use_loopback',
  'client_metadata',
  'client_metadata_url',
  'grant_type',
  'client_id',
  'client_secret',
  'scope',
  'issuer',
]);

/** mcpo's default callback port. */
export const DEFAULT_OAUTH_CALLBACK_PORT = 3030;

/**
 * Top-level keys: `mcpServers` is the content, `hooks`, `auditLog`, `host` and `port` the
 * gateway's own settings (`gateway-fields.ts`), `$schema` is editor metadata.
 */
export const KNOWN_TOP_LEVEL_FIELDS: ReadonlySet<string> = new Set(['mcpServers', 'hooks', 'auditLog', 'host', 'port', '$schema']);

/** Top-level keys that belong to a later release (none at the moment). */
export const UNSUPPORTED_TOP_LEVEL_FIELDS: ReadonlySet<string> = new Set<string>();

/** True when `text` parses as an absolute http: or https: URL. */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** An HTTP header field name (RFC 9110 `token`); fetch refuses anything else at call time. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The accepted `type` values, quoted, for error messages. */
const TYPE_NAMES = Object.keys(TRANSPORT_ALIASES)
  .map((key) => `"${key}"`)
  .join(', ');

const stringList = z.array(z.string());
const stringMap = z.record(z.string(), z.string());

const httpUrl = z.string().refine(isHttpUrl, {
  error: (issue) => `must be an absolute http: or https: URL, got ${JSON.stringify(issue.input)}`,
});

/** `"oauth"`: field types only; the rules across fields are in `upstream-entry.ts`. */
const oauthSchema = z.object({
  server_url: httpUrl.optional(),
  storage_type: z.enum(['file', 'memory']).optional(),
  callback_port: z
    .number()
    // Not 0: the redirect URI registered with the authorization server must stay the same.
    .refine((value) => Number.isInteger(value) && value >= 1 && value <= 65535, {
      error: (issue) => `must be a port number from 1 to 65535, got ${String(issue.input)}`,
    })
    .optional(),
  use_loopback: z.boolean().optional(),
  client_metadata: z
    .looseObject({
      client_name: z.string().optional(),
      redirect_uris: z.array(httpUrl).min(1).optional(),
      grant_types: stringList.optional(),
      response_types: stringList.optional(),
      token_endpoint_auth_method: z.string().optional(),
      scope: z.string().optional(),
    })
    .optional(),
  client_metadata_url: z
    .string()
    .refine((value) => isHttpUrl(value) && new URL(value).protocol === 'https:' && new URL(value).pathname !== '/', {
      error: (issue) => `must be an https: URL with a path (a client ID metadata document), got ${JSON.stringify(issue.input)}`,
    })
    .optional(),
  grant_type: z.enum(['authorization_code', 'client_credentials']).optional(),
  client_id: z.string().min(1).optional(),
  client_secret: z.string().min(1).optional(),
  scope: z.string().min(1).optional(),
  issuer: httpUrl.optional(),
});

/** The type of each field of a server entry. Unknown fields are stripped, not rejected. */
export const serverEntrySchema = z.object({
  type: z
    .string()
    .refine((value) => Object.hasOwn(TRANSPORT_ALIASES, value), {
      error: (issue) => `must be one of ${TYPE_NAMES}, got ${JSON.stringify(issue.input)}`,
    })
    .optional(),
  command: z.string().min(1).optional(),
  args: stringList.optional(),
  env: stringMap.optional(),
  cwd: z.string().min(1).optional(),
  url: z
    .string()
    .refine(isHttpUrl, {
      error: (issue) => `must be an absolute http: or https: URL, got ${JSON.stringify(issue.input)}`,
    })
    .optional(),
  headers: z
    .record(z.string().regex(HEADER_NAME, { error: 'is not a valid HTTP header name' }), z.string())
    .optional(),
  disabled: z.boolean().optional(),
  disabledTools: stringList.optional(),
  disabled_tools: stringList.optional(),
  enabledTools: stringList.optional(),
  enabled_tools: stringList.optional(),
  timeout: z.number().positive().max(MAX_TIMEOUT_SECONDS).optional(),
  sharing: z.enum(SHARING_MODES).optional(),
  protocol: z.enum(UPSTREAM_PROTOCOLS).optional(),
  maxSessions: z
    .number()
    .refine((value) => Number.isSafeInteger(value) && value > 0, {
      error: (issue) => `must be a positive whole number, got ${String(issue.input)}`,
    })
    .optional(),
  oauth: oauthSchema.optional(),
});

/** A server entry whose fields all have the right types. */
export type ServerEntry = z.infer<typeof serverEntrySchema>;
