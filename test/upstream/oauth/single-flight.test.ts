/**
 * One OAuth flow at a time per upstream. With the SDK's own handling, every request that gets a
 * 401 runs `auth()`: parallel calls with an expired token refresh once each, and the fixture
 * (like any server rotating refresh tokens) revokes the grant at the second use of the old
 * refresh token. Through `SingleFlightAuth` the same calls share one refresh; parallel connects
 * share one authorization request; a pending authorization is not restarted by later 401s.
 * Real sockets against the OAuth fixture; the token endpoint's answers are slowed down so that
 * the calls really overlap.
 */
import { Client, StreamableHTTPClientTransport, UnauthorizedError, type FetchLike } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort, textOf, waitFor } from '../../helpers/fixtures.js';
import type { OAuthProtectedServer } from '../../fixtures/oauth/index.js';
import { createClientCredentialsProvider, GatewayOAuthProvider } from '../../../src/upstream/oauth/gateway-oauth-provider.js';
import { SingleFlightAuth } from '../../../src/upstream/oauth/single-flight.js';
import { MemoryTokenStore } from '../../../src/upstream/oauth/token-store.js';
import { connectSettled, LoopbackUser, Resources, whoami } from './helpers.js';

const resources = new Resources();

afterEach(async () => {
  vi.restoreAllMocks();
  await resources.close();
});

/** `fetch`, with answers of the token endpoint held back `delayMs`. */
function slowTokenEndpoint(delayMs: number): FetchLike {
  return async (url, init) => {
    const response = await fetch(url, init);
    if (new URL(url).pathname.endsWith('/token')) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return response;
  };
}

async function setup(): Promise<{ server: OAuthProtectedServer; user: LoopbackUser; provider: GatewayOAuthProvider }> {
  const server = await resources.fixture();
  const user = new LoopbackUser(resources.callbackServers, await freePort());
  const provider = new GatewayOAuthProvider({
    server: 'notes',
    serverUrl: server.resourceUrl,
    store: new MemoryTokenStore(),
    callbackPort: user.callbackPort,
    onAuthorizationRequest: user.onAuthorizationRequest,
  });
  return { server, user, provider };
}

function transportFor(server: OAuthProtectedServer, auth: SingleFlightAuth): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(new URL(server.resourceUrl), auth.transportOptions());
}

/** Authorizes through `auth` as the supervisor would, and returns a connected client. */
async function authorizedClient(server: OAuthProtectedServer, user: LoopbackUser, auth: SingleFlightAuth): Promise<Client> {
  await expect(resources.client().connect(transportFor(server, auth))).rejects.toBeInstanceOf(UnauthorizedError);
  expect(auth.awaitingAuthorization).toBe(true);
  await auth.finishAuth(await user.authorize());
  expect(auth.awaitingAuthorization).toBe(false);
  const client = resources.client();
  await connectSettled(client, transportFor(server, auth), server);
  return client;
}

/** Waits until the standalone GET stream is open. */
function streamOpen(server: OAuthProtectedServer): Promise<unknown> {
  return waitFor('the standalone GET stream', () => server.resourceRequests.some((request) => request.method === 'GET' && request.status === 200));
}

const refreshes = (server: OAuthProtectedServer) => server.tokenRequests.filter((request) => request.grantType === 'refresh_token');

