/**
 * The docs page of the real gateway in a real chromium: real demo and fixture servers as child
 * processes, real sockets. Swagger UI lists the tools, "Try it out" → "Execute" calls them through
 * the gateway, in single and multi mode, with an API key (bearer via "Authorize", or HTTP Basic in
 * strict mode), and behind a reverse proxy that serves mcpgate under `/tools`.
 */
import { request as httpRequest, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoServerCommand } from '../../src/demo/command.js';
import { authorize, executeOperation, openDocs, useBrowser, waitForOperations } from '../helpers/browser.js';
import { stdioConfig } from '../helpers/fixtures.js';
import { restFixtureConfig, startRestGateway } from './rest-gateway.js';

const browser = useBrowser();

const demoTools = ['get_current_time', 'convert_time', 'echo', 'add'];
const hello = { message: 'hello from the browser' };
const basic = `Basic ${Buffer.from('anyone:k3y').toString('base64')}`;

function demoConfig() {
  return stdioConfig({ name: 'demo', ...demoServerCommand() });
}

/** The paths of the tool operations the page shows (POSTs, prompts left out), in page order. */
async function toolPaths(page: Page): Promise<string[]> {
  const paths = await page
    .locator('.swagger-ui .opblock.opblock-post .opblock-summary-path')
    .evaluateAll((elements) => elements.map((element) => element.getAttribute('data-path') ?? ''));
  return paths.filter((path) => !/(?:^|\/)prompts\//.test(path));
}

describe('single mode', () => {
  let url: string;
  beforeAll(async () => {
    ({ url } = await startRestGateway([demoConfig()]));
  });

  it('lists the four demo tools and executes echo and add', async () => {
    const docs = await openDocs(browser(), `${url}/docs`);
    try {
      const { page } = docs;
      expect(await toolPaths(page)).toEqual(demoTools.map((tool) => `/${tool}`));

      const echoed = await executeOperation(page, '/echo', hello);
      expect(echoed.status).toBe(200);
      expect(JSON.parse(echoed.body)).toBe('hello from the browser');
      expect(echoed.request.url()).toBe(`${url}/echo`);

      const added = await executeOperation(page, '/add', { a: 2, b: 3 });
      expect(added.status).toBe(200);
      expect(JSON.parse(added.body)).toEqual({ sum: 5 });
    } finally {
      await docs.close();
    }
  });
});

describe('multi mode', () => {
  let url: string;
  beforeAll(async () => {
    ({ url } = await startRestGateway([demoConfig(), restFixtureConfig()]));
  });

  it("the root docs list both servers' tools and execute one of each", async () => {
    const docs = await openDocs(browser(), `${url}/docs`);
    try {
      const { page } = docs;
      const paths = await toolPaths(page);
      expect(paths.filter((path) => path.startsWith('/demo/'))).toEqual(demoTools.map((tool) => `/demo/${tool}`));
      expect(paths).toContain('/fixture/structured');
      expect(paths).toContain('/fixture/text_plain');
      expect(paths.every((path) => path.startsWith('/demo/') || path.startsWith('/fixture/'))).toBe(true);

      const echoed = await executeOperation(page, '/demo/echo', hello);
      expect(echoed.status).toBe(200);
      expect(JSON.parse(echoed.body)).toBe('hello from the browser');
      expect(echoed.request.url()).toBe(`${url}/demo/echo`);

      const structured = await executeOperation(page, '/fixture/structured', { city: 'Oslo' });
      expect(structured.status).toBe(200);
      expect(JSON.parse(structured.body)).toEqual({ city: 'Oslo', temperature: 21 });
      expect(structured.request.url()).toBe(`${url}/fixture/structured`);
    } finally {
      await docs.close();
    }
  });

  it("/demo/docs lists only demo's tools and executes there", async () => {
    const docs = await openDocs(browser(), `${url}/demo/docs`);
    try {
      const { page } = docs;
      expect(await toolPaths(page)).toEqual(demoTools.map((tool) => `/${tool}`));

      const added = await executeOperation(page, '/add', { a: 2, b: 3 });
      expect(added.status).toBe(200);
      expect(JSON.parse(added.body)).toEqual({ sum: 5 });
      expect(added.request.url()).toBe(`${url}/demo/add`);
    } finally {
      await docs.close();
    }
  });
});

describe('API key', () => {
  let url: string;
  let strictUrl: string;
  beforeAll(async () => {
    [{ url }, { url: strictUrl }] = await Promise.all([
      startRestGateway([demoConfig()], { auth: { apiKeys: ['k3y'], strict: false } }),
      startRestGateway([demoConfig()], { auth: { apiKeys: ['k3y'], strict: true } }),
    ]);
  });

  it('loads the docs without a key; Execute answers 401 until "Authorize" with the key', async () => {
    const docs = await openDocs(browser(), `${url}/docs`);
    try {
      const { page } = docs;
      expect(await toolPaths(page)).toEqual(demoTools.map((tool) => `/${tool}`));

      const anonymous = await executeOperation(page, '/echo', hello);
      expect(anonymous.status).toBe(401);
      expect((await anonymous.request.allHeaders()).authorization).toBeUndefined();

      await authorize(page, 'k3y');
      const authorized = await executeOperation(page, '/echo', hello);
      expect(authorized.status).toBe(200);
      expect(JSON.parse(authorized.body)).toBe('hello from the browser');
      expect((await authorized.request.allHeaders()).authorization).toBe('Bearer k3y');
    } finally {
      await docs.close();
    }
  });

  /** The docs page in strict mode, opened in a context with `options`; its status must be 200. */
  async function openStrictDocs(options: BrowserContextOptions): Promise<{ page: Page; close(): Promise<void> }> {
    const context = await browser().newContext(options);
    context.setDefaultTimeout(10_000);
    try {
      const page = await context.newPage();
      // The status first: a refused page would otherwise only show as a wait for operations timing out.
      expect((await page.goto(`${strictUrl}/docs`))?.status()).toBe(200);
      await waitForOperations(page);
      return { page, close: () => context.close() };
    } catch (error) {
      await context.close();
      throw error;
    }
  }

  async function listsAndExecutesWithBasic(page: Page): Promise<void> {
    expect(await toolPaths(page)).toEqual(demoTools.map((tool) => `/${tool}`));
    const echoed = await executeOperation(page, '/echo', hello);
    expect(echoed.status).toBe(200);
    expect(JSON.parse(echoed.body)).toBe('hello from the browser');
    expect((await echoed.request.allHeaders()).authorization).toBe(basic);
  }

  it('strict: a browser that sends HTTP Basic (the key as password) opens the docs and executes', async () => {
    const docs = await openStrictDocs({ extraHTTPHeaders: { authorization: basic } });
    try {
      await listsAndExecutesWithBasic(docs.page);
    } finally {
      await docs.close();
    }
  });

  // The 401 sends `Bearer` and `Basic` on separate header lines: chromium reads one challenge
  // per line, and with both on one line it would never answer with the credentials.
  it('strict: the browser answers the Basic challenge with its credentials, opens the docs and executes', async () => {
    const docs = await openStrictDocs({ httpCredentials: { username: 'anyone', password: 'k3y' } });
    try {
      await listsAndExecutesWithBasic(docs.page);
    } finally {
      await docs.close();
    }
  });

  it('strict: without credentials the page itself is refused with a Basic challenge', async () => {
    const context = await browser().newContext();
    try {
      // The browser's own request for the page: 401 with the challenge its login prompt reads.
      const response = await context.request.get(`${strictUrl}/docs`, { headers: { accept: 'text/html' } });
      expect(response.status()).toBe(401);
      expect(response.headers()['www-authenticate']).toBe('Basic realm="mcpgate", charset="UTF-8"');
      // Headless, nobody answers the login prompt, so the navigation ends without the page.
      const page = await context.newPage();
      await expect(page.goto(`${strictUrl}/docs`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
      expect(await page.locator('.swagger-ui').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});

interface Proxy {
  url: string;
  /** The path of every request forwarded to the gateway, as the gateway received it. */
  forwarded: string[];
  close(): Promise<void>;
}

/**
 * A reverse proxy serving `target` under `/tools`: with `strip` the prefix is removed before
 * forwarding (as nginx does with `proxy_pass http://gateway/;`), without it the path passes
 * through unchanged. Anything outside `/tools` is the proxy's own 404.
 */
async function startProxy(target: string, strip: boolean): Promise<Proxy> {
  const forwarded: string[] = [];
  const upstream = new URL(target);
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const path = incoming.url ?? '/';
    if (path !== '/tools' && !path.startsWith('/tools/') && !path.startsWith('/tools?')) {
      outgoing.writeHead(404, { 'content-type': 'text/plain' }).end('not behind this proxy');
      return;
    }
    const forwardedPath = strip ? path.slice('/tools'.length) || '/' : path;
    forwarded.push(forwardedPath);
    const request = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: forwardedPath.startsWith('?') ? `/${forwardedPath}` : forwardedPath,
        headers: { ...incoming.headers, host: upstream.host, 'x-forwarded-host': incoming.headers.host ?? '', 'x-forwarded-prefix': '/tools' },
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    request.on('error', (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(String(error));
    });
    incoming.pipe(request);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

describe('behind a reverse proxy at /tools', () => {
  const proxies: Record<'stripping' | 'passing through', Proxy | undefined> = { stripping: undefined, 'passing through': undefined };
  beforeAll(async () => {
    const { url } = await startRestGateway([demoConfig()], { rest: { rootPath: '/tools' } });
    proxies.stripping = await startProxy(url, true);
    proxies['passing through'] = await startProxy(url, false);
  });
  afterAll(async () => {
    await Promise.all(Object.values(proxies).map((proxy) => proxy?.close()));
  });

  it.each([
    ['stripping', '/echo'],
    ['passing through', '/tools/echo'],
  ] as const)('a proxy %s the prefix: the docs load through it and Execute goes to /tools/echo', async (kind, gatewayPath) => {
    const proxy = proxies[kind]!;
    const context = await browser().newContext();
    context.setDefaultTimeout(10_000);
    try {
      const page = await context.newPage();
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      // The bare prefix redirects to the docs, still under the prefix.
      await page.goto(`${proxy.url}/tools`);
      expect(page.url()).toBe(`${proxy.url}/tools/docs`);
      await waitForOperations(page);
      expect(await toolPaths(page)).toEqual(demoTools.map((tool) => `/${tool}`));
      // Page, assets and document all came through the proxy, under the prefix.
      expect(requested).toContain(`${proxy.url}/tools/openapi.json`);
      expect(requested.filter((url) => !url.startsWith(`${proxy.url}/tools/`) && url !== `${proxy.url}/tools`)).toEqual([]);

      const echoed = await executeOperation(page, '/echo', hello);
      expect(echoed.status).toBe(200);
      expect(JSON.parse(echoed.body)).toBe('hello from the browser');
      expect(echoed.request.url()).toBe(`${proxy.url}/tools/echo`);
      // What the gateway itself was asked for: every path without the prefix, or every one with it.
      expect(proxy.forwarded).toContain(gatewayPath);
      expect(proxy.forwarded.every((path) => path.startsWith('/tools') === (kind === 'passing through'))).toBe(true);
    } finally {
      await context.close();
    }
  });
});
