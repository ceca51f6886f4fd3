/**
 * What the gateway-level OAuth tests share: an OAuth upstream's config, and polling `/readyz`
 * for a server's state.
 */
import type { HttpUpstreamConfig, OAuthUpstreamConfig } from '../../src/config/types.js';
import type { UpstreamStatus } from '../../src/upstream/upstream.js';
import { httpConfig, waitFor } from '../helpers/fixtures.js';

export { freePort } from '../helpers/fixtures.js';

/** An OAuth upstream's config with the defaults the config file would give, the browser off. */
export function oauthUpstream(url: string, oauth: Partial<OAuthUpstreamConfig>, overrides: Partial<HttpUpstreamConfig> = {}): HttpUpstreamConfig {
  return httpConfig(url, {
    name: 'secured',
    ...overrides,
    oauth: {
      grantType: 'authorization_code',
      serverUrl: undefined,
      storage: 'memory',
      callbackPort: 3030,
      openBrowser: false,
      clientMetadata: undefined,
      clientMetadataUrl: undefined,
      clientId: undefined,
      clientSecret: undefined,
      scope: undefined,
      issuer: undefined,
      ...oauth,
    },
  });
}

/** The status of `server` in `/readyz`. */
export async function readyzStatus(gatewayUrl: string, server: string, headers: Record<string, string> = {}): Promise<UpstreamStatus> {
  const response = await fetch(`${gatewayUrl}/readyz`, { headers });
  const body = (await response.json()) as { upstreams: UpstreamStatus[] };
  const status = body.upstreams.find((upstream) => upstream.name === server);
  if (!status) throw new Error(`no server "${server}" in /readyz`);
  return status;
}

/** Polls `/readyz` until `server` is in `state`; returns that status. */
export async function waitForState(gatewayUrl: string, server: string, state: UpstreamStatus['state'], headers: Record<string, string> = {}): Promise<UpstreamStatus> {
  let last: UpstreamStatus | undefined;
  try {
    await waitFor(`server "${server}" in state ${state}`, async () => {
      last = await readyzStatus(gatewayUrl, server, headers);
      return last.state === state;
    }, 15_000);
  } catch (error) {
    throw new Error(`server "${server}" never reached ${state}; last status: ${JSON.stringify(last)}`, { cause: error });
  }
  return last!;
}
