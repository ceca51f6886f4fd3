/**
 * The DNS-rebinding check on a small Hono app, with real `Request` objects: which `Host` and
 * `Origin` headers pass, and the 403 JSON-RPC answer for those that do not.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { dnsRebindingCheck, type DnsRebindingCheckOptions } from '../../src/http/dns-rebinding.js';
import { GatewayError } from '../../src/errors.js';

function appWith(options: Partial<DnsRebindingCheckOptions> = {}): Hono {
  const app = new Hono();
  const check = dnsRebindingCheck({ bindHost: '127.0.0.1', allowedHosts: [], allowedOrigins: [], ...options });
  app.post('/mcp', (c) => check(c) ?? c.json({ ok: true }));
  return app;
}

/** POSTs to `/mcp` with these headers (a `Host` header always, as Node's server sees one). */
function post(app: Hono, headers: { host: string; origin?: string }): Promise<Response> {
  const request = new Request('http://gateway.invalid/mcp', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
  });
  return Promise.resolve(app.request(request));
}

async function expectPasses(response: Response): Promise<void> {
  expect(response.status, await response.clone().text()).toBe(200);
  expect(await response.json()).toEqual({ ok: true });
}

/** 403 with a JSON-RPC error whose message starts with `Forbidden: ` and contains every part. */
async function expectForbidden(response: Response, ...parts: string[]): Promise<string> {
  expect(response.status).toBe(403);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { jsonrpc: string; error: { code: number; message: string }; id: unknown };
  expect(body).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: expect.any(String) }, id: null });
  expect(body.error.message).toMatch(/^Forbidden: /);
  for (const part of parts) expect(body.error.message).toContain(part);
  return body.error.message;
}

describe('Host check, loopback bind', () => {
  it.each(['localhost', 'localhost:8000', 'LOCALHOST:8000', '127.0.0.1', '127.0.0.1:3000', '[::1]', '[::1]:8000', '[0:0:0:0:0:0:0:1]:8000'])(
    'accepts %s',
    async (host) => {
      await expectPasses(await post(appWith(), { host }));
    },
  );

  it('refuses evil.example with 403 and a JSON-RPC error naming the header and --allowed-hosts', async () => {
    const message = await expectForbidden(await post(appWith(), { host: 'evil.example' }), '--allowed-hosts');
    expect(message).toMatch(/^Forbidden: Host header "evil\.example" is not allowed; /);
  });

  it.each(['evil.example:8000', 'localhost.evil.example', '127.0.0.1.nip.io:8000', '10.0.0.2:8000', 'a b', 'user@localhost', 'localhost/x', '::1', ''])(
    'refuses %j',
    async (host) => {
      await expectForbidden(await post(appWith(), { host }), `Host header ${JSON.stringify(host)} is not allowed`);
    },
  );

  it.each(['localhost', '::1', '[::1]', '127.0.0.2'])('is on for bind address %s', async (bindHost) => {
    await expectForbidden(await post(appWith({ bindHost }), { host: 'evil.example' }), 'evil.example');
  });

  it('accepts the bind address itself', async () => {
    await expectPasses(await post(appWith({ bindHost: '127.0.0.2' }), { host: '127.0.0.2:8000' }));
  });

  it('falls back to the URL\'s host when there is no Host header', async () => {
    const app = appWith();
    expect((await app.request('http://localhost:8000/mcp', { method: 'POST' })).status).toBe(200);
    expect((await app.request('http://evil.example:8000/mcp', { method: 'POST' })).status).toBe(403);
  });
});

describe('Host check, allowed hosts', () => {
  const app = appWith({ allowedHosts: ['mcp.example.com', 'Proxy.Example:8443', '10.0.0.2', '[fd00::1]:9000'] });

  it.each(['mcp.example.com', 'mcp.example.com:8000', 'MCP.example.com:443', 'proxy.example:8443', '10.0.0.2:1234', '[fd00::1]:9000', 'localhost:8000'])(
    'accepts %s',
    async (host) => {
      await expectPasses(await post(app, { host }));
    },
  );

  it.each(['proxy.example', 'proxy.example:8444', 'evil.example', 'sub.mcp.example.com', '[fd00::1]:9001', '10.0.0.3'])('refuses %s', async (host) => {
    await expectForbidden(await post(app, { host }), JSON.stringify(host));
  });

  it('"*" turns the check off', async () => {
    const open = appWith({ allowedHosts: ['*'] });
    await expectPasses(await post(open, { host: 'evil.example' }));
    await expectPasses(await post(open, { host: 'anything.at.all:1' }));
  });

  it('refuses an entry that is not host[:port] when the guard is built', () => {
    expect(() => dnsRebindingCheck({ bindHost: '127.0.0.1', allowedHosts: ['http://x/'], allowedOrigins: [] })).toThrow(GatewayError);
  });
});

