/**
 * The composed gateway over a real socket: /healthz, /readyz with one good and one failing
 * upstream, the JSON 404, and a close that leaves no child behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { ReadinessReport } from '../../src/http/health.js';
import { demoServerCommand } from '../../src/demo/command.js';
import { processExists, recordingLogger, stdioConfig, waitFor } from '../helpers/fixtures.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

function config(upstreams: GatewayConfig['upstreams'], disabledUpstreams: string[] = []): GatewayConfig {
  return {
    mode: 'multi',
    upstreams,
    disabledUpstreams,
    configPath: undefined,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'info',
    info: { title: 't', description: 'd', version: '1' },
  };
}

async function startGateway(gatewayConfig: GatewayConfig): Promise<{ gateway: Gateway; url: string }> {
  const gateway = createGateway(gatewayConfig, {
    logger: recordingLogger().logger,
    upstream: { backoff: { initialMs: 100, maxMs: 1000 } },
  });
  gateways.push(gateway);
  const { url } = await gateway.start();
  return { gateway, url };
}

describe('gateway health endpoints', () => {
  it('is alive at once and ready when every upstream is', async () => {
    const demo = demoServerCommand();
    const { gateway, url } = await startGateway(
      config([stdioConfig({ name: 'demo', ...demo }), stdioConfig({ name: 'scripted' })], ['parked']),
    );
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await gateway.whenSettled();
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const report = (await response.json()) as ReadinessReport;
    expect(report.ready).toBe(true);
    expect(report.disabled).toEqual(['parked']);
    expect(report.upstreams.map((status) => [status.name, status.state, status.tools])).toEqual([
      ['demo', 'ready', 4],
      ['scripted', 'ready', 11],
    ]);
  });

  it('answers 503 naming the upstream that is down and why, while the others serve', async () => {
    const { gateway, url } = await startGateway(
      config([stdioConfig({ name: 'good' }), stdioConfig({ name: 'broken', command: 'no-such-binary-4711', args: [] })]),
    );
    await gateway.whenSettled();
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    const report = (await response.json()) as ReadinessReport;
    expect(report.ready).toBe(false);
    const byName = Object.fromEntries(report.upstreams.map((status) => [status.name, status]));
    expect(byName.good).toMatchObject({ state: 'ready', tools: 11 });
    expect(byName.broken).toMatchObject({ state: expect.stringMatching(/down|starting/), tools: 0 });
    expect(byName.broken!.lastError).toContain('command not found: no-such-binary-4711');
    // The good upstream keeps serving.
    const result = await gateway.upstreams.get('good')!.callTool('echo', { message: 'fine' });
    expect(result.content).toEqual([{ type: 'text', text: 'fine' }]);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { url } = await startGateway(config([]));
    const response = await fetch(`${url}/nothing/here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: 'Not Found' });
    // With no upstreams at all the gateway is trivially ready.
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('close() stops listening and leaves no child process', async () => {
    const { gateway, url } = await startGateway(config([stdioConfig({ name: 'a' }), stdioConfig({ name: 'b' })]));
    await gateway.whenSettled();
    const pids = [...gateway.upstreams.values()].map((upstream) => upstream.status().pid!);
    expect(pids.every((pid) => pid > 0 && processExists(pid))).toBe(true);
    await gateway.close();
    await waitFor('children to be gone', () => pids.every((pid) => !processExists(pid)));
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
