/**
 * The gateway's `OAuthClientProvider` for one upstream: what the SDK's `auth()` reads and writes
 * while it discovers the authorization server, registers a client, redirects the user, redeems
 * the code and refreshes tokens — kept in a {@link TokenStore} instead of memory, so a restarted
 * gateway reconnects without sending the user to the browser again.
 *
 * How the SDK's calls map onto the store (see `token-store.ts`):
 *
 * | SDK call | record |
 * |---|---|
 * | `clientInformation(ctx)` / `saveClientInformation(info, ctx)` | `{ server, issuer: ctx.issuer }` |
 * | `tokens(ctx)` / `saveTokens(tokens, ctx)` | `{ server, issuer: ctx.issuer }`; saving also records the issuer in `{ server }` |
 * | `tokens()` (no `ctx`: the transport's per-request read) | the issuer recorded by the last save |
 * | `saveCodeVerifier` / `codeVerifier`, `saveDiscoveryState` / `discoveryState` | `{ server }` |
 *
 * Records are read from the store once and then served from memory (the transport reads the
 * tokens before every request); every change is written through. Each record is stamped with
 * the upstream's URL: a record stamped with another URL (the config now points the name
 * elsewhere) reads as empty, so a token is only ever sent to the server it was obtained for.
 * A store that cannot be written is reported through `onWarning` and the provider goes on from
 * memory: the upstream keeps working and only a restart would ask the user again.
 *
 * The user's part is not here: `redirectToAuthorization` hands the URL to `onAuthorizationRequest`
 * (the supervisor shows it in `/readyz`, opens a browser, waits on the callback server). `state()`
 * is random per authorization request and remembered ({@link GatewayOAuthProvider.pendingState})
 * so the callback can be matched to it; the SDK itself does not check `state`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import {
  checkResourceAllowed,
  ClientCredentialsProvider,
  type OAuthClientInformationContext,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { callbackRedirectUrl } from './callback-server.js';
import type { StoredOAuthState, TokenStore, TokenStoreKey } from './token-store.js';

/** mcpo's default callback port. */
export const DEFAULT_CALLBACK_PORT = 3030;

/** What the supervisor gets when an upstream needs its user. */
export interface AuthorizationRequest {
  /** The gateway's name of the upstream. */
  server: string;
  /** Where to send the user (authorization endpoint with PKCE challenge, state, resource). */
  authorizationUrl: URL;
  /** The `state` in that URL: what the callback must carry. */
  state: string | undefined;
  /** Where the authorization server will send the browser back. */
  redirectUrl: string;
}

export interface GatewayOAuthProviderOptions {
  /** The gateway's name of the upstream (any characters). */
  server: string;
  /** The upstream's MCP endpoint. */
  serverUrl: string | URL;
  store: TokenStore;
  /** The loopback callback port; default 3030. Ignored when `redirectUrl` or `clientMetadata.redirect_uris` is given. */
  callbackPort?: number;
  /**
   * The redirect URI; default `http://127.0.0.1:<callbackPort>/oauth/callback/<encoded server>`,
   * or the first of `clientMetadata.redirect_uris`. Pass a callback lease's `redirectUrl` when the
   * port is only known once listening.
   */
  redirectUrl?: string;
  /** The config's `client_metadata`, laid over the defaults (see {@link GatewayOAuthProvider.clientMetadata}). */
  clientMetadata?: Partial<OAuthClientMetadata>;
  /**
   * An HTTPS URL serving this client's metadata document: an authorization server that supports
   * Client ID Metadata Documents takes it as the `client_id`, and no registration is needed.
   */
  clientMetadataUrl?: string;
  /**
   * A client registered with the authorization server beforehand (the config's `client_id`,
   * `client_secret`): used instead of registering one. A stored registration still wins.
   */
  staticClient?: { client_id: string; client_secret?: string };
  /** Called with each new authorization request; may be async (the SDK awaits it). */
  onAuthorizationRequest: (request: AuthorizationRequest) => void | Promise<void>;
  /** Told when the store cannot be written or holds another URL's records. Never given a secret. */
  onWarning?: (message: string) => void;
}

