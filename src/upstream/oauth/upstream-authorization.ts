/**
 * The OAuth side of one upstream (`"oauth"` in its config): the pieces of this folder put
 * together for the supervisor in `../upstream.ts`.
 *
 * - {@link UpstreamAuthorization.transportOptions} is what every transport to the server gets
 *   (the supervised connection and per-session ones alike): one {@link SingleFlightAuth}, so one
 *   refresh or authorization at a time, whichever connection hit the 401.
 * - `authorization_code`: a {@link GatewayOAuthProvider} over the token store (`file` or
 *   `memory`). When the server needs its user, the provider's authorization request comes here:
 *   the callback port is taken (a lease on the gateway's {@link OAuthCallbackServers}), the wait
 *   for the request's `state` starts before anyone could follow the link, the URL is logged and,
 *   with `use_loopback`, opened in a browser. The supervisor shows the request
 *   ({@link UpstreamAuthorization.pending}) as state `auth_required` and waits in
 *   {@link UpstreamAuthorization.waitForUser}, which redeems the callback; then it connects again.
 * - `client_credentials`: the SDK's provider; no user, no callback, tokens in memory.
 *
 * @module
 */
import type { OAuthClientProvider } from '@modelcontextprotocol/client';
import type { OAuthUpstreamConfig } from '../../config/types.js';
import { isLoopbackHttpUrl } from '../../config/upstream-entry.js';
import type { Logger } from '../../log/logger.js';
import { OAuthCallbackServers, type OAuthCallbackLease } from './callback-server.js';
import { createClientCredentialsProvider, GatewayOAuthProvider, type AuthorizationRequest } from './gateway-oauth-provider.js';
import { openBrowser } from './open-browser.js';
import { SingleFlightAuth } from './single-flight.js';
import { FileTokenStore, MemoryTokenStore, type TokenStore } from './token-store.js';

/** What every OAuth upstream of one gateway shares. */
export interface OAuthEnvironment {
  /** The loopback callback servers, by port. */
  callbackServers: OAuthCallbackServers;
  /** `"storage_type": "memory"`: one store per gateway, so a reload that restarts a server keeps its tokens. */
  memoryStore: TokenStore;
  /** Where `"storage_type": "file"` keeps tokens; default `~/.mcpgate/tokens`. */
  tokenDirectory?: string;
  /** Opens a URL in the user's browser (`"use_loopback": true`); default {@link openBrowser}. */
  openBrowser?: (url: string, onError: (error: Error) => void) => void;
}

/** A fresh environment: its own callback servers and memory store. */
export function createOAuthEnvironment(options: Partial<OAuthEnvironment> = {}): OAuthEnvironment {
  return {
    callbackServers: new OAuthCallbackServers(),
    memoryStore: new MemoryTokenStore(),
    ...options,
  };
}

/** An authorization the user has not completed yet. */
export interface PendingAuthorization {
  /** Where to send the user. */
  authorizationUrl: string;
  /** Where the authorization server sends the browser back. */
  redirectUrl: string;
}

interface Waiting extends PendingAuthorization {
  callback: Promise<URLSearchParams>;
  stop: AbortController;
}

export interface UpstreamAuthorizationOptions {
  /** The gateway's name of the upstream. */
  server: string;
  /** The upstream's MCP endpoint. */
  url: string;
  config: OAuthUpstreamConfig;
  environment: OAuthEnvironment;
  /** The upstream's logger. */
  logger: Logger;
}

export class UpstreamAuthorization {
  private readonly options: UpstreamAuthorizationOptions;
  private readonly logger: Logger;
  private readonly provider: OAuthClientProvider;
  private readonly flight: SingleFlightAuth;
  /** Where callbacks arrive: the config's redirect URI, or the callback port and the server's own path. */
  private readonly callback: { port: number; path: string | undefined };
  private lease: Promise<OAuthCallbackLease> | undefined;
  private waiting: Waiting | undefined;
  private closed = false;

