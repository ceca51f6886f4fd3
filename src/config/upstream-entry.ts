/**
 * One `mcpServers` entry → one `UpstreamConfig`: the server name rules, field types (via the
 * zod schema), the rules across fields (`type` against `command`/`url`) and the defaults.
 *
 * @module
 */

import { formatIssues } from './format-issue.js';
import { isJsonObject, jsonTypeOf, problemAt, type JsonPathSegment } from './json-path.js';
import {
  DEFAULT_OAUTH_CALLBACK_PORT,
  DEFAULT_TIMEOUT_SECONDS,
  KNOWN_OAUTH_FIELDS,
  KNOWN_SERVER_FIELDS,
  TRANSPORT_ALIASES,
  UNSUPPORTED_SERVER_FIELDS,
  isHttpUrl,
  serverEntrySchema,
  type ServerEntry,
} from './server-schema.js';
import type { OAuthUpstreamConfig, UpstreamConfig, UpstreamTransportKind } from './types.js';

/** Server names become URL path segments and tool-name prefixes. */
const SERVER_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** Root routes of the gateway; a server of the same name would shadow them in multi mode. */
export const RESERVED_SERVER_NAMES: ReadonlySet<string> = new Set([
  'healthz',
  'readyz',
  'metrics',
  'docs',
  'openapi.json',
  'mcp',
  'sse',
  'messages',
]);

/** Fields that mean nothing for one kind of transport: kept, but the user is told. */
const STDIO_ONLY_FIELDS = ['args', 'env', 'cwd'] as const;
const HTTP_ONLY_FIELDS = ['headers'] as const;

/** What the caller passes down to every entry. */
export interface EntryContext {
  fileLabel: string;
  passEnvironment: boolean;
  /** Problems are appended here; a non-empty list fails the whole file. */
  problems: string[];
  /** Unknown or ignored fields are appended here. */
  warnings: string[];
}

/** A valid entry: its upstream config, and whether it is switched off with `"disabled": true`. */
export interface EntryResult {
  upstream: UpstreamConfig;
  disabled: boolean;
}

/** Problems with a server's name, as messages without location. */
export function serverNameProblems(name: string): string[] {
  if (!SERVER_NAME.test(name)) {
    return [
      `invalid server name ${JSON.stringify(name)}: use 1 to 64 letters, digits, "_", "-" or ".", not starting with "."`,
    ];
  }
  if (RESERVED_SERVER_NAMES.has(name)) {
    return [`server name ${JSON.stringify(name)} is reserved for a gateway route; choose another name`];
  }
  return [];
}

/**
 * Validate the entry `mcpServers[name]` and build its upstream config. Every problem found is
 * appended to `context.problems` (several per entry if need be); returns undefined if there
 * was any.
 */
export function readUpstreamEntry(name: string, raw: unknown, context: EntryContext): EntryResult | undefined {
  const { fileLabel } = context;
  const path: JsonPathSegment[] = ['mcpServers', name];
  const problemsBefore = context.problems.length;
  const report = (at: JsonPathSegment[], message: string): void => {
    context.problems.push(problemAt(fileLabel, at, message));
  };

  for (const message of serverNameProblems(name)) report(path, message);
  if (!isJsonObject(raw)) {
    report(path, `expected object, got ${jsonTypeOf(raw)}`);
    return undefined;
  }

  for (const key of Object.keys(raw)) {
    if (UNSUPPORTED_SERVER_FIELDS.has(key)) report([...path, key], 'not yet supported by this version of mcpgate');
    else if (!KNOWN_SERVER_FIELDS.has(key)) {
      context.warnings.push(problemAt(fileLabel, [...path, key], 'unknown field, ignored'));
    }
  }

  if (isJsonObject(raw.oauth)) {
    for (const key of Object.keys(raw.oauth)) {
      if (!KNOWN_OAUTH_FIELDS.has(key)) context.warnings.push(problemAt(fileLabel, [...path, 'oauth', key], 'unknown field, ignored'));
    }
  }

  const parsed = serverEntrySchema.safeParse(raw);
  if (!parsed.success) context.problems.push(...formatIssues(parsed.error.issues, raw, path, fileLabel));

  const transport = resolveTransport(raw, (message) => report(path, message));
  if (parsed.success && transport !== undefined && parsed.data.oauth !== undefined) {
    for (const [at, message] of oauthProblems(parsed.data, transport)) report([...path, ...at], message);
  }
  if (context.problems.length > problemsBefore || !parsed.success || transport === undefined) return undefined;

  return { upstream: buildUpstream(name, parsed.data, transport, path, context), disabled: parsed.data.disabled === true };
}