type Patch = { [K in keyof StoredOAuthState]?: StoredOAuthState[K] | undefined };

export class GatewayOAuthProvider implements OAuthClientProvider {
  readonly server: string;
  readonly serverUrl: string;
  private readonly store: TokenStore;
  private readonly redirect: string;
  private readonly metadata: OAuthClientMetadata;
  private readonly staticClient: GatewayOAuthProviderOptions['staticClient'];
  readonly clientMetadataUrl: string | undefined;
  private readonly onAuthorizationRequest: GatewayOAuthProviderOptions['onAuthorizationRequest'];
  private readonly onWarning: (message: string) => void;
  /** Records loaded from the store, by issuer ('' for the upstream's own record). */
  private readonly records = new Map<string, StoredOAuthState>();
  private readonly loading = new Map<string, Promise<void>>();
  /** The issuer `auth()` is working with (the last `ctx.issuer` seen), for `invalidateCredentials`. */
  private activeIssuer: string | undefined;
  private lastState: string | undefined;

  constructor(options: GatewayOAuthProviderOptions) {
    this.server = options.server;
    this.serverUrl = new URL(options.serverUrl).href;
    this.store = options.store;
    this.onAuthorizationRequest = options.onAuthorizationRequest;
    this.onWarning = options.onWarning ?? (() => {});
    const configured = options.clientMetadata ?? {};
    this.redirect = options.redirectUrl ?? configured.redirect_uris?.[0] ?? callbackRedirectUrl(options.callbackPort ?? DEFAULT_CALLBACK_PORT, options.server);
    this.metadata = {
      client_name: `mcpgate (${options.server})`,
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      // A program on the user's machine with a loopback redirect (OpenID Connect Registration §2;
      // the 2026-07-28 authorization specification asks registrations to say which).
      application_type: 'native',
      // A gateway on the user's machine cannot keep a client secret from the user (RFC 8252 §8.5):
      // register as a public client, protected by PKCE.
      // A client registered beforehand with a secret authenticates with it (the SDK picks how).
      token_endpoint_auth_method: options.staticClient?.client_secret === undefined ? 'none' : 'client_secret_basic',
      ...configured,
    };
    this.staticClient = options.staticClient;
    this.clientMetadataUrl = options.clientMetadataUrl;
  }

  get redirectUrl(): string {
    return this.redirect;
  }

  /**
   * Defaults — `client_name` "mcpgate (<server>)", `redirect_uris` [redirectUrl], grant types
   * `authorization_code` and `refresh_token`, response type `code`, `application_type` "native",
   * `token_endpoint_auth_method` "none" — with the config's `client_metadata` laid over them
   * field by field.
   */
  get clientMetadata(): OAuthClientMetadata {
    return this.metadata;
  }

  /** The `state` of the last authorization request sent to the user, until the next one. */
  get pendingState(): string | undefined {
    return this.lastState;
  }

  state(): string {
    this.lastState = randomBytes(32).toString('base64url');
    return this.lastState;
  }

  async clientInformation(ctx?: OAuthClientInformationContext): Promise<StoredOAuthClientInformation | undefined> {
    const stored = (await this.record(this.issuerFor(ctx))).clientInformation;
    return stored ?? (this.staticClient === undefined ? undefined : { ...this.staticClient });
  }

  async saveClientInformation(clientInformation: StoredOAuthClientInformation, ctx?: OAuthClientInformationContext): Promise<void> {
    await this.patch(this.issuerFor(ctx, clientInformation.issuer), { clientInformation });
  }

