/**
 * One OAuth flow at a time per upstream.
 *
 * Handed an `OAuthClientProvider`, the SDK's transports run `auth()` for every request that
 * gets a 401, independently: three calls in flight when the access token expires make three
 * refresh requests with the same refresh token. An authorization server that rotates refresh
 * tokens (OAuth 2.1 §4.3.1) takes the second use of the old one for a stolen token and revokes
 * the whole grant, so two of the calls fail and the upstream is back to needing its user. The
 * same race during an authorization is worse: every `auth()` makes a new PKCE verifier and
 * `state`, overwriting the one the user's open authorization page depends on.
 *
 * The SDK leaves a seam for this: a transport's `authProvider` may be a plain `AuthProvider`
 * (`token()` before each request, `onUnauthorized(ctx)` on a 401, then one retry).
 * {@link SingleFlightAuth} is that seam around the gateway's provider:
 *
 * - **Join the flight.** While an `auth()` runs, every other 401 waits for it and shares its
 *   outcome (retry with the new token, or `UnauthorizedError` when it ended in a redirect).
 * - **Skip what is already fixed.** A request that carried a token which has since been replaced
 *   (its 401 arrives after the refresh finished) just retries. To know which token a refused
 *   request carried, the transport must use {@link SingleFlightAuth.fetch}, which remembers the
 *   bearer token of each 401 response (the same `Response` object reaches `onUnauthorized`).
 * - **Do not restart a pending authorization.** After a flow ended in a redirect, further 401s
 *   fail with `UnauthorizedError` at once until {@link SingleFlightAuth.finishAuth} (or
 *   {@link SingleFlightAuth.abandonAuthorization}), so the link the user has keeps working.
 *
 * Use it as `new StreamableHTTPClientTransport(url, auth.transportOptions())` (or
 * `SSEClientTransport`), one `SingleFlightAuth` per upstream, shared by every transport the
 * upstream creates over its life. What a plain `AuthProvider` gives up: the transport's own
 * `finishAuth` (use {@link SingleFlightAuth.finishAuth}) and its 403 `insufficient_scope` step-up,
 * which now surfaces as `InsufficientScopeError` instead of a new browser round trip in the
 * middle of a call.
 *
 * @module
 */
import {
  auth,
  extractWWWAuthenticateParams,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type AuthProvider,
  type AuthResult,
  type FetchLike,
  type OAuthClientProvider,
} from '@modelcontextprotocol/client';

/** What a transport passes to `onUnauthorized` (the SDK does not export the type's name). */
export type UnauthorizedContext = Parameters<NonNullable<AuthProvider['onUnauthorized']>>[0];

export interface SingleFlightAuthOptions {
  /** The upstream's provider (a `GatewayOAuthProvider`, or the SDK's `ClientCredentialsProvider`). */
  provider: OAuthClientProvider;
  /** The upstream's MCP endpoint. */
  serverUrl: string | URL;
  /** The fetch under everything (MCP and OAuth requests); default the global `fetch`. */
  fetch?: FetchLike;
  /** Passed to `auth()`; security-weakening, for authorization servers with a wrong `issuer`. */
  skipIssuerMetadataValidation?: boolean;
  /** Scopes to ask for, over what a 401 challenge or the server's metadata suggests. */
  scope?: string;
  /**
   * Asked before each request: true makes {@link SingleFlightAuth.token} refresh first (once,
   * shared by every request), so a token is replaced before it expires rather than after a 401.
   */
  dueForRefresh?: () => Promise<boolean>;
}

export class SingleFlightAuth implements AuthProvider {
  readonly provider: OAuthClientProvider;
  readonly serverUrl: URL;
  /** Give this to the transport (`fetch` option): it notes which token each refused request carried. */
  readonly fetch: FetchLike;
  private readonly baseFetch: FetchLike;
  private readonly skipIssuerMetadataValidation: boolean | undefined;
  private readonly scope: string | undefined;
  private readonly dueForRefresh: (() => Promise<boolean>) | undefined;
  private readonly refusedToken = new WeakMap<Response, string | undefined>();
  private flight: Promise<AuthResult> | undefined;
  private refreshing: Promise<void> | undefined;
  private awaiting = false;
  /** The last 401 challenge's hints, for flows not started by a 401. */
  private challenge: { resourceMetadataUrl?: URL; scope?: string } = {};

  constructor(options: SingleFlightAuthOptions) {
    this.provider = options.provider;
    this.serverUrl = new URL(options.serverUrl);
    this.skipIssuerMetadataValidation = options.skipIssuerMetadataValidation;
    this.scope = options.scope;
    this.dueForRefresh = options.dueForRefresh;
    const base = options.fetch ?? ((url, init) => fetch(url, init));
    this.baseFetch = base;
    this.fetch = async (url, init) => {
      const response = await base(url, init);
      if (response.status === 401) this.refusedToken.set(response, credentialOf(init?.headers));
      return response;
    };
  }

