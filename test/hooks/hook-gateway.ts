/**
 * A real gateway on port 0 with hooks, for the hook tests: the REST fixture server behind it (as a
 * real child), SDK clients of both eras on its MCP endpoints, closed after each test file.
 */
import { afterAll } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { GatewayConfig, UpstreamConfig } from '../../src/config/types.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { Hook } from '../../src/hooks/types.js';
import { recordingLogger } from '../helpers/fixtures.js';

export { connectClient } from '../bridge/bridge-gateway.js';
export { post, restFixtureConfig } from '../rest/rest-gateway.js';

export interface HookedGateway {
  gateway: Gateway;
  url: string;
  records: ReturnType<typeof recordingLogger>['records'];
}

const running: Gateway[] = [];
const modernClients: Client[] = [];
afterAll(async () => {
  await Promise.all(modernClients.splice(0).map((client) => client.close().catch(() => undefined)));
  await Promise.all(running.splice(0).map((gateway) => gateway.close()));
});

export async function startHookedGateway(upstreams: UpstreamConfig[], hooks: Hook[], overrides: Partial<GatewayConfig> = {}): Promise<HookedGateway> {
  const { logger, records } = recordingLogger();
  const gateway = createGateway(
    {
      mode: upstreams.length === 1 ? 'single' : 'multi',
      upstreams,
      disabledUpstreams: [],
      configPath: undefined,
      host: '127.0.0.1',
      port: 0,
      logLevel: 'debug',
      info: {},
      ...overrides,
    },
    { logger, hooks, upstream: { backoff: { initialMs: 100, maxMs: 500 } } },
  );
  running.push(gateway);
  const { url } = await gateway.start();
  await gateway.whenSettled();
  return { gateway, url, records };
}

/** An SDK client that speaks only 2026-07-28 (no session), closed after the file. */
export async function modernClient(url: string): Promise<Client> {
  const client = new Client({ name: 'modern-client', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  modernClients.push(client);
  return client;
}

/** The text of a tool result's first content item. */
export function firstText(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content[0]?.text ?? '';
}
