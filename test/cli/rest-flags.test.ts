/**
 * The REST frontend's flags through the real CLI: each one reaches the running gateway.
 */
import { describe, expect, it } from 'vitest';
import { pollReadyz, startCli, stopCleanly, useCliLifecycle } from './run-cli.js';

useCliLifecycle();

const echo = (url: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...init.headers }, body: init.body ?? '{"message":"hi"}' });

describe.concurrent('REST flags', () => {
  it('--api-key, --path-prefix, --root-path, --name, --description, --version, --max-body-size, --tools-only', async ({ task }) => {
    const cli = startCli(
      [
        '--port', '0',
        '--api-key', 'k3y',
        '--path-prefix', '/api',
        '--root-path', '/proxy',
        '--name', 'Team tools',
        '--description', 'Tools for the team',
        '--version', '4.2',
        '--max-body-size', '200',
        '--tools-only',
      ],
      { owner: task },
    );
    const url = await cli.waitForListening();
    await pollReadyz(url);

    expect((await echo(`${url}/api/echo`)).status).toBe(401);
    const ok = await echo(`${url}/api/echo`, { headers: { authorization: 'Bearer k3y' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toBe('hi');
    // Through the root path too, as a proxy that does not strip it sends it.
    expect((await echo(`${url}/proxy/api/echo`, { headers: { authorization: 'Bearer k3y' } })).status).toBe(200);
    const large = await echo(`${url}/api/echo`, { headers: { authorization: 'Bearer k3y' }, body: JSON.stringify({ message: 'x'.repeat(300) }) });
    expect(large.status).toBe(413);

    const document = (await (await fetch(`${url}/api/openapi.json`)).json()) as {
      info: unknown;
      servers: unknown;
      paths: Record<string, unknown>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(document.info).toEqual({ title: 'Team tools', description: 'Tools for the team', version: '4.2' });
    expect(document.servers).toEqual([{ url: '/proxy/api' }]);
    expect(Object.keys(document.components.securitySchemes)).toEqual(['HTTPBearer']);
    expect(Object.keys(document.paths).some((path) => path.startsWith('/resources') || path.startsWith('/prompts'))).toBe(false);
    expect((await fetch(`${url}/api/docs`)).status).toBe(200);
    expect(cli.logRecords().some((record) => record.msg.startsWith('CORS is off'))).toBe(true);
    await stopCleanly(cli);
  });

  it('--strict-auth and --cors-allow-origins', async ({ task }) => {
    const cli = startCli(['--port', '0', '--api-key', 'k3y', '--strict-auth', '--cors-allow-origins', 'http://localhost:3000,http://example.test', '--cors-allow-origins', 'http://127.0.0.1:3000'], {
      owner: task,
    });
    const url = await cli.waitForListening();
    await pollReadyz(url);
    const refused = await fetch(`${url}/openapi.json`, { headers: { origin: 'http://127.0.0.1:3000' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3000');
    const basic = `Basic ${Buffer.from('me:k3y').toString('base64')}`;
    expect((await echo(`${url}/echo`, { headers: { authorization: basic } })).status).toBe(200);
    expect(cli.logRecords().some((record) => record.msg.startsWith('CORS is off'))).toBe(false);
    await stopCleanly(cli);
  });
});