  /** With `ctx`: that issuer's tokens. Without: the tokens saved last (what the transport sends). */
  async tokens(ctx?: OAuthClientInformationContext): Promise<StoredOAuthTokens | undefined> {
    if (ctx !== undefined) return (await this.record(this.issuerFor(ctx))).tokens;
    const own = await this.record(undefined);
    return (await this.record(own.issuer)).tokens;
  }

  async saveTokens(tokens: StoredOAuthTokens, ctx?: OAuthClientInformationContext): Promise<void> {
    const issuer = this.issuerFor(ctx, tokens.issuer);
    await this.patch(issuer, { tokens, refreshAt: refreshTimeOf(tokens) });
    if (issuer !== undefined) await this.patch(undefined, { issuer });
  }

  /**
   * Whether the tokens in use should be refreshed now: they can be (a refresh token) and their
   * access token expires soon (see {@link refreshTimeOf}). Read before every request.
   */
  async dueForRefresh(): Promise<boolean> {
    const own = await this.record(undefined);
    const { tokens, refreshAt } = await this.record(own.issuer);
    return tokens?.refresh_token !== undefined && refreshAt !== undefined && Date.now() >= refreshAt;
  }

  /**
   * The RFC 8707 `resource` of every authorization and token request: the resource the server's
   * protected resource metadata names, if it is the server's own URL or above it on the same
   * origin (otherwise tokens obtained for it would be good elsewhere too: refused), and the
   * server's URL when it has no metadata — the SDK would then send none, and an authorization
   * server that requires one refuses, or issues a token any of its resources accepts.
   */
  async validateResourceURL(serverUrl: string | URL, resource?: string): Promise<URL | undefined> {
    const own = new URL(serverUrl);
    if (resource === undefined) return own;
    if (!checkResourceAllowed({ requestedResource: own, configuredResource: resource })) {
      throw new Error(`the server's metadata names the resource ${resource}, which is not ${own.href}: mcpgate does not ask for tokens another server would accept`);
    }
    return new URL(resource);
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    await this.onAuthorizationRequest({ server: this.server, authorizationUrl, state: this.lastState, redirectUrl: this.redirect });
  }

  async saveCodeVerifier(codeVerifier: string): Promise<void> {
    await this.patch(undefined, { codeVerifier });
  }

  async codeVerifier(): Promise<string> {
    const { codeVerifier } = await this.record(undefined);
    if (codeVerifier === undefined) throw new Error(`no PKCE code verifier is saved for "${this.server}": the authorization has to start again`);
    return codeVerifier;
  }

