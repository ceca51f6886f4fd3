import { afterEach, describe, expect, it } from 'vitest';
import { authorizeAsUser, startOAuthProtectedServer, type OAuthProtectedServer } from '../fixtures/oauth/index.js';
import { post, startRestGateway } from '../rest/rest-gateway.js';
import { freePort, oauthUpstream, waitForState } from './oauth-gateway.js';

const fixtures: OAuthProtectedServer[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((fixture) => fixture.close()));
});

describe('OAuth upstream through the gateway', () => {
  it('first authorization', async () => {
    const fixture = await startOAuthProtectedServer();
    fixtures.push(fixture);
    const callbackPort = await freePort();
    const { url } = await startRestGateway([oauthUpstream(fixture.resourceUrl, { callbackPort })]);
    const waiting = await waitForState(url, 'secured', 'auth_required');
    expect(waiting.authorizationUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?/);
    const redirect = await authorizeAsUser(waiting.authorizationUrl!, { followToCallback: true });
    expect(redirect.callback?.status).toBe(200);
    await waitForState(url, 'secured', 'ready');
    const answer = await post(`${url}/whoami`, {});
    expect(answer.status).toBe(200);
    expect(answer.body.audience).toBe(fixture.resourceUrl);
  });
});