  constructor(options: UpstreamAuthorizationOptions) {
    this.options = options;
    this.logger = options.logger;
    const { config, server } = options;
    const configuredRedirect = config.clientMetadata?.redirect_uris;
    const redirect = Array.isArray(configuredRedirect) && typeof configuredRedirect[0] === 'string' ? configuredRedirect[0] : undefined;
    const redirectUrl = redirect !== undefined && isLoopbackHttpUrl(redirect) ? new URL(redirect) : undefined;
    this.callback = redirectUrl === undefined ? { port: config.callbackPort, path: undefined } : { port: portOf(redirectUrl), path: redirectUrl.pathname };
    if (config.grantType === 'client_credentials') {
      this.provider = createClientCredentialsProvider({
        server,
        clientId: config.clientId ?? '',
        clientSecret: config.clientSecret ?? '',
        ...(config.issuer === undefined ? {} : { expectedIssuer: config.issuer }),
        ...(config.scope === undefined ? {} : { scope: config.scope }),
      });
      this.flight = new SingleFlightAuth({ provider: this.provider, serverUrl: options.url, scope: config.scope });
      return;
    }
    const provider = new GatewayOAuthProvider({
      server,
      serverUrl: options.url,
      store:
        config.storage === 'memory'
          ? options.environment.memoryStore
          : new FileTokenStore({ directory: options.environment.tokenDirectory, onWarning: (message) => this.logger.warn(message) }),
      callbackPort: config.callbackPort,
      ...(config.clientMetadata === undefined ? {} : { clientMetadata: config.clientMetadata }),
      ...(config.clientMetadataUrl === undefined ? {} : { clientMetadataUrl: config.clientMetadataUrl }),
      ...(config.clientId === undefined
        ? {}
        : { staticClient: { client_id: config.clientId, ...(config.clientSecret === undefined ? {} : { client_secret: config.clientSecret }) } }),
      onAuthorizationRequest: (request) => this.onAuthorizationRequest(request),
      onWarning: (message) => this.logger.warn(message),
    });
    this.provider = provider;
    this.flight = new SingleFlightAuth({ provider, serverUrl: options.url, scope: config.scope, dueForRefresh: () => provider.dueForRefresh() });
  }

  /** For every transport to this server: the single-flight auth provider and its fetch. */
  transportOptions(): ReturnType<SingleFlightAuth['transportOptions']> {
    return this.flight.transportOptions();
  }

  /** The authorization waiting for the user, if any. */
  get pending(): PendingAuthorization | undefined {
    if (this.waiting === undefined || !this.flight.awaitingAuthorization) return undefined;
    const { authorizationUrl, redirectUrl } = this.waiting;
    return { authorizationUrl, redirectUrl };
  }

  /**
   * Waits until the user has been through the pending authorization and redeems the callback
   * (tokens saved). Rejects when the authorization failed (the user refused, the code was not
   * accepted) — the next connection attempt asks anew — or when {@link close} stops the wait.
   */
  async waitForUser(): Promise<void> {
    const waiting = this.waiting;
    if (waiting === undefined) return;
    const params = await waiting.callback;
    try {
      await this.flight.finishAuth(params);
      this.logger.info('authorized');
    } finally {
      if (this.waiting === waiting) this.waiting = undefined;
      await this.releaseLease();
    }
  }

  /** Stops waiting for the user and gives the callback port back. */
  async close(): Promise<void> {
    this.closed = true;
    this.waiting?.stop.abort(new Error('the server was stopped'));
    this.waiting = undefined;
    this.flight.abandonAuthorization();
    await this.releaseLease();
  }

  /** The provider's hand-off: the SDK has built an authorization URL and awaits this before reporting `REDIRECT`. */
  private async onAuthorizationRequest(request: AuthorizationRequest): Promise<void> {
    if (this.closed) throw new Error('the server was stopped');
    if (request.state === undefined) throw new Error('an authorization request without state cannot be matched to its callback');
    // A new request replaces the one the user has not followed: that one's PKCE verifier is gone.
    this.waiting?.stop.abort(new Error('replaced by a newer authorization request'));
    const lease = await this.takeLease();
    const stop = new AbortController();
    const callback = lease.waitForCallback(request.state, stop.signal);
    callback.catch(() => {});
    const authorizationUrl = request.authorizationUrl.href;
    this.waiting = { authorizationUrl, redirectUrl: request.redirectUrl, callback, stop };
    this.logger.warn({ url: authorizationUrl }, `the server needs authorizing: open ${authorizationUrl} in a browser`);
    if (this.options.config.openBrowser) {
      const open = this.options.environment.openBrowser ?? ((url, onError) => openBrowser(url, { onError }));
      open(authorizationUrl, (error) => this.logger.warn({ err: error }, 'the browser could not be opened; open the authorization URL by hand'));
    }
  }

  private takeLease(): Promise<OAuthCallbackLease> {
    this.lease ??= this.options.environment.callbackServers.acquire(this.callback.port, this.options.server, this.callback.path);
    const lease = this.lease;
    // A port that cannot be taken now may be free at the next attempt.
    lease.catch(() => {
      if (this.lease === lease) this.lease = undefined;
    });
    return lease;
  }

  private async releaseLease(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    await (await lease?.catch(() => undefined))?.release();
  }
}

function portOf(url: URL): number {
  return url.port === '' ? 80 : Number(url.port);
}