/**
 * The transport an entry asks for, from `type`, `command` and `url`. Works on the raw entry so
 * these rules are checked even when some field has the wrong type; an unknown `type` is left
 * to the schema's message.
 */
function resolveTransport(
  raw: Record<string, unknown>,
  report: (message: string) => void,
): UpstreamTransportKind | undefined {
  const hasCommand = Object.hasOwn(raw, 'command');
  const hasUrl = Object.hasOwn(raw, 'url');
  const declared = typeof raw.type === 'string' && Object.hasOwn(TRANSPORT_ALIASES, raw.type) ? raw.type : undefined;
  if (Object.hasOwn(raw, 'type') && declared === undefined) return undefined;

  if (hasCommand && hasUrl) {
    report('has both "command" and "url"; give "command" for a stdio server or "url" for an HTTP one');
    return undefined;
  }
  if (declared !== undefined) {
    const transport = TRANSPORT_ALIASES[declared];
    if (transport === 'stdio' && !hasCommand) {
      report(`"type" is ${JSON.stringify(declared)} but "command" is missing`);
      return undefined;
    }
    if (transport !== 'stdio' && !hasUrl) {
      report(`"type" is ${JSON.stringify(declared)} but "url" is missing`);
      return undefined;
    }
    return transport;
  }
  if (hasCommand) return 'stdio';
  if (hasUrl) return 'http-auto';
  report('must have either "command" (stdio) or "url" (sse, streamable-http)');
  return undefined;
}

