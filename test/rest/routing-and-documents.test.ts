/**
 * Routes and documents of the REST frontend through a real gateway: config-file mode with the
 * aggregated root document, per-server documents, resources and prompts, the path prefix and
 * the reverse-proxy root path, and one server's crash leaving another untouched.
 */
import { describe, expect, it } from 'vitest';
import { demoServerCommand } from '../../src/demo/command.js';
import { processIsGone, stdioConfig } from '../helpers/fixtures.js';
import { post, restFixtureConfig, startRestGateway } from './rest-gateway.js';

const demo = () => {
  const { command, args } = demoServerCommand();
  return stdioConfig({ name: 'demo', command, args });
};

type Document = { servers: Array<{ url: string }>; info: { title: string; description: string; version: string }; paths: Record<string, Record<string, { operationId: string }>> };

async function documentAt(url: string): Promise<Document> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as Document;
}

function operationIds(document: Document): string[] {
  return Object.values(document.paths).flatMap((item) => Object.values(item).map((operation) => operation.operationId));
}

describe('config-file mode', async () => {
  const { url } = await startRestGateway([demo(), restFixtureConfig()], { mode: 'multi' });

  it('the root document holds every server\'s tools, prefixed and under /{server}', async () => {
    const document = await documentAt(`${url}/openapi.json`);
    expect(document.servers).toEqual([{ url: '/' }]);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/demo/echo', '/demo/add', '/fixture/text_plain', '/fixture/dotted.name']));
    expect(document.paths['/demo/echo']!.post!.operationId).toBe('demo_echo');
    expect(document.info.description).toContain('[fixture](/fixture/docs)');
    for (const id of operationIds(document)) expect(id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });

  it('each server has its own document at /{server}/openapi.json with its own info', async () => {
    const document = await documentAt(`${url}/fixture/openapi.json`);
    expect(document.servers).toEqual([{ url: '/fixture' }]);
    expect(document.info).toEqual({ title: 'rest-fixture', description: 'A fixture for the REST frontend.', version: '2.3.4' });
    expect(document.paths['/text_plain']!.post!.operationId).toBe('text_plain');
    expect(operationIds(document)).not.toContain('echo');
  });

  it('calls route to the named server; unknown servers are 404', async () => {
    expect(await post(`${url}/demo/echo`, { message: 'via demo' })).toMatchObject({ status: 200, body: 'via demo' });
    expect(await post(`${url}/fixture/text_plain`, {})).toMatchObject({ status: 200, body: 'hello world' });
    expect((await post(`${url}/nobody/echo`, {})).status).toBe(404);
    expect((await fetch(`${url}/nobody/openapi.json`)).status).toBe(404);
    expect((await fetch(`${url}/nobody/docs`)).status).toBe(404);
  });

  it('docs pages exist at the root and per server; / and /{server} lead to them', async () => {
    for (const path of ['/docs', '/demo/docs']) {
      const page = await fetch(`${url}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    }
    const root = await fetch(`${url}/`, { redirect: 'manual' });
    expect(root.headers.get('location')).toBe('/docs');
    const server = await fetch(`${url}/demo`, { redirect: 'manual' });
    expect(server.headers.get('location')).toBe('/demo/docs');
    const slash = await fetch(`${url}/demo/docs/`, { redirect: 'manual' });
    expect(new URL(slash.headers.get('location')!, `${url}/demo/docs/`).pathname).toBe('/demo/docs');
    expect((await fetch(`${url}/demo/docs/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it('resources and prompts: list, read, get, with clear errors', async () => {
    expect(await (await fetch(`${url}/fixture/resources`)).json()).toEqual({
      resources: [{ uri: 'fixture://greeting', name: 'greeting', mimeType: 'text/plain' }],
      resourceTemplates: [],
    });
    const read = await fetch(`${url}/fixture/resources/read?uri=${encodeURIComponent('fixture://greeting')}`);
    expect(await read.json()).toEqual({ contents: [{ uri: 'fixture://greeting', mimeType: 'text/plain', text: 'hello from a resource' }] });
    const missingUri = await fetch(`${url}/fixture/resources/read`);
    expect(missingUri.status).toBe(422);
    const unknown = await fetch(`${url}/fixture/resources/read?uri=fixture://nothing`);
    expect(unknown.status).toBe(500);
    expect(((await unknown.json()) as { detail: { message: string } }).detail.message).toContain('Resource not found');

    expect(await (await fetch(`${url}/fixture/prompts`)).json()).toMatchObject({ prompts: [{ name: 'greet' }] });
    const prompt = await post(`${url}/fixture/prompts/greet`, { who: 'Ada', tone: 7 });
    expect(prompt.status).toBe(200);
    expect(prompt.body.messages[0].content.text).toBe('Say hello to Ada (7)');
    const missing = await post(`${url}/fixture/prompts/greet`, {});
    expect(missing).toMatchObject({ status: 422, body: { detail: [{ type: 'missing', loc: ['body', 'who'] }] } });
    expect((await post(`${url}/fixture/prompts/nope`, {})).status).toBe(404);

    const document = await documentAt(`${url}/fixture/openapi.json`);
    expect(document.paths['/resources/read']!.get!.operationId).toBe('read_resource');
    expect(document.paths['/prompts/greet']!.post!.operationId).toBe('prompt_greet');
  });

  it('one server crashing does not disturb another', async () => {
    const pid = (await post(`${url}/fixture/text_plain`, {})).status;
    expect(pid).toBe(200);
    const readyz = (await (await fetch(`${url}/readyz`)).json()) as { upstreams: Array<{ name: string; pid: number }> };
    const fixturePid = readyz.upstreams.find((upstream) => upstream.name === 'fixture')!.pid;
    process.kill(fixturePid, 'SIGKILL');
    await expect.poll(() => processIsGone(fixturePid)).toBe(true);
    // While the fixture restarts, the demo server keeps answering.
    const during = await Promise.all(Array.from({ length: 5 }, (_, i) => post(`${url}/demo/echo`, { message: `m${i}` })));
    expect(during.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    const unavailable = await post(`${url}/fixture/text_plain`, {});
    if (unavailable.status !== 200) {
      expect(unavailable.status).toBe(503);
      expect(unavailable.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    await expect.poll(async () => (await post(`${url}/fixture/text_plain`, {})).status, { timeout: 10_000 }).toBe(200);
  });
});

describe('--tools-only', async () => {
  const { url } = await startRestGateway([restFixtureConfig()], { rest: { resourcesAndPrompts: false } });

  it('has no resource or prompt routes and no such operations', async () => {
    expect((await fetch(`${url}/resources`)).status).toBe(404);
    expect((await post(`${url}/prompts/greet`, { who: 'x' })).status).toBe(404);
    const document = await documentAt(`${url}/openapi.json`);
    expect(Object.keys(document.paths).some((path) => path.startsWith('/resources') || path.startsWith('/prompts'))).toBe(false);
  });
});

describe('--path-prefix and --root-path', async () => {
  const { url } = await startRestGateway([demo(), restFixtureConfig()], {
    mode: 'multi',
    rest: { pathPrefix: 'api/v1/', rootPath: '/proxy' },
  });

  it('moves the REST API under the prefix; health stays at the root', async () => {
    expect(await post(`${url}/api/v1/demo/echo`, { message: 'prefixed' })).toMatchObject({ status: 200, body: 'prefixed' });
    expect((await post(`${url}/demo/echo`, { message: 'x' })).status).toBe(404);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('accepts requests with the root path too, and documents show it', async () => {
    expect(await post(`${url}/proxy/api/v1/demo/echo`, { message: 'through a proxy' })).toMatchObject({ status: 200 });
    const document = await documentAt(`${url}/proxy/api/v1/demo/openapi.json`);
    expect(document.servers).toEqual([{ url: '/proxy/api/v1/demo' }]);
    const root = await documentAt(`${url}/api/v1/openapi.json`);
    expect(root.servers).toEqual([{ url: '/proxy/api/v1' }]);
    expect(root.info.description).toContain('(/proxy/api/v1/demo/docs)');
    const redirect = await fetch(`${url}/api/v1/`, { redirect: 'manual' });
    expect(redirect.headers.get('location')).toBe('/proxy/api/v1/docs');
  });
});

describe('single-server mode info', async () => {
  const { url } = await startRestGateway([restFixtureConfig()], { info: { title: 'My tools', version: '9' } });

  it('--name and --version override what the server says; the rest comes from the server', async () => {
    const document = await documentAt(`${url}/openapi.json`);
    expect(document.info).toEqual({ title: 'My tools', description: 'A fixture for the REST frontend.', version: '9' });
  });
});
