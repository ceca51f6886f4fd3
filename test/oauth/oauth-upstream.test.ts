/**
 * OAuth upstreams through a real gateway: the loopback fixture (authorization server and
 * protected MCP server) behind `"oauth"`, the test playing the user with `fetch`, calls over REST
 * and MCP, `/readyz` read as an operator would.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient } from '../bridge/bridge-gateway.js';
import { authorizeAsUser, startOAuthProtectedServer, type OAuthProtectedServer, type OAuthProtectedServerOptions, type WhoAmI } from '../fixtures/oauth/index.js';
import { textOf, waitFor } from '../helpers/fixtures.js';
import { post, restFixtureConfig, startRestGateway, type RunningRestGateway } from '../rest/rest-gateway.js';
import { freePort, oauthUpstream, readyzStatus, waitForState } from './oauth-gateway.js';
import type { HttpUpstreamConfig, OAuthUpstreamConfig } from '../../src/config/types.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function fixture(options?: OAuthProtectedServerOptions): Promise<OAuthProtectedServer> {
  const server = await startOAuthProtectedServer(options);
  cleanups.push(() => server.close());
  return server;
}

async function gateway(...args: Parameters<typeof startRestGateway>): Promise<RunningRestGateway> {
  const running = await startRestGateway(...args);
  cleanups.push(() => running.gateway.close());
  return running;
}

/** A gateway with one OAuth server named `secured` (and `extra` servers), in multi-server mode. */
async function securedGateway(
  server: OAuthProtectedServer,
  oauth: Partial<OAuthUpstreamConfig> = {},
  extra: Parameters<typeof startRestGateway>[0] = [],
  overrides: Partial<HttpUpstreamConfig> = {},
  gatewayOverrides: Parameters<typeof startRestGateway>[1] = {},
): Promise<RunningRestGateway> {
  const callbackPort = oauth.callbackPort ?? (await freePort());
  return gateway([oauthUpstream(server.resourceUrl, { callbackPort, ...oauth }, overrides), ...extra], { mode: 'multi', ...gatewayOverrides });
}

/** Plays the user on the authorization URL `/readyz` shows, and waits until the server is ready. */
async function authorize(url: string, server = 'secured', headers: Record<string, string> = {}): Promise<void> {
  const waiting = await waitForState(url, server, 'auth_required', headers);
  const redirect = await authorizeAsUser(waiting.authorizationUrl!, { followToCallback: true });
  expect(redirect.callback?.status).toBe(200);
  await waitForState(url, server, 'ready', headers);
}

async function whoami(url: string, server = 'secured'): Promise<WhoAmI> {
  const answer = await post(`${url}/${server}/whoami`, {});
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as WhoAmI;
}

