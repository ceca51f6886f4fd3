/**
 * An OAuth upstream over the legacy HTTP+SSE transport, through a real gateway: the loopback
 * fixture's `/sse` endpoint (a resource of its own, `<origin>/sse`) behind `"oauth"` with
 * `"type": "sse"`. The 401 on the event stream's GET starts the authorization; once the user has
 * approved, the stream opens and calls are POSTed to the endpoint it names. When the access
 * token expires, the open stream stays open and the refused POSTs are refreshed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { authorizeAsUser, startOAuthProtectedServer, type OAuthProtectedServer, type WhoAmI } from '../fixtures/oauth/index.js';
import { post, startRestGateway, type RunningRestGateway } from '../rest/rest-gateway.js';
import { freePort, oauthUpstream, readyzStatus, waitForState } from './oauth-gateway.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function fixture(): Promise<OAuthProtectedServer> {
  const server = await startOAuthProtectedServer();
  cleanups.push(() => server.close());
  return server;
}

/** A gateway in multi-server mode with one OAuth server named `secured`, reached over HTTP+SSE. */
async function sseGateway(server: OAuthProtectedServer): Promise<RunningRestGateway> {
  const callbackPort = await freePort();
  const running = await startRestGateway([oauthUpstream(server.sseUrl, { callbackPort }, { transport: 'sse' })], { mode: 'multi' });
  cleanups.push(() => running.gateway.close());
  return running;
}

async function whoami(url: string): Promise<WhoAmI> {
  const answer = await post(`${url}/secured/whoami`, {});
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as WhoAmI;
}

describe('an OAuth upstream over HTTP+SSE', () => {
  it('asks for a token for the SSE endpoint, serves once the user has authorized, and refreshes when the token expires', async () => {
    const server = await fixture();
    const { url } = await sseGateway(server);

    const waiting = await waitForState(url, 'secured', 'auth_required');
    const authorizationUrl = new URL(waiting.authorizationUrl!);
    expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${server.issuer}/authorize`);
    // RFC 8707: the SSE endpoint is the resource, as its metadata says.
    expect(authorizationUrl.searchParams.get('resource')).toBe(server.sseUrl);
    expect(server.resourceRequests[0]).toMatchObject({ method: 'GET', path: '/sse', auth: 'missing_token', status: 401 });
    expect(server.metadataRequests.map((request) => request.path)).toContain('/.well-known/oauth-protected-resource/sse');

    const redirect = await authorizeAsUser(authorizationUrl, { followToCallback: true });
    expect(redirect.callback?.status).toBe(200);
    await waitForState(url, 'secured', 'ready');
    expect(await whoami(url)).toMatchObject({ audience: server.sseUrl, subject: 'user-1' });
    expect(server.tokenRequests.find((request) => request.grantType === 'authorization_code')).toMatchObject({ outcome: 'issued', resource: server.sseUrl });
    // The stream was opened with the token, and the calls went to the endpoint it named.
    expect(server.resourceRequests.some((request) => request.method === 'GET' && request.path === '/sse' && request.auth === 'ok' && request.status === 200)).toBe(true);
    expect(server.resourceRequests.some((request) => request.path === '/messages' && request.rpcMethods.includes('tools/call') && request.auth === 'ok' && request.status === 202)).toBe(true);

    // The open stream stays open; the POST refused as expired is refreshed without the user.
    server.expireAllAccessTokens();
    expect((await whoami(url)).audience).toBe(server.sseUrl);
    expect(server.resourceRequests.some((request) => request.path === '/messages' && request.auth === 'expired' && request.status === 401)).toBe(true);
    expect(server.counts().issued.refresh_token).toBeGreaterThanOrEqual(1);
    expect(server.counts().authorizations).toBe(1);
    expect(server.tokenRequests.filter((request) => request.grantType === 'refresh_token')).toMatchObject([{ outcome: 'issued', resource: server.sseUrl }]);
    expect((await readyzStatus(url, 'secured')).state).toBe('ready');
  });
});

describe('the fixture\'s HTTP+SSE endpoint', () => {
  it('is a resource of its own: its challenge names its metadata, and tokens for /mcp are refused there (and the other way round)', async () => {
    const server = await fixture();
    const origin = new URL(server.resourceUrl).origin;
    expect(server.sseUrl).toBe(`${origin}/sse`);
    expect(server.sseResourceMetadataUrl).toBe(`${origin}/.well-known/oauth-protected-resource/sse`);
    const metadata = (await (await fetch(server.sseResourceMetadataUrl)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ resource: server.sseUrl, authorization_servers: [server.issuer] });

    const bare = await fetch(server.sseUrl, { headers: { accept: 'text/event-stream' } });
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${server.sseResourceMetadataUrl}", scope="mcp"`);

    const mcpToken = server.mintAccessToken();
    const sseToken = server.mintAccessToken({ audience: server.sseUrl });
    const onSse = await fetch(server.sseUrl, { headers: { accept: 'text/event-stream', authorization: `Bearer ${mcpToken}` } });
    expect(onSse.status).toBe(401);
    expect(onSse.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const onMessages = await fetch(`${origin}/messages?sessionId=none`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${mcpToken}` }, body: '{}' });
    expect(onMessages.status).toBe(401);
    const onMcp = await fetch(server.resourceUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${sseToken}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(onMcp.status).toBe(401);
    expect(onMcp.headers.get('www-authenticate')).toContain(`resource_metadata="${server.resourceMetadataUrl}"`);
    expect(server.resourceRequests.map((request) => [request.path, request.auth])).toEqual([
      ['/sse', 'missing_token'],
      ['/sse', 'wrong_audience'],
      ['/messages', 'wrong_audience'],
      ['/mcp', 'wrong_audience'],
    ]);

    // With a token for it, the stream opens and names where to POST.
    const opened = await fetch(server.sseUrl, { headers: { accept: 'text/event-stream', authorization: `Bearer ${sseToken}` } });
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toBe('text/event-stream');
    const reader = opened.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toMatch(/^event: endpoint\ndata: \/messages\?sessionId=[\w-]+\n\n$/);
    await reader.cancel();
  });
});
