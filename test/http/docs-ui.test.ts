/**
 * The docs page over a real socket: the HTML and assets with plain fetch under two mount points,
 * then Swagger UI in a real chromium — "Try it out" → "Execute", and "Authorize" with a bearer key
 * that survives a reload.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docsAsset, docsPageHtml } from '../../src/http/docs-ui.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { authorize, executeOperation, openDocs, operationBlock, useBrowser } from '../helpers/browser.js';

const title = 'Echo <tools> & "friends"';
const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** A valid OpenAPI 3.1 document with one POST operation; `bearer` adds an HTTPBearer scheme. */
function openApiDocument(base: string, bearer: boolean): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Echo', version: '1.0.0' },
    servers: [{ url: base === '' ? '/' : base }],
    paths: {
      '/echo': {
        post: {
          operationId: 'echo',
          summary: 'Echo the message',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
              },
            },
          },
          responses: {
            '200': { description: 'The request body and Authorization header, echoed', content: { 'application/json': { schema: { type: 'object' } } } },
          },
        },
      },
    },
    ...(bearer
      ? { components: { securitySchemes: { HTTPBearer: { type: 'http', scheme: 'bearer' } } }, security: [{ HTTPBearer: [] }] }
      : {}),
  };
}

/** The docs at `/docs` (no security scheme) and at `/svc/docs` (HTTPBearer), as a gateway mounts them. */
function docsApp(): Hono {
  const app = new Hono();
  for (const [base, bearer] of [['', false], ['/svc', true]] as const) {
    app.get(`${base}/docs`, (c) => c.html(docsPageHtml({ title })));
    app.get(`${base}/docs/:file`, (c) => docsAsset(c.req.param('file')) ?? c.notFound());
    app.get(`${base}/openapi.json`, (c) => c.json(openApiDocument(base, bearer)));
    app.post(`${base}/echo`, async (c) => c.json({ echoed: await c.req.json(), authorization: c.req.header('authorization') ?? null }));
  }
  app.notFound((c) => c.json({ detail: 'Not Found' }, 404));
  return app;
}

let server: RunningServer;
beforeAll(async () => {
  server = await listen(docsApp(), '127.0.0.1', 0);
});
afterAll(async () => {
  await server?.close();
});

