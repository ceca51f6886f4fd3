/**
 * The gateway's OAuth provider, driven by the SDK client against the OAuth-protected fixture
 * over real sockets, with tokens in real files: the authorization-code flow end to end through
 * the callback server (the test plays the user), a restart that needs no new authorization,
 * refresh, a revoked grant sending the upstream back to its user, a token for another audience
 * refused, and client credentials.
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SdkErrorCode, SdkHttpError, StreamableHTTPClientTransport, UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort, textOf } from '../../helpers/fixtures.js';
import type { OAuthProtectedServer } from '../../fixtures/oauth/index.js';
import { createClientCredentialsProvider, GatewayOAuthProvider } from '../../../src/upstream/oauth/gateway-oauth-provider.js';
import { FileTokenStore, MemoryTokenStore, type TokenStore } from '../../../src/upstream/oauth/token-store.js';
import { connectSettled, LoopbackUser, Resources, whoami } from './helpers.js';

const resources = new Resources();

afterEach(async () => {
  vi.restoreAllMocks();
  await resources.close();
});

interface Setup {
  server: OAuthProtectedServer;
  user: LoopbackUser;
  callbackPort: number;
  warnings: string[];
  provider(store: TokenStore, name?: string): GatewayOAuthProvider;
  transport(provider: OAuthClientProvider): StreamableHTTPClientTransport;
}

async function setup(options?: Parameters<Resources['fixture']>[0]): Promise<Setup> {
  const server = await resources.fixture(options);
  const callbackPort = await freePort();
  const user = new LoopbackUser(resources.callbackServers, callbackPort);
  const warnings: string[] = [];
  return {
    server,
    user,
    callbackPort,
    warnings,
    provider: (store, name = 'notes') =>
      new GatewayOAuthProvider({
        server: name,
        serverUrl: server.resourceUrl,
        store,
        callbackPort,
        onAuthorizationRequest: user.onAuthorizationRequest,
        onWarning: (message) => warnings.push(message),
      }),
    transport: (provider) => new StreamableHTTPClientTransport(new URL(server.resourceUrl), { authProvider: provider }),
  };
}

describe('GatewayOAuthProvider', () => {
  it('runs the authorization code flow through the callback server, and a restart needs no new authorization', async () => {
    const { server, user, callbackPort, warnings, provider, transport } = await setup({ authorizationResponseIss: true });
    const directory = await resources.tokenDirectory();
    const first = provider(new FileTokenStore({ directory }));

    const initial = transport(first);
    await expect(resources.client().connect(initial)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(user.requests).toHaveLength(1);
    const request = user.requests[0]!;
    expect(request).toMatchObject({ server: 'notes', state: first.pendingState, redirectUrl: `http://127.0.0.1:${callbackPort}/oauth/callback/notes` });
    expect(Object.fromEntries(request.authorizationUrl.searchParams)).toMatchObject({
      redirect_uri: request.redirectUrl,
      state: first.pendingState,
      code_challenge_method: 'S256',
      resource: server.resourceUrl,
    });
    expect(first.pendingState).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Registered as a public client named after the server, with the loopback redirect URI.
    expect(server.registrations).toMatchObject([
      {
        outcome: 'registered',
        metadata: {
          client_name: 'mcpgate (notes)',
          redirect_uris: [request.redirectUrl],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
        },
      },
    ]);

    const params = await user.authorize();
    expect(params.get('state')).toBe(first.pendingState);
    expect(params.get('iss')).toBe(server.issuer);
    await initial.finishAuth(params);
    // The callback server was only held while waiting.
    expect(resources.callbackServers.isOpen(callbackPort)).toBe(false);

    const client = resources.client();
    await client.connect(transport(first));
    const me = await whoami(client);
    expect(me).toMatchObject({ subject: 'user-1', audience: server.resourceUrl, clientId: server.registrations[0]!.clientId });
    expect(server.tokenRequests).toMatchObject([{ grantType: 'authorization_code', outcome: 'issued', authMethod: 'none' }]);

    // On disk: the server's own record and its record for the issuer, private.
    const files = await readdir(directory);
    expect(files.sort()).toEqual([expect.stringMatching(/^notes-[0-9a-f]{12}\.json$/), expect.stringMatching(/^notes@127\.0\.0\.1-\d+-[0-9a-f]{12}\.json$/)].sort());
    for (const file of files) expect((await stat(join(directory, file))).mode & 0o777).toBe(0o600);

    // A restart: a new provider on the same directory sends the stored token at once.
    const restarted = provider(new FileTokenStore({ directory }));
    const before = server.counts();
    const again = resources.client();
    await again.connect(transport(restarted));
    expect(await whoami(again)).toMatchObject({ subject: 'user-1', clientId: me.clientId });
    expect(server.counts()).toMatchObject({ registrations: before.registrations, authorizations: 1, issued: before.issued });
    expect(user.requests).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('refreshes an expired token and stores the rotated one, so the next restart uses it', async () => {
    const { server, user, provider, transport } = await setup();
    const directory = await resources.tokenDirectory();
    const gateway = provider(new FileTokenStore({ directory }));
    const initial = transport(gateway);
    await expect(resources.client().connect(initial)).rejects.toBeInstanceOf(UnauthorizedError);
    await initial.finishAuth(await user.authorize());
    const client = resources.client();
    await connectSettled(client, transport(gateway), server);
    const before = (await gateway.tokens())!;

    server.expireAllAccessTokens();
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'after expiry' } }))).toBe('after expiry');
    const after = (await gateway.tokens())!;
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(server.refreshToken(before.refresh_token!)?.state).toBe('rotated');
    expect(server.counts()).toMatchObject({ authorizations: 1, issued: { authorization_code: 1, refresh_token: 1 } });

    // What a restart reads is the rotated pair, not the one the server now takes for reuse.
    const restarted = provider(new FileTokenStore({ directory }));
    expect(await restarted.tokens()).toEqual(after);
    server.expireAllAccessTokens();
    const again = resources.client();
    await again.connect(transport(restarted));
    expect(await whoami(again)).toMatchObject({ subject: 'user-1' });
    expect(server.counts()).toMatchObject({ authorizations: 1, issued: { refresh_token: 2 }, tokenErrors: {} });
    expect(user.requests).toHaveLength(1);
  });

  it('goes back to the user when the refresh token is revoked, and the same session goes on after it', async () => {
    const { server, user, provider, transport } = await setup();
    const gateway = provider(new MemoryTokenStore());
    const initial = transport(gateway);
    await expect(resources.client().connect(initial)).rejects.toBeInstanceOf(UnauthorizedError);
    await initial.finishAuth(await user.authorize());
    const live = transport(gateway);
    const client = resources.client();
    await connectSettled(client, live, server);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});

    server.revokeRefreshTokens();
    server.expireAllAccessTokens();
    await expect(client.callTool({ name: 'echo', arguments: { message: 'x' } })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('invalid_grant'));
    expect(server.tokenRequests.at(-1)).toMatchObject({ grantType: 'refresh_token', outcome: 'rejected', error: 'invalid_grant' });
    // invalidateCredentials('tokens') dropped the dead tokens; the client registration stays.
    expect(await gateway.tokens()).toBeUndefined();
    expect(user.requests).toHaveLength(2);
    expect(user.requests[1]!.state).toBe(gateway.pendingState);
    expect(user.requests[1]!.state).not.toBe(user.requests[0]!.state);

    await live.finishAuth(await user.authorize());
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'again' } }))).toBe('again');
    expect(server.counts()).toMatchObject({ registrations: 1, authorizations: 2 });
  });

  it('refuses a server whose tokens name another audience', async () => {
    const { server, user, provider, transport } = await setup();
    server.audienceOverride = 'http://127.0.0.1:9/other-mcp';
    const gateway = provider(new MemoryTokenStore());
    const initial = transport(gateway);
    await expect(resources.client().connect(initial)).rejects.toBeInstanceOf(UnauthorizedError);
    await initial.finishAuth(await user.authorize());

    const refused = await resources
      .client()
      .connect(transport(gateway))
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SdkHttpError);
    expect((refused as SdkHttpError).code).toBe(SdkErrorCode.ClientHttpAuthentication);
    expect(server.resourceRequests.slice(-2)).toMatchObject([
      { auth: 'wrong_audience', status: 401 },
      { auth: 'wrong_audience', status: 401 },
    ]);
  });

  it('keeps tokens to their server: another server name, or the same name at another URL, gets none', async () => {
    const { server, user, provider, transport, warnings } = await setup();
    const store = new MemoryTokenStore();
    const gateway = provider(store);
    const initial = transport(gateway);
    await expect(resources.client().connect(initial)).rejects.toBeInstanceOf(UnauthorizedError);
    await initial.finishAuth(await user.authorize());
    expect(await gateway.tokens()).toMatchObject({ access_token: expect.any(String) });

    expect(await provider(store, 'another').tokens()).toBeUndefined();
    const moved = new GatewayOAuthProvider({
      server: 'notes',
      serverUrl: 'http://127.0.0.1:9/elsewhere/mcp',
      store,
      onAuthorizationRequest: () => {},
      onWarning: (message) => warnings.push(message),
    });
    expect(await moved.tokens()).toBeUndefined();
    expect(await moved.discoveryState()).toBeUndefined();
    expect(await moved.clientInformation({ issuer: server.issuer })).toBeUndefined();
    expect(warnings).toContain('stored OAuth credentials of "notes" were obtained for another URL; authorizing http://127.0.0.1:9/elsewhere/mcp anew');
    for (const warning of warnings) expect(warning).not.toContain((await gateway.tokens())!.access_token);
  });

  it('keeps working from memory when the token directory cannot be written', async () => {
    const { user, provider, transport, warnings } = await setup();
    // A directory below a file: every write fails with ENOTDIR.
    const blocked = join(await resources.tokenDirectory(), '..', 'not-a-directory', 'tokens');
    await writeFile(join(blocked, '..'), 'a file');
    const gateway = provider(new FileTokenStore({ directory: blocked }));
    const initial = transport(gateway);
    await expect(resources.client().connect(initial)).rejects.toBeInstanceOf(UnauthorizedError);
    await initial.finishAuth(await user.authorize());
    const client = resources.client();
    await client.connect(transport(gateway));
    expect(await whoami(client)).toMatchObject({ subject: 'user-1' });
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatch(/^OAuth credentials of "notes" could not be saved \(could not write OAuth token file .*ENOTDIR\); keeping them in memory until the gateway stops$/);
  });

  it('builds its metadata from defaults and the config, with one callback path per server', () => {
    const onAuthorizationRequest = (): void => {};
    const plain = new GatewayOAuthProvider({ server: 'team/notes', serverUrl: 'https://mcp.example.com/mcp', store: new MemoryTokenStore(), onAuthorizationRequest });
    expect(plain.redirectUrl).toBe('http://127.0.0.1:3030/oauth/callback/team%2Fnotes');
    expect(plain.clientMetadata).toEqual({
      client_name: 'mcpgate (team/notes)',
      redirect_uris: ['http://127.0.0.1:3030/oauth/callback/team%2Fnotes'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
    });

    const configured = new GatewayOAuthProvider({
      server: 'legacy',
      serverUrl: 'https://api.example.com/mcp',
      store: new MemoryTokenStore(),
      callbackPort: 4040,
      clientMetadata: { client_name: 'My MCPO Client', redirect_uris: ['http://localhost:3030/callback'], scope: 'read' },
      onAuthorizationRequest,
    });
    expect(configured.redirectUrl).toBe('http://localhost:3030/callback');
    expect(configured.clientMetadata).toMatchObject({ client_name: 'My MCPO Client', redirect_uris: ['http://localhost:3030/callback'], scope: 'read', token_endpoint_auth_method: 'none' });
    const port = new GatewayOAuthProvider({ server: 's', serverUrl: 'https://x.example/mcp', store: new MemoryTokenStore(), callbackPort: 4040, onAuthorizationRequest });
    expect(port.redirectUrl).toBe('http://127.0.0.1:4040/oauth/callback/s');
    const states = new Set(Array.from({ length: 20 }, () => port.state()));
    expect(states.size).toBe(20);
  });
});

describe('client credentials', () => {
  it('gets a token with the configured client id and secret, and never sends them to another issuer', async () => {
    const server = await resources.fixture();
    server.preRegisterClient({ clientId: 'svc-reports', clientSecret: 'svc-secret', grantTypes: ['client_credentials'] });
    const provider = createClientCredentialsProvider({ server: 'reports', clientId: 'svc-reports', clientSecret: 'svc-secret', expectedIssuer: server.issuer });
    expect(provider.redirectUrl).toBeUndefined();
    expect(provider.clientMetadata).toMatchObject({ client_name: 'mcpgate (reports)', grant_types: ['client_credentials'] });

    const client = resources.client({ versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.resourceUrl), { authProvider: provider }));
    expect(await whoami(client)).toMatchObject({ clientId: 'svc-reports', subject: 'svc-reports', audience: server.resourceUrl });
    expect(server.tokenRequests).toMatchObject([{ grantType: 'client_credentials', outcome: 'issued', authMethod: 'client_secret_basic' }]);
    expect(server.counts()).toMatchObject({ registrations: 0, authorizations: 0 });

    const elsewhere = createClientCredentialsProvider({ server: 'reports', clientId: 'svc-reports', clientSecret: 'svc-secret', expectedIssuer: 'https://auth.example.com' });
    await expect(resources.client().connect(new StreamableHTTPClientTransport(new URL(server.resourceUrl), { authProvider: elsewhere }))).rejects.toThrow();
    expect(server.tokenRequests).toHaveLength(1);

    // Without an issuer in the config the SDK's fallback sends them to the advertised one (and says so).
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const unpinned = createClientCredentialsProvider({ server: 'reports', clientId: 'svc-reports', clientSecret: 'svc-secret' });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('Omitting `expectedIssuer` is deprecated'));
    const third = resources.client();
    await third.connect(new StreamableHTTPClientTransport(new URL(server.resourceUrl), { authProvider: unpinned }));
    expect(await whoami(third)).toMatchObject({ clientId: 'svc-reports' });
  });
});