describe('authorization code with PKCE', () => {
  it('waits in auth_required with the authorization URL while the other servers serve, then serves once the user has authorized', async () => {
    const server = await fixture();
    const callbackPort = await freePort();
    const { url, records } = await securedGateway(server, { callbackPort }, [restFixtureConfig()]);

    const waiting = await waitForState(url, 'secured', 'auth_required');
    const authorizationUrl = new URL(waiting.authorizationUrl!);
    expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${server.issuer}/authorize`);
    expect(authorizationUrl.searchParams.get('resource')).toBe(server.resourceUrl);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(authorizationUrl.searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${callbackPort}/oauth/callback/secured`);
    expect(waiting.lastError).toContain(waiting.authorizationUrl);

    // The other server serves meanwhile; a call to the waiting one says what it waits for.
    expect((await readyzStatus(url, 'fixture')).state).toBe('ready');
    expect((await post(`${url}/fixture/text_plain`, {})).status).toBe(200);
    const refused = await post(`${url}/secured/whoami`, {});
    expect(refused.status).toBe(503);
    expect(JSON.stringify(refused.body)).toContain('server \\"secured\\" is not authorized yet');

    const redirect = await authorizeAsUser(authorizationUrl, { followToCallback: true });
    expect(redirect.callback).toMatchObject({ status: 200, body: expect.stringContaining('secured is authorized') });
    const ready = await waitForState(url, 'secured', 'ready');
    expect(ready).toMatchObject({ authorizationUrl: null, lastError: null });
    expect(await whoami(url)).toMatchObject({ audience: server.resourceUrl, subject: 'user-1' });

    // RFC 8707: the token was asked for this resource; one registration, one authorization.
    expect(server.tokenRequests.find((request) => request.grantType === 'authorization_code')).toMatchObject({ outcome: 'issued', resource: server.resourceUrl });
    expect(server.counts()).toMatchObject({ registrations: 1, authorizations: 1 });
    // Tokens never reach the log.
    const issued = server.tokenRequests.flatMap((request) => [request.accessToken, request.refreshToken]).filter((token) => token !== undefined);
    expect(issued.length).toBeGreaterThan(0);
    const log = JSON.stringify(records);
    for (const token of issued) expect(log).not.toContain(token);
  });

  it('shows the authorization URL in /readyz only to API key holders when the gateway has keys', async () => {
    const server = await fixture();
    const { url } = await securedGateway(server, {}, [], {}, { auth: { apiKeys: ['k-123'], strict: false } });
    const key = { authorization: 'Bearer k-123' };
    const shown = await waitForState(url, 'secured', 'auth_required', key);
    expect(shown.authorizationUrl).toMatch(/\/authorize\?/);
    const hidden = await readyzStatus(url, 'secured');
    expect(hidden).toMatchObject({ state: 'auth_required', authorizationUrl: null });
    expect(hidden.lastError).toContain('send the API key to see the authorization URL');
    expect(hidden.lastError).not.toContain('/authorize');
    expect((await readyzStatus(url, 'secured', { authorization: 'Bearer wrong' })).authorizationUrl).toBeNull();
  });

  it('asks again after the user refused, and serves once the user approves', async () => {
    const server = await fixture({ decision: 'deny' });
    const { url } = await securedGateway(server);
    const first = await waitForState(url, 'secured', 'auth_required');
    const denied = await authorizeAsUser(first.authorizationUrl!, { followToCallback: true });
    expect(denied.error).toBe('access_denied');
    expect(denied.callback?.body).toContain('authorization of secured failed (access_denied)');
    server.decision = 'approve';
    // A new request (new state) replaces the refused one; the failure is told meanwhile.
    let second = await waitForState(url, 'secured', 'auth_required');
    for (let tries = 0; second.authorizationUrl === first.authorizationUrl && tries < 200; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      second = await readyzStatus(url, 'secured');
    }
    expect(second.authorizationUrl).not.toBe(first.authorizationUrl);
    await authorize(url);
    expect((await whoami(url)).audience).toBe(server.resourceUrl);
  });

  it('receives the callback at the redirect URI of the config\'s client_metadata', async () => {
    const server = await fixture();
    const port = await freePort();
    const { url } = await securedGateway(server, { clientMetadata: { client_name: 'My MCPO Client', redirect_uris: [`http://127.0.0.1:${port}/callback`] } });
    const waiting = await waitForState(url, 'secured', 'auth_required');
    expect(new URL(waiting.authorizationUrl!).searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${port}/callback`);
    expect(server.registrations[0]?.metadata).toMatchObject({ client_name: 'My MCPO Client' });
    await authorize(url);
    expect((await whoami(url)).audience).toBe(server.resourceUrl);
  });

  it.each<[string, OAuthProtectedServerOptions]>([
    ['metadata named by the 401 challenge (RFC 9728)', {}],
    ['metadata at the well-known URL when the challenge names none', { challengeResourceMetadata: false }],
    ['no protected resource metadata: the authorization server at the origin', { layout: 'shared', protectedResourceMetadata: false }],
    ['an issuer with a path (RFC 8414 path-suffixed discovery)', { issuerPath: '/tenant-a' }],
    ['OpenID Connect discovery only', { metadataDocuments: ['openid-configuration'] }],
  ])('discovers the authorization server: %s', async (_name, options) => {
    const server = await fixture(options);
    const { url } = await securedGateway(server);
    await authorize(url);
    expect((await whoami(url)).audience).toBe(server.resourceUrl);
  });

  it('registers as a native public client', async () => {
    const server = await fixture();
    const { url } = await securedGateway(server);
    await waitForState(url, 'secured', 'auth_required');
    expect(server.registrations[0]?.metadata).toMatchObject({
      client_name: 'mcpgate (secured)',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
  });

  it('checks the authorization response\'s issuer (RFC 9207): a callback naming another issuer is refused', async () => {
    const server = await fixture({ authorizationResponseIss: true });
    const { url, records } = await securedGateway(server);
    const waiting = await waitForState(url, 'secured', 'auth_required');
    const redirect = await authorizeAsUser(waiting.authorizationUrl!);
    expect(redirect.iss).toBe(server.issuer);
    // A mix-up attack: the code comes back claiming another authorization server.
    const forged = new URL(redirect.location!);
    forged.searchParams.set('iss', 'http://127.0.0.1:9/attacker');
    expect((await fetch(forged)).status).toBe(200);
    const failure = await waitFor('the failed authorization in the log', () =>
      records.find((record) => record.msg?.startsWith('the authorization failed')),
    );
    expect(failure.reason).toContain('Issuer mismatch in authorization response (RFC 9207)');
    expect(server.tokenRequests.filter((request) => request.grantType === 'authorization_code')).toHaveLength(0);
    // The next attempt asks again, and an honest callback completes it.
    await authorize(url);
    expect((await whoami(url)).audience).toBe(server.resourceUrl);
  });

  it('uses a client registered beforehand when the server has no dynamic registration', async () => {
    const server = await fixture({ dynamicRegistration: false });
    const port = await freePort();
    const client = server.preRegisterClient({
      redirectUris: [`http://127.0.0.1:${port}/oauth/callback/secured`],
      grantTypes: ['authorization_code', 'refresh_token'],
    });
    const { url } = await securedGateway(server, { callbackPort: port, clientId: client.clientId, clientSecret: client.clientSecret });
    await authorize(url);
    expect(await whoami(url)).toMatchObject({ clientId: client.clientId, audience: server.resourceUrl });
    expect(server.tokenRequests.find((request) => request.grantType === 'authorization_code')).toMatchObject({ outcome: 'issued', authMethod: 'client_secret_basic' });
    expect(server.counts().registrations).toBe(0);
  });

  it('gives its client ID metadata document URL as client_id where the server accepts one', async () => {
    const server = await fixture({ clientIdMetadataDocumentSupported: true });
    const port = await freePort();
    const documentUrl = 'https://gateway.example.com/oauth/client.json';
    // Stands in for the authorization server fetching the document (an HTTPS URL it cannot reach here).
    server.preRegisterClient({ clientId: documentUrl, redirectUris: [`http://127.0.0.1:${port}/oauth/callback/secured`], tokenEndpointAuthMethod: 'none' });
    const { url } = await securedGateway(server, { callbackPort: port, clientMetadataUrl: documentUrl });
    const waiting = await waitForState(url, 'secured', 'auth_required');
    expect(new URL(waiting.authorizationUrl!).searchParams.get('client_id')).toBe(documentUrl);
    await authorize(url);
    expect(await whoami(url)).toMatchObject({ clientId: documentUrl });
    expect(server.counts().registrations).toBe(0);
  });

  it('says which port is taken when the callback server cannot listen', async () => {
    const server = await fixture();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const port = (blocker.address() as { port: number }).port;
    const { url } = await securedGateway(server, { callbackPort: port });
    const status = await waitForState(url, 'secured', 'down');
    expect(status.lastError).toContain(`cannot listen on 127.0.0.1:${port}: port ${port} is already in use by another program`);
  });
});