  /** Options for a transport of this upstream: this object as `authProvider`, and {@link fetch}. */
  transportOptions(): { authProvider: AuthProvider; fetch: FetchLike } {
    return { authProvider: this, fetch: this.fetch };
  }

  /** Whether the last flow ended in a redirect that no callback has finished yet. */
  get awaitingAuthorization(): boolean {
    return this.awaiting;
  }

  async token(): Promise<string | undefined> {
    if (this.dueForRefresh !== undefined && !this.awaiting) {
      // Requests that ask together share one check (and one refresh), assigned before any await.
      this.refreshing ??= this.refreshIfDue(this.dueForRefresh).finally(() => (this.refreshing = undefined));
      await this.refreshing;
    }
    return (await this.provider.tokens())?.access_token;
  }

  private async refreshIfDue(dueForRefresh: () => Promise<boolean>): Promise<void> {
    // A flow in progress is joined instead: it is usually a refresh already.
    if (this.flight !== undefined) await this.flight.catch(() => {});
    else if (await dueForRefresh()) await this.authorize().catch(() => {});
  }

  async onUnauthorized(ctx: UnauthorizedContext): Promise<void> {
    const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(ctx.response);
    if (resourceMetadataUrl) this.challenge.resourceMetadataUrl = resourceMetadataUrl;
    if (scope) this.challenge.scope = scope;
    if (this.refusedToken.has(ctx.response)) {
      const current = await this.token();
      // Refused with a token that a flow has replaced since: the retry carries the new one.
      if (current !== undefined && current !== this.refusedToken.get(ctx.response)) return;
    }
    // Nothing awaited between here and starting the flight: no two callers can both start one.
    if (this.flight === undefined && this.awaiting) throw new UnauthorizedError(`"${this.serverUrl.href}" waits for the user to authorize`);
    const result =
      this.flight ??
      this.start(() =>
        auth(this.provider, {
          serverUrl: ctx.serverUrl,
          resourceMetadataUrl,
          scope: this.scope ?? scope,
          fetchFn: ctx.fetchFn,
          skipIssuerMetadataValidation: this.skipIssuerMetadataValidation,
        }),
      );
    if ((await result) !== 'AUTHORIZED') throw new UnauthorizedError();
  }

  /**
   * Runs `auth()` now, after any flow in progress: e.g. before the first connect, so a
   * `client_credentials` upstream has a token on its first request. `'REDIRECT'` means the
   * provider has handed an authorization URL to the user.
   */
  authorize(): Promise<AuthResult> {
    return this.exclusive(() =>
      auth(this.provider, {
        serverUrl: this.serverUrl,
        resourceMetadataUrl: this.challenge.resourceMetadataUrl,
        scope: this.scope ?? this.challenge.scope,
        fetchFn: this.fetch,
        skipIssuerMetadataValidation: this.skipIssuerMetadataValidation,
      }),
    );
  }

  /**
   * Redeems the authorization callback: pass the callback's whole query (`code`, `state`, `iss`
   * or `error`). Check `state` before calling (the callback server does). Requests refused while
   * this runs wait for it and retry with the new token. After it fails (an `error` callback, a
   * code refused), the pending authorization is over: the next 401 starts a new one.
   */
  async finishAuth(callbackParams: URLSearchParams): Promise<void> {
    try {
      await this.exclusive(async () => {
        // The SDK transport's finishAuth holds the exact RFC 9207 order (check `iss` before reading
        // `error` text an attacker may have written); a transport that is never started does no I/O.
        const redeemer = new StreamableHTTPClientTransport(this.serverUrl, {
          authProvider: this.provider,
          fetch: this.baseFetch,
          skipIssuerMetadataValidation: this.skipIssuerMetadataValidation,
        });
        await redeemer.finishAuth(callbackParams);
        return 'AUTHORIZED';
      });
    } catch (error) {
      this.awaiting = false;
      throw error;
    }
  }

  /** Forgets the pending authorization (the user never came back): the next 401 starts a new one. */
  abandonAuthorization(): void {
    this.awaiting = false;
  }

  private async exclusive(task: () => Promise<AuthResult>): Promise<AuthResult> {
    while (this.flight !== undefined) await this.flight.catch(() => {});
    return this.start(task);
  }

  private start(task: () => Promise<AuthResult>): Promise<AuthResult> {
    const flight = task().then((result) => {
      this.awaiting = result === 'REDIRECT';
      return result;
    });
    this.flight = flight;
    void flight
      .catch(() => {})
      .finally(() => {
        if (this.flight === flight) this.flight = undefined;
      });
    return flight;
  }
}

/** The credential of an `Authorization: <scheme> <credential>` header, if any. */
function credentialOf(headers: RequestInit['headers']): string | undefined {
  const value = new Headers(headers).get('authorization');
  if (value === null) return undefined;
  const space = value.indexOf(' ');
  return space === -1 ? value : value.slice(space + 1).trim();
}