  async saveDiscoveryState(discoveryState: OAuthDiscoveryState): Promise<void> {
    await this.patch(undefined, { discoveryState });
  }

  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    return (await this.record(undefined)).discoveryState;
  }

  /** Called by the SDK when the server refused them (`invalid_client`, `invalid_grant`, …). */
  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    const own = await this.record(undefined);
    const issuer = this.activeIssuer ?? own.issuer;
    if (scope === 'all' || scope === 'client') await this.patch(issuer, { clientInformation: undefined });
    if (scope === 'all' || scope === 'tokens') await this.patch(issuer, { tokens: undefined, refreshAt: undefined });
    if (scope === 'all' || scope === 'verifier') await this.patch(undefined, { codeVerifier: undefined });
    if (scope === 'all' || scope === 'discovery') await this.patch(undefined, { discoveryState: undefined });
  }

  /** The issuer a call is about: the SDK's `ctx`, else the value's own stamp, else the one in use. */
  private issuerFor(ctx: OAuthClientInformationContext | undefined, stamped?: string): string | undefined {
    const issuer = ctx?.issuer ?? stamped;
    if (issuer !== undefined) {
      this.activeIssuer = issuer;
      return issuer;
    }
    return this.activeIssuer ?? this.records.get('')?.issuer;
  }

  private key(issuer: string | undefined): TokenStoreKey {
    return issuer === undefined ? { server: this.server } : { server: this.server, issuer };
  }

  private async record(issuer: string | undefined): Promise<StoredOAuthState> {
    await this.load(issuer);
    return this.records.get(issuer ?? '') ?? {};
  }

  private load(issuer: string | undefined): Promise<void> {
    const name = issuer ?? '';
    if (this.records.has(name)) return Promise.resolve();
    let loading = this.loading.get(name);
    if (loading === undefined) {
      loading = this.store
        .get(this.key(issuer))
        .catch(() => undefined)
        .then((stored) => {
          if (!this.records.has(name)) this.records.set(name, this.belongsHere(stored) ? stored! : {});
        })
        .finally(() => this.loading.delete(name));
      this.loading.set(name, loading);
    }
    return loading;
  }

  private belongsHere(stored: StoredOAuthState | undefined): boolean {
    if (stored === undefined) return false;
    if (stored.serverUrl === this.serverUrl) return true;
    this.onWarning(`stored OAuth credentials of "${this.server}" were obtained for another URL; authorizing ${this.serverUrl} anew`);
    return false;
  }

  /**
   * Changes fields of one record: in memory at once (synchronously after the load, so two
   * patches never lose each other's fields), then in the store.
   */
  private async patch(issuer: string | undefined, patch: Patch): Promise<void> {
    await this.load(issuer);
    const name = issuer ?? '';
    this.records.set(name, withPatch(this.records.get(name) ?? {}, patch, this.serverUrl));
    try {
      await this.store.update(this.key(issuer), (stored) => withPatch(stored?.serverUrl === this.serverUrl ? stored : {}, patch, this.serverUrl));
    } catch (error) {
      this.onWarning(
        `OAuth credentials of "${this.server}" could not be saved (${error instanceof Error ? error.message : String(error)}); keeping them in memory until the gateway stops`,
      );
    }
  }
}

/** The longest a token is refreshed before it expires. */
const MAX_REFRESH_LEAD_MS = 60_000;

/**
 * When to refresh: a minute before the access token expires, or a tenth of its lifetime before
 * for tokens shorter than ten minutes (so a token that lives seconds is still used). Undefined
 * when the server gave no `expires_in`: then it is refreshed when refused.
 */
function refreshTimeOf(tokens: StoredOAuthTokens): number | undefined {
  if (typeof tokens.expires_in !== 'number' || !(tokens.expires_in > 0)) return undefined;
  const lifetimeMs = tokens.expires_in * 1000;
  return Date.now() + lifetimeMs - Math.min(MAX_REFRESH_LEAD_MS, lifetimeMs / 10);
}

function withPatch(current: StoredOAuthState, patch: Patch, serverUrl: string): StoredOAuthState {
  const next: StoredOAuthState = { ...current, ...patch, serverUrl };
  for (const field of Object.keys(next) as Array<keyof StoredOAuthState>) if (next[field] === undefined) delete next[field];
  return next;
}

export interface ClientCredentialsOptions {
  /** The gateway's name of the upstream (for the client name). */
  server: string;
  clientId: string;
  clientSecret: string;
  /**
   * The authorization server the credentials belong to, when the config says so: the SDK then
   * refuses to send the secret to any other issuer an MCP server might advertise.
   */
  expectedIssuer?: string;
  /** Space-separated scopes to ask for. */
  scope?: string;
}

/**
 * `"grant_type": "client_credentials"`: the SDK's own provider (`client_secret_basic`). Its tokens
 * stay in memory on purpose: the secret is in the config, so a restart costs one token request,
 * and there is nothing a user would have to redo.
 */
export function createClientCredentialsProvider(options: ClientCredentialsOptions): ClientCredentialsProvider {
  const base = { clientId: options.clientId, clientSecret: options.clientSecret, clientName: `mcpgate (${options.server})`, scope: options.scope };
  return options.expectedIssuer === undefined
    ? // Deprecated by the SDK, but the only choice when the config names no issuer.
      new ClientCredentialsProvider(base)
    : new ClientCredentialsProvider({ ...base, expectedIssuer: options.expectedIssuer });
}