describe('tokens over time', () => {
  it('refreshes an access token the server refuses as expired, without asking the user', async () => {
    const server = await fixture();
    const { url } = await securedGateway(server);
    await authorize(url);
    server.expireAllAccessTokens();
    expect((await whoami(url)).audience).toBe(server.resourceUrl);
    expect(server.counts()).toMatchObject({ authorizations: 1, issued: { authorization_code: 1, refresh_token: 1 } });
    expect((await readyzStatus(url, 'secured')).state).toBe('ready');
  });

  it('refreshes once, shortly before the access token expires, so no request is refused', async () => {
    const server = await fixture({ accessTokenTtlSeconds: 2 });
    const { url } = await securedGateway(server);
    await authorize(url);
    const refusedBefore = server.counts().resourceRequests.unauthorized;
    // Refreshed a tenth of the lifetime before expiry: at 1.8 s of 2.
    await new Promise((resolve) => setTimeout(resolve, 1900));
    // Eight calls at once make one refresh (a rotating refresh token used twice would revoke the grant).
    const answers = await Promise.all(Array.from({ length: 8 }, () => whoami(url)));
    for (const answer of answers) expect(answer.audience).toBe(server.resourceUrl);
    expect(server.counts().issued.refresh_token).toBe(1);
    expect(server.counts().tokenErrors).toEqual({});
    expect(server.counts().resourceRequests.unauthorized).toBe(refusedBefore);
  });

  it('goes back to auth_required when the refresh token is revoked, with a new authorization URL, and recovers', async () => {
    const server = await fixture();
    const { url } = await securedGateway(server);
    const first = await waitForState(url, 'secured', 'auth_required');
    await authorize(url);
    server.revokeRefreshTokens();
    server.expireAllAccessTokens();
    const refused = await post(`${url}/secured/whoami`, {});
    expect(refused.status, JSON.stringify(refused.body)).toBe(503);
    const again = await waitForState(url, 'secured', 'auth_required');
    expect(again.authorizationUrl).not.toBe(first.authorizationUrl);
    expect(server.counts().tokenErrors).toMatchObject({ invalid_grant: 1 });
    await authorize(url);
    expect((await whoami(url)).audience).toBe(server.resourceUrl);
    expect(server.counts().authorizations).toBe(2);
  });

  it('reports a token for another audience as refused instead of asking the user again', async () => {
    const server = await fixture({ audienceOverride: 'http://127.0.0.1:9/elsewhere' });
    const { url } = await securedGateway(server);
    const waiting = await waitForState(url, 'secured', 'auth_required');
    await authorizeAsUser(waiting.authorizationUrl!, { followToCallback: true });
    const down = await waitForState(url, 'secured', 'down');
    expect(down.lastError).toContain('the server refused the access token obtained for it');
    expect(server.resourceRequests.some((request) => request.auth === 'wrong_audience')).toBe(true);
    expect(server.counts().authorizations).toBe(1);
    expect((await post(`${url}/secured/whoami`, {})).status).toBe(503);
  });
});

