/**
 * A real gateway on port 0 with hooks, for the hook tests: the REST fixture server behind it (as a
 * real child), SDK clients of both eras on its MCP endpoints, closed after each test file.
 */
import { afterAll } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { GatewayConfig, UpstreamConfig } from '../../src/config/types.js';
import type { Hook } from '../../src/hooks/types.js';
import { startRestGateway, type RunningRestGateway } from '../rest/rest-gateway.js';

export { connectClient } from '../bridge/bridge-gateway.js';
export { post, restFixtureConfig } from '../rest/rest-gateway.js';
export { textOf } from '../helpers/fixtures.js';

/** A real gateway on port 0 with `hooks`, closed after the test file. */
export function startHookedGateway(upstreams: UpstreamConfig[], hooks: Hook[], overrides: Partial<GatewayConfig> = {}): Promise<RunningRestGateway> {
  return startRestGateway(upstreams, overrides, undefined, hooks);
}

const modernClients: Client[] = [];
afterAll(async () => {
  await Promise.all(modernClients.splice(0).map((client) => client.close().catch(() => undefined)));
});

/** An SDK client that speaks only 2026-07-28 (no session), closed after the file. */
export async function modernClient(url: string): Promise<Client> {
  const client = new Client({ name: 'modern-client', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  modernClients.push(client);
  return client;
}