/** Apply defaults and aliases to a valid entry. */
function buildUpstream(
  name: string,
  entry: ServerEntry,
  transport: UpstreamTransportKind,
  path: JsonPathSegment[],
  context: EntryContext,
): UpstreamConfig {
  const warnIgnored = (field: string, why: string): void => {
    context.warnings.push(problemAt(context.fileLabel, [...path, field], `ignored: ${why}`));
  };
  // mcpo spells these in snake_case; when both spellings are present camelCase wins.
  if (entry.disabledTools !== undefined && entry.disabled_tools !== undefined) {
    warnIgnored('disabled_tools', '"disabledTools" is also given');
  }
  if (entry.enabledTools !== undefined && entry.enabled_tools !== undefined) {
    warnIgnored('enabled_tools', '"enabledTools" is also given');
  }
  // The legacy HTTP+SSE transport has the session era only.
  const sseIn2026 = transport === 'sse' && entry.protocol === '2026-07-28';
  if (sseIn2026) warnIgnored('protocol', 'the HTTP+SSE transport speaks only the session era; use "type": "streamable-http" for 2026-07-28');
  const protocol = entry.protocol === 'auto' || sseIn2026 ? undefined : entry.protocol;
  const base = {
    name,
    timeoutMs: Math.max(1, Math.round((entry.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000)),
    disabledTools: copyList(entry.disabledTools ?? entry.disabled_tools) ?? [],
    enabledTools: copyList(entry.enabledTools ?? entry.enabled_tools),
    ...(entry.sharing === undefined ? {} : { sharing: entry.sharing }),
    ...(entry.maxSessions === undefined || entry.sharing !== 'per-session' ? {} : { maxSessions: entry.maxSessions }),
    ...(protocol === undefined ? {} : { protocol }),
  };
  // A shared connection has no per-session connections to count.
  if (entry.maxSessions !== undefined && entry.sharing !== 'per-session') {
    warnIgnored('maxSessions', 'only used with "sharing": "per-session"');
  }
  const misplaced = transport === 'stdio' ? HTTP_ONLY_FIELDS : STDIO_ONLY_FIELDS;
  for (const field of misplaced) {
    if (entry[field] !== undefined) {
      warnIgnored(field, transport === 'stdio' ? 'only used by HTTP servers' : 'only used by stdio servers');
    }
  }

  if (transport === 'stdio') {
    return {
      ...base,
      transport,
      // The schema and resolveTransport guarantee a command here.
      command: entry.command ?? '',
      args: [...(entry.args ?? [])],
      env: { ...entry.env },
      cwd: entry.cwd,
      passEnvironment: context.passEnvironment,
    };
  }
  return {
    ...base,
    transport,
    url: entry.url ?? '',
    headers: { ...entry.headers },
    ...(entry.oauth === undefined ? {} : { oauth: buildOAuth(entry.oauth) }),
  };
}

type OAuthEntry = NonNullable<ServerEntry['oauth']>;

/** The rules across `"oauth"` fields and the rest of the entry, as `[path below the entry, message]`. */
function oauthProblems(entry: ServerEntry, transport: UpstreamTransportKind): Array<[JsonPathSegment[], string]> {
  const oauth = entry.oauth!;
  const problems: Array<[JsonPathSegment[], string]> = [];
  if (transport === 'stdio') problems.push([['oauth'], 'is only for HTTP servers ("url"); a stdio server gets its credentials from "env"']);
  if (oauth.grant_type === 'client_credentials') {
    for (const field of ['client_id', 'client_secret'] as const) {
      if (oauth[field] === undefined) problems.push([['oauth', field], 'is required with "grant_type": "client_credentials"']);
    }
  } else if (oauth.client_secret !== undefined && oauth.client_id === undefined) {
    problems.push([['oauth', 'client_secret'], 'needs "client_id" (the client the secret belongs to)']);
  }
  const redirect = oauth.client_metadata?.redirect_uris?.[0];
  if (redirect !== undefined && !isLoopbackHttpUrl(redirect)) {
    problems.push([
      ['oauth', 'client_metadata', 'redirect_uris', 0],
      `must be a loopback address such as "http://127.0.0.1:3030/callback", where mcpgate can receive the authorization; got ${JSON.stringify(redirect)}`,
    ]);
  }
  const authorization = Object.keys(entry.headers ?? {}).find((name) => name.toLowerCase() === 'authorization');
  if (authorization !== undefined) {
    problems.push([['headers', authorization], 'cannot be used with "oauth", which sends its own Authorization header']);
  }
  const url = entry.url !== undefined && isHttpUrl(entry.url) ? new URL(entry.url) : undefined;
  if (url !== undefined && (url.username !== '' || url.password !== '')) {
    problems.push([['url'], 'cannot hold credentials (user:password@) with "oauth", which sends its own Authorization header']);
  }
  return problems;
}

/** `http://127.0.0.1…`, `http://localhost…` or `http://[::1]…`: where a loopback callback server can listen. */
export function isLoopbackHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}

function buildOAuth(oauth: OAuthEntry): OAuthUpstreamConfig {
  return {
    grantType: oauth.grant_type ?? 'authorization_code',
    serverUrl: oauth.server_url,
    storage: oauth.storage_type ?? 'file',
    callbackPort: oauth.callback_port ?? DEFAULT_OAUTH_CALLBACK_PORT,
    openBrowser: oauth.use_loopback ?? true,
    clientMetadata: oauth.client_metadata === undefined ? undefined : structuredClone(oauth.client_metadata),
    clientMetadataUrl: oauth.client_metadata_url,
    clientId: oauth.client_id,
    clientSecret: oauth.client_secret,
    scope: oauth.scope,
    issuer: oauth.issuer,
  };
}

/** A fresh array, so the config never shares storage with the parsed tree. */
function copyList(list: readonly string[] | undefined): string[] | undefined {
  return list === undefined ? undefined : [...list];
}
