/**
 * API keys and CORS on the REST frontend, over real sockets: which routes are guarded, the
 * 401/403 answers and their headers, Basic in strict mode, preflights, and CORS headers on
 * error answers.
 */
import { describe, expect, it } from 'vitest';
import { post, restFixtureConfig, startRestGateway } from './rest-gateway.js';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('--api-key', async () => {
  const { url } = await startRestGateway([restFixtureConfig()], { auth: { apiKeys: ['s3cret'], strict: false } });

  it('a tool call without a key is 401 with WWW-Authenticate: Bearer', async () => {
    const response = await post(`${url}/text_plain`, {});
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.body).toEqual({ detail: 'Missing or invalid Authorization header' });
    expect((await post(`${url}/text_plain`, {}, { headers: { authorization: 'Bearer' } })).status).toBe(401);
    expect((await post(`${url}/text_plain`, {}, { headers: basic('u', 's3cret') })).status).toBe(401);
  });

  it('a wrong key is 403; the right one passes, whatever the scheme case', async () => {
    expect(await post(`${url}/text_plain`, {}, { headers: bearer('nope') })).toMatchObject({ status: 403, body: { detail: 'Invalid API key' } });
    expect(await post(`${url}/text_plain`, {}, { headers: bearer('s3cret') })).toMatchObject({ status: 200, body: 'hello world' });
    expect((await post(`${url}/text_plain`, {}, { headers: { authorization: 'bearer s3cret' } })).status).toBe(200);
  });

  it('guards every route that reaches the upstream: tools, resources, prompts', async () => {
    expect((await fetch(`${url}/resources/read?uri=fixture://greeting`)).status).toBe(401);
    expect((await fetch(`${url}/resources`)).status).toBe(401);
    expect((await post(`${url}/prompts/greet`, { who: 'x' })).status).toBe(401);
    expect((await fetch(`${url}/prompts`)).status).toBe(401);
  });

  it('leaves documents, docs and health public, and documents the Bearer scheme', async () => {
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as {
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, { post?: { security?: unknown } }>;
    };
    expect(document.components.securitySchemes).toEqual({ HTTPBearer: { type: 'http', scheme: 'bearer' } });
    expect(document.paths['/text_plain']!.post!.security).toEqual([{ HTTPBearer: [] }]);
    expect((await fetch(`${url}/docs`)).status).toBe(200);
    expect((await fetch(`${url}/docs/swagger-ui.css`)).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});

describe('--api-key --strict-auth', async () => {
  const { url } = await startRestGateway([restFixtureConfig()], { auth: { apiKeys: ['s3cret'], strict: true } });

  it('guards documents, docs and unknown paths too, challenging Bearer and Basic', async () => {
    for (const path of ['/openapi.json', '/docs', '/docs/swagger-ui.css', '/no/such/path']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer, Basic realm="mcpgate", charset="UTF-8"');
    }
    // A browser navigating gets the Basic challenge alone, the one its login prompt understands.
    const page = await fetch(`${url}/docs`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).toBe(401);
    expect(page.headers.get('www-authenticate')).toBe('Basic realm="mcpgate", charset="UTF-8"');
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('accepts Basic with the key as password (any user) on documents and tool calls', async () => {
    expect((await fetch(`${url}/openapi.json`, { headers: basic('anyone', 's3cret') })).status).toBe(200);
    expect(await post(`${url}/text_plain`, {}, { headers: basic('browser', 's3cret') })).toMatchObject({ status: 200, body: 'hello world' });
    expect(await post(`${url}/text_plain`, {}, { headers: basic('browser', 'wrong') })).toMatchObject({
      status: 403,
      body: { detail: 'Invalid credentials' },
    });
    expect((await post(`${url}/text_plain`, {}, { headers: { authorization: 'Basic bm9jb2xvbg==' } })).body).toEqual({
      detail: 'Invalid Basic Authentication format',
    });
    expect((await post(`${url}/text_plain`, {}, { headers: { authorization: 'Digest abc' } })).body).toEqual({
      detail: 'Unsupported authorization method',
    });
  });

  it('documents both schemes', async () => {
    const document = (await (await fetch(`${url}/openapi.json`, { headers: bearer('s3cret') })).json()) as {
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['HTTPBasic', 'HTTPBearer']);
  });
});

describe('CORS', async () => {
  const closed = await startRestGateway([restFixtureConfig()]);
  const open = await startRestGateway([restFixtureConfig()], {
    cors: { allowOrigins: ['http://localhost:3000'] },
    auth: { apiKeys: ['k'], strict: true },
  });
  const any = await startRestGateway([restFixtureConfig()], { cors: { allowOrigins: ['*'] } });

  it('is off by default: no CORS headers at all', async () => {
    const response = await post(`${closed.url}/text_plain`, {}, { headers: { origin: 'http://evil.example' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a listed origin gets a preflight answer without a key, and CORS headers on 401s', async () => {
    const preflight = await fetch(`${open.url}/text_plain`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');

    const unauthorized = await post(`${open.url}/text_plain`, {}, { headers: { origin: 'http://localhost:3000' } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    const notFound = await post(`${open.url}/nothing`, {}, { headers: { origin: 'http://localhost:3000', ...bearer('k') } });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  });

  it('an unlisted origin gets no Access-Control-Allow-Origin', async () => {
    const response = await post(`${open.url}/text_plain`, {}, { headers: { origin: 'http://evil.example', ...bearer('k') } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('"*" allows any origin, without credentials', async () => {
    const response = await post(`${any.url}/text_plain`, {}, { headers: { origin: 'http://anywhere.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