/** The `href`/`src` attribute values of a page. */
function references(html: string): string[] {
  return [...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((match) => match[1]!);
}

describe('docs page over HTTP', () => {
  it.each(['/docs', '/svc/docs'])('serves %s as HTML with the title escaped', async (path) => {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('<title>Echo &lt;tools&gt; &amp; &quot;friends&quot;</title>');
    expect(html).not.toContain(title);
  });

  it('references nothing outside the gateway, only relative URLs that resolve under any mount', async () => {
    const html = docsPageHtml({ title });
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script>/); // no inline script
    const refs = references(html);
    expect(refs.length).toBeGreaterThanOrEqual(5);
    for (const ref of refs) expect(ref).toMatch(/^\.\/docs\/[\w.-]+\?v=[\w.%-]+$/);

    for (const base of ['', '/svc']) {
      const pageUrl = `${server.url}${base}/docs`;
      for (const ref of refs) {
        const url = new URL(ref, pageUrl);
        expect(url.pathname.startsWith(`${base}/docs/`)).toBe(true);
        const response = await fetch(url);
        expect(response.status, url.href).toBe(200);
        await response.arrayBuffer();
      }
    }
  });

  it('starts Swagger UI on ./openapi.json with persisted authorization and no outside calls', async () => {
    const response = await fetch(`${server.url}/svc/docs/swagger-initializer.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const script = await response.text();
    expect(script).not.toMatch(/https?:\/\//);
    expect(script).toContain(`new URL('./openapi.json', window.location.href)`);
    expect(script).toContain('persistAuthorization: true');
    expect(script).toContain('deepLinking: true');
    expect(script).toContain('validatorUrl: null');
  });

  it.each([
    ['swagger-ui.css', 'text/css; charset=utf-8'],
    ['index.css', 'text/css; charset=utf-8'],
    ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
    ['swagger-ui-standalone-preset.js', 'text/javascript; charset=utf-8'],
    ['favicon-16x16.png', 'image/png'],
    ['favicon-32x32.png', 'image/png'],
    ['oauth2-redirect.html', 'text/html; charset=utf-8'],
    ['oauth2-redirect.js', 'text/javascript; charset=utf-8'],
  ])('serves %s from swagger-ui-dist as %s, cacheable', async (file, contentType) => {
    const response = await fetch(`${server.url}/svc/docs/${file}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(contentType);
    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.equals(readFileSync(join(swaggerUiDir, file)))).toBe(true);
  });

  it.each(['index.html', 'package.json', 'swagger-ui.js.map', 'absolute-path.js', 'README.md', '..%2Fpackage.json', '%2E%2E'])(
    'does not serve %s',
    async (file) => {
      const response = await fetch(`${server.url}/docs/${file}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ detail: 'Not Found' });
    },
  );

  it('answers only allow-listed names, each time with a fresh response', async () => {
    for (const name of ['../package.json', '/etc/passwd', '', 'constructor', '__proto__', 'SWAGGER-UI.CSS']) {
      expect(docsAsset(name), name).toBeUndefined();
    }
    const first = docsAsset('index.css')!;
    const second = docsAsset('index.css')!;
    expect(await first.text()).toBe(await second.text());
  });
});

describe('docs page in a browser', () => {
  const browser = useBrowser();

  it('renders the operation at /docs and shows the result of "Try it out" → "Execute"', async () => {
    const docs = await openDocs(browser(), `${server.url}/docs`);
    try {
      const { page } = docs;
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      expect(await page.title()).toBe(title);
      await expect.poll(() => operationBlock(page, '/echo').count()).toBe(1);
      // No security scheme in this document: no "Authorize" button.
      expect(await page.locator('.btn.authorize').count()).toBe(0);

      const result = await executeOperation(page, 'Echo the message', { message: 'hello from the docs' });
      expect(result.status).toBe(200);
      expect(JSON.parse(result.body)).toEqual({ echoed: { message: 'hello from the docs' }, authorization: null });
      expect(result.request.url()).toBe(`${server.url}/echo`);

      // Again on the same operation: the new result replaces the old one.
      const again = await executeOperation(page, { path: '/echo', method: 'post' }, { message: 'twice' });
      expect(JSON.parse(again.body)).toEqual({ echoed: { message: 'twice' }, authorization: null });
      for (const url of requested) expect(new URL(url).origin).toBe(server.url);
    } finally {
      await docs.close();
    }
  });

  it('loads nothing from outside the gateway while rendering /svc/docs', async () => {
    const context = await browser().newContext();
    try {
      const page = await context.newPage();
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      await page.goto(`${server.url}/svc/docs`);
      await operationBlock(page, '/echo').waitFor();
      expect(requested).toContain(`${server.url}/svc/openapi.json`);
      expect(requested.filter((url) => new URL(url).origin !== server.url)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('sends the bearer key entered with "Authorize", and keeps it across a reload', async () => {
    const docs = await openDocs(browser(), `${server.url}/svc/docs`);
    try {
      const { page } = docs;
      await expect.poll(() => page.locator('.auth-wrapper .btn.authorize').isVisible()).toBe(true);

      const anonymous = await executeOperation(page, '/echo', { message: 'no key yet' });
      expect(anonymous.status).toBe(200);
      expect(JSON.parse(anonymous.body)).toMatchObject({ authorization: null });
      expect(anonymous.request.url()).toBe(`${server.url}/svc/echo`);

      await authorize(page, 'sk-test 123', 'HTTPBearer');
      const authorized = await executeOperation(page, '/echo', { message: 'with a key' });
      expect(JSON.parse(authorized.body)).toEqual({ echoed: { message: 'with a key' }, authorization: 'Bearer sk-test 123' });
      expect((await authorized.request.allHeaders()).authorization).toBe('Bearer sk-test 123');

      await page.reload();
      await operationBlock(page, '/echo').waitFor();
      const afterReload = await executeOperation(page, '/echo', { message: 'after reload' });
      expect((await afterReload.request.allHeaders()).authorization).toBe('Bearer sk-test 123');
      expect(JSON.parse(afterReload.body)).toMatchObject({ authorization: 'Bearer sk-test 123' });
    } finally {
      await docs.close();
    }
  });
});