describe('Host check, non-loopback bind', () => {
  it.each(['0.0.0.0', '::', '192.168.1.10'])('bound to %s without allowed hosts: any Host passes', async (bindHost) => {
    const app = appWith({ bindHost });
    await expectPasses(await post(app, { host: 'evil.example' }));
    await expectPasses(await post(app, { host: 'gateway.lan:8000' }));
  });

  it('bound to 0.0.0.0 with allowed hosts: those and the loopback names pass, others are refused', async () => {
    const app = appWith({ bindHost: '0.0.0.0', allowedHosts: ['gateway.lan'] });
    await expectPasses(await post(app, { host: 'gateway.lan:8000' }));
    await expectPasses(await post(app, { host: 'localhost:8000' }));
    await expectForbidden(await post(app, { host: 'evil.example:8000' }), 'evil.example');
  });
});

describe('Origin check', () => {
  const host = 'localhost:8000';

  it('passes requests without an Origin header', async () => {
    await expectPasses(await post(appWith(), { host }));
  });

  it.each(['http://localhost:3000', 'http://localhost', 'https://127.0.0.1:5173', 'http://[::1]:8080'])('accepts the loopback origin %s', async (origin) => {
    await expectPasses(await post(appWith(), { host, origin }));
  });

  it('accepts a same-origin request (origin host = Host header)', async () => {
    const app = appWith({ bindHost: '0.0.0.0' });
    await expectPasses(await post(app, { host: 'gateway.lan:8000', origin: 'http://gateway.lan:8000' }));
    await expectPasses(await post(app, { host: 'gateway.lan', origin: 'http://gateway.lan' }));
    await expectPasses(await post(app, { host: 'gateway.lan:443', origin: 'https://gateway.lan' }));
    await expectForbidden(await post(app, { host: 'gateway.lan:8000', origin: 'http://gateway.lan:9000' }), 'http://gateway.lan:9000');
  });

  it('accepts the allowed origins, compared as origins', async () => {
    const app = appWith({ bindHost: '0.0.0.0', allowedOrigins: ['https://app.example.com', 'http://Tools.Example:3000/'] });
    await expectPasses(await post(app, { host: 'gateway.lan', origin: 'https://app.example.com' }));
    await expectPasses(await post(app, { host: 'gateway.lan', origin: 'https://app.example.com:443' }));
    await expectPasses(await post(app, { host: 'gateway.lan', origin: 'http://tools.example:3000' }));
    await expectForbidden(await post(app, { host: 'gateway.lan', origin: 'http://app.example.com' }), 'http://app.example.com');
    await expectForbidden(await post(app, { host: 'gateway.lan', origin: 'http://tools.example:3001' }), 'http://tools.example:3001');
  });

  it('refuses another site, naming the origin and --allow-origin', async () => {
    const message = await expectForbidden(await post(appWith(), { host, origin: 'http://evil.example' }), '--allow-origin http://evil.example');
    expect(message).toMatch(/^Forbidden: Origin "http:\/\/evil\.example" is not allowed; /);
  });

  it.each(['null', 'not a url', 'file:///etc/passwd', 'chrome-extension://abcdef'])('refuses %j', async (origin) => {
    await expectForbidden(await post(appWith(), { host, origin }), `Origin ${JSON.stringify(origin)} is not allowed`, '--allow-origin');
  });

  it('"*" accepts any origin', async () => {
    const app = appWith({ allowedOrigins: ['*'] });
    await expectPasses(await post(app, { host, origin: 'http://evil.example' }));
    await expectPasses(await post(app, { host, origin: 'null' }));
  });

  it('an allowed origin does not lift the Host check', async () => {
    const app = appWith({ allowedOrigins: ['*'] });
    await expectForbidden(await post(app, { host: 'evil.example', origin: 'http://evil.example' }), 'Host header "evil.example"');
  });
});