describe('SingleFlightAuth', () => {
  it('lets parallel calls with an expired token share one refresh', async () => {
    const { server, user, provider } = await setup();
    const auth = new SingleFlightAuth({ provider, serverUrl: server.resourceUrl, fetch: slowTokenEndpoint(150) });
    const client = await authorizedClient(server, user, auth);
    const before = (await provider.tokens())!;

    server.expireAllAccessTokens();
    const answers = await Promise.all(['a', 'b', 'c'].map((message) => client.callTool({ name: 'echo', arguments: { message } })));
    expect(answers.map(textOf)).toEqual(['a', 'b', 'c']);

    expect(server.resourceRequests.filter((request) => request.auth === 'expired')).toHaveLength(3);
    expect(refreshes(server)).toMatchObject([{ outcome: 'issued' }]);
    expect(server.refreshToken(before.refresh_token!)?.state).toBe('rotated');
    expect(server.counts()).toMatchObject({ authorizations: 1, issued: { authorization_code: 1, refresh_token: 1 }, tokenErrors: {} });
    expect(user.requests).toHaveLength(1);
    expect((await provider.tokens())!.refresh_token).not.toBe(before.refresh_token);
    expect(await whoami(client)).toMatchObject({ subject: 'user-1' });
  });

  it('lets the standalone GET stream and a call, refused together right after connecting, share one refresh', async () => {
    const { server, user, provider } = await setup();
    const auth = new SingleFlightAuth({ provider, serverUrl: server.resourceUrl, fetch: slowTokenEndpoint(100) });
    await expect(resources.client().connect(transportFor(server, auth))).rejects.toBeInstanceOf(UnauthorizedError);
    await auth.finishAuth(await user.authorize());
    const client = resources.client();
    // No waiting for the GET stream the SDK opens in the background: it races the call below.
    await client.connect(transportFor(server, auth));
    server.expireAllAccessTokens();
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'x' } }))).toBe('x');
    await streamOpen(server);
    expect(refreshes(server)).toMatchObject([{ outcome: 'issued' }]);
    expect(server.counts().tokenErrors).toEqual({});
    expect(user.requests).toHaveLength(1);
  });

  it('is needed: the SDK alone refreshes per call, and the reused refresh token revokes the grant', async () => {
    const { server, user, provider } = await setup();
    const first = new StreamableHTTPClientTransport(new URL(server.resourceUrl), { authProvider: provider, fetch: slowTokenEndpoint(150) });
    await expect(resources.client().connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    await first.finishAuth(await user.authorize());
    const client = resources.client();
    await connectSettled(client, new StreamableHTTPClientTransport(new URL(server.resourceUrl), { authProvider: provider, fetch: slowTokenEndpoint(150) }), server);
    vi.spyOn(console, 'warn').mockImplementation(() => {});

    server.expireAllAccessTokens();
    const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((message) => client.callTool({ name: 'echo', arguments: { message } })));
    expect(refreshes(server).length).toBeGreaterThan(1);
    expect(server.counts().tokenErrors.invalid_grant).toBeGreaterThanOrEqual(1);
    expect(outcomes.some((outcome) => outcome.status === 'rejected')).toBe(true);
    // …and the upstream is back to needing its user.
    expect(user.requests.length).toBeGreaterThan(1);
  });

  it('asks the user once for parallel connects, and does not restart the authorization the user has open', async () => {
    const { server, user, provider } = await setup();
    const auth = new SingleFlightAuth({ provider, serverUrl: server.resourceUrl });
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => resources.client().connect(transportFor(server, auth))));
    expect(outcomes.map((outcome) => outcome.status === 'rejected' && outcome.reason instanceof UnauthorizedError)).toEqual([true, true, true]);
    expect(user.requests).toHaveLength(1);
    expect(server.registrations).toHaveLength(1);

    // While the user has the link open, another attempt fails at once, without a new request.
    await expect(resources.client().connect(transportFor(server, auth))).rejects.toBeInstanceOf(UnauthorizedError);
    expect(user.requests).toHaveLength(1);

    // The first link still works: its PKCE verifier was not replaced.
    await auth.finishAuth(await user.authorize());
    const client = resources.client();
    await client.connect(transportFor(server, auth));
    expect(await whoami(client)).toMatchObject({ subject: 'user-1' });
    expect(server.counts()).toMatchObject({ registrations: 1, authorizations: 1 });
  });

  it('retries a request refused with a token that was replaced since, without a new flow', async () => {
    const { server, user, provider } = await setup();
    const auth = new SingleFlightAuth({ provider, serverUrl: server.resourceUrl });
    await authorizedClient(server, user, auth);
    const stale = server.mintAccessToken({ ttlSeconds: -1 });

    const refused = await auth.fetch(server.resourceUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${stale}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(refused.status).toBe(401);
    const tokenRequests = server.tokenRequests.length;
    await auth.onUnauthorized({ response: refused, serverUrl: new URL(server.resourceUrl), fetchFn: auth.fetch });
    expect(server.tokenRequests).toHaveLength(tokenRequests);
  });

  it('finishes an error callback with the error, and the next 401 starts a new authorization', async () => {
    const { server, user, provider } = await setup();
    const auth = new SingleFlightAuth({ provider, serverUrl: server.resourceUrl });
    await expect(resources.client().connect(transportFor(server, auth))).rejects.toBeInstanceOf(UnauthorizedError);
    server.decision = 'deny';
    const request = user.requests[0]!;
    const denied = await fetch(request.authorizationUrl, { redirect: 'manual' });
    const page = await fetch(new URL(denied.headers.get('location')!), { redirect: 'manual' });
    expect(await page.text()).toContain('authorization of notes failed (access_denied)');
    const params = new URL(denied.headers.get('location')!).searchParams;
    await expect(auth.finishAuth(params)).rejects.toThrow(/access_denied|denied/);
    expect(auth.awaitingAuthorization).toBe(false);

    server.decision = 'approve';
    await expect(resources.client().connect(transportFor(server, auth))).rejects.toBeInstanceOf(UnauthorizedError);
    expect(user.requests).toHaveLength(2);
    await auth.finishAuth(await user.authorize());
    const client = resources.client();
    await client.connect(transportFor(server, auth));
    expect(await whoami(client)).toMatchObject({ subject: 'user-1' });
  });

  it('gets a client_credentials token before the first request with authorize()', async () => {
    const server = await resources.fixture();
    server.preRegisterClient({ clientId: 'svc', clientSecret: 'svc-secret', grantTypes: ['client_credentials'] });
    const auth = new SingleFlightAuth({
      provider: createClientCredentialsProvider({ server: 'svc', clientId: 'svc', clientSecret: 'svc-secret', expectedIssuer: server.issuer }),
      serverUrl: server.resourceUrl,
    });
    expect(await auth.authorize()).toBe('AUTHORIZED');
    const client = resources.client({ versionNegotiation: { mode: 'auto' } });
    await client.connect(transportFor(server, auth));
    expect(await whoami(client)).toMatchObject({ clientId: 'svc' });
    expect(server.counts().resourceRequests.unauthorized).toBe(0);

    server.expireAllAccessTokens();
    await Promise.all([1, 2, 3].map(() => whoami(client)));
    expect(server.counts().issued.client_credentials).toBe(2);
  });
});