describe('hot reload', () => {
  it('keeps the tokens of a changed server (memory storage): no new authorization', async () => {
    const server = await fixture();
    const { url, gateway: running } = await securedGateway(server);
    await authorize(url);
    const secured = running.config.upstreams[0]!;
    const report = await running.reload({ ...running.config, upstreams: [{ ...secured, timeoutMs: 60_000 }] });
    expect(report.restarted).toEqual(['secured']);
    await waitForState(url, 'secured', 'ready');
    expect((await whoami(url)).audience).toBe(server.resourceUrl);
    expect(server.counts().authorizations).toBe(1);
  });

  it('replaces a pending authorization when the server is changed while it waits', async () => {
    const server = await fixture();
    const { url, gateway: running } = await securedGateway(server);
    const before = await waitForState(url, 'secured', 'auth_required');
    const secured = running.config.upstreams[0]!;
    await running.reload({ ...running.config, upstreams: [{ ...secured, timeoutMs: 60_000 }] });
    let after = await waitForState(url, 'secured', 'auth_required');
    for (let tries = 0; after.authorizationUrl === before.authorizationUrl && tries < 200; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      after = await readyzStatus(url, 'secured');
    }
    expect(after.authorizationUrl).not.toBe(before.authorizationUrl);
    // The old link's callback is no longer awaited; the new one completes.
    const stale = await authorizeAsUser(before.authorizationUrl!, { followToCallback: true });
    expect(stale.callback?.status).toBe(400);
    await authorize(url);
    expect((await whoami(url)).audience).toBe(server.resourceUrl);
  });
});

describe('the resource a token is for (RFC 8707)', () => {
  it('refuses to ask for tokens when the server\'s metadata names another resource', async () => {
    const server = await fixture();
    server.resourceServer.advertisedResource = 'http://127.0.0.1:9/other-mcp';
    const { url } = await securedGateway(server);
    const down = await waitForState(url, 'secured', 'down');
    expect(down.lastError).toContain('names the resource http://127.0.0.1:9/other-mcp, which is not');
    expect(server.authorizations).toHaveLength(0);
    expect(server.counts().registrations).toBe(0);
  });

  it('asks for tokens for the server\'s own URL when it publishes no metadata', async () => {
    const server = await fixture({ layout: 'shared', protectedResourceMetadata: false });
    const { url } = await securedGateway(server);
    const waiting = await waitForState(url, 'secured', 'auth_required');
    expect(new URL(waiting.authorizationUrl!).searchParams.get('resource')).toBe(server.resourceUrl);
  });
});

describe('one upstream, its own tokens', () => {
  it('shares the tokens with per-session connections', async () => {
    const server = await fixture();
    const { url } = await securedGateway(server, {}, [], { sharing: 'per-session' });
    await authorize(url);
    const client = await connectClient(`${url}/secured/mcp`, 'streamable-http');
    const answer = JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} }))) as WhoAmI;
    expect(answer.audience).toBe(server.resourceUrl);
    expect(server.counts()).toMatchObject({ authorizations: 1, issued: { authorization_code: 1 } });
  });

  it('never sends one server\'s token to another', async () => {
    const [first, second] = await Promise.all([fixture(), fixture()]);
    const [firstPort, secondPort] = [await freePort(), await freePort()];
    const { url } = await gateway(
      [
        oauthUpstream(first.resourceUrl, { callbackPort: firstPort }, { name: 'first' }),
        oauthUpstream(second.resourceUrl, { callbackPort: secondPort }, { name: 'second' }),
      ],
      { mode: 'multi' },
    );
    await authorize(url, 'first');
    await authorize(url, 'second');
    expect((await whoami(url, 'first')).audience).toBe(first.resourceUrl);
    expect((await whoami(url, 'second')).audience).toBe(second.resourceUrl);
    const tokensOf = (server: OAuthProtectedServer): Set<string> => new Set(server.resourceRequests.flatMap((request) => (request.token ? [request.token] : [])));
    const seenByFirst = tokensOf(first);
    for (const token of tokensOf(second)) expect(seenByFirst.has(token)).toBe(false);
    expect(second.resourceRequests.every((request) => request.auth === 'ok' || request.auth === 'missing_token')).toBe(true);
  });
});

