/**
 * Starts a real gateway on port 0 for the REST tests and closes it after each test file.
 */
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { GatewayConfig, StdioUpstreamConfig, UpstreamConfig } from '../../src/config/types.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import type { Hook } from '../../src/hooks/types.js';
import { recordingLogger, stdioConfig } from '../helpers/fixtures.js';

export const restFixturePath = fileURLToPath(new URL('../fixtures/rest-fixture-server.mjs', import.meta.url));

export function restFixtureConfig(overrides: Partial<StdioUpstreamConfig> = {}): StdioUpstreamConfig {
  return stdioConfig({ name: 'fixture', args: [restFixturePath], ...overrides });
}

export interface RunningRestGateway {
  gateway: Gateway;
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  records: ReturnType<typeof recordingLogger>['records'];
}

const running: Gateway[] = [];
afterAll(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.close()));
});

export async function startRestGateway(
  upstreams: UpstreamConfig[],
  overrides: Partial<GatewayConfig> = {},
  backoff = { initialMs: 100, maxMs: 500 },
  hooks: readonly Hook[] = [],
  /** Further gateway options (`reloadDrainMs`, upstream `connectTimeoutMs`…); `upstream` is merged with `backoff`. */
  options: Omit<GatewayOptions, 'logger' | 'hooks'> = {},
): Promise<RunningRestGateway> {
  const { logger, records } = recordingLogger();
  const gateway = createGateway(
    {
      mode: upstreams.length === 1 && overrides.mode !== 'multi' ? 'single' : 'multi',
      upstreams,
      disabledUpstreams: [],
      configPath: undefined,
      host: '127.0.0.1',
      port: 0,
      logLevel: 'debug',
      info: {},
      ...overrides,
    },
    { ...options, logger, upstream: { backoff, ...options.upstream }, hooks },
  );
  running.push(gateway);
  const { url } = await gateway.start();
  await gateway.whenSettled();
  return { gateway, url, records };
}

/** POSTs JSON (or a raw string body) and returns the status, headers and parsed body. */
export async function post(
  url: string,
  body?: unknown,
  init: { headers?: Record<string, string>; raw?: string } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}
