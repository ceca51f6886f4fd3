import { Hono, type Context } from 'hono';
import { describe, expect, it } from 'vitest';
import { answersEveryRequest, MAX_REMEMBERED_PATHS, RememberingRouter } from '../../src/http/remembering-router.js';

function app() {
  const hono = new Hono({ router: new RememberingRouter() });
  hono.use('*', async (c, next) => {
    await next();
    c.header('x-seen', 'yes');
  });
  hono.get('/docs', (c) => c.text('docs'));
  hono.get('/docs/:file', (c) => c.text(`file ${c.req.param('file')}`));
  hono.post('/:tool', (c) => c.text(`tool ${c.req.param('tool')}`));
  return hono;
}

describe('RememberingRouter', () => {
  it('answers each path as the trie router does, the second time from memory', async () => {
    const hono = app();
    for (let round = 0; round < 2; round++) {
      const file = await hono.request('/docs/a%20b.css');
      expect(await file.text()).toBe('file a b.css');
      expect(file.headers.get('x-seen')).toBe('yes');
      expect(await (await hono.request('/docs')).text()).toBe('docs');
      // A trailing slash is another path (no route), and a method without a route is a 404.
      expect((await hono.request('/docs/')).status).toBe(404);
      expect((await hono.request('/echo')).status).toBe(404);
      const echo = await hono.request('/echo', { method: 'POST' });
      expect(await echo.text()).toBe('tool echo');
      expect(await (await hono.request('/add', { method: 'POST' })).text()).toBe('tool add');
    }
  });

  it('keeps the params of one path apart from another path of the same route', async () => {
    const hono = app();
    const answers = await Promise.all(['one', 'two', 'one', 'three'].map(async (tool) => (await hono.request(`/${tool}`, { method: 'POST' })).text()));
    expect(answers).toEqual(['tool one', 'tool two', 'tool one', 'tool three']);
  });

  it('starts over past its bound, and forgets every answer when a route is added', () => {
    const router = new RememberingRouter<string>();
    router.add('GET', '/:name', 'named');
    const first = router.match('GET', '/a');
    expect(router.match('GET', '/a')).toBe(first);
    for (let index = 0; index < MAX_REMEMBERED_PATHS; index++) router.match('GET', `/made-up-${index}`);
    const again = router.match('GET', '/a');
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    router.add('GET', '/a', 'exact');
    const handlers = router.match('GET', '/a')[0].map(([handler]) => handler);
    expect(handlers).toEqual(['named', 'exact']);
  });

  it('leaves out what is matched after a handler that answers every request, and keeps what comes before it', async () => {
    const hono = new Hono({ router: new RememberingRouter() });
    const seen: string[] = [];
    hono.use('*', async (_c, next) => {
      seen.push('middleware');
      await next();
    });
    const mcp = answersEveryRequest((c: Context) => c.text('mcp'));
    hono.all('/mcp', mcp);
    hono.post('/:tool', (c) => c.text(`tool ${c.req.param('tool')}`));
    const router = hono.router as RememberingRouter<[unknown, unknown]>;

    for (let round = 0; round < 2; round++) {
      expect(router.match('POST', '/mcp')[0].map(([[handler]]) => handler)).toHaveLength(2);
      expect(router.match('POST', '/mcp')[0][1]![0][0]).toBe(mcp);
      expect(await (await hono.request('/mcp', { method: 'POST' })).text()).toBe('mcp');
      // Another path of the later route still reaches it.
      expect(await (await hono.request('/echo', { method: 'POST' })).text()).toBe('tool echo');
    }
    expect(seen).toEqual(['middleware', 'middleware', 'middleware', 'middleware']);

    // Alone, the answering handler is what the router answers: Hono calls it directly.
    const bare = new Hono({ router: new RememberingRouter() });
    bare.all('/mcp', mcp);
    bare.post('/:tool', (c) => c.text('tool'));
    expect((bare.router as RememberingRouter<[unknown, unknown]>).match('POST', '/mcp')[0].map(([[handler]]) => handler)).toEqual([mcp]);
    expect(await (await bare.request('/mcp', { method: 'POST' })).text()).toBe('mcp');
    // An unmarked handler keeps the trie's whole answer.
    const unmarked = new Hono({ router: new RememberingRouter() });
    unmarked.all('/mcp', (c) => c.text('mcp'));
    unmarked.post('/:tool', (c) => c.text('tool'));
    expect((unmarked.router as RememberingRouter<[unknown, unknown]>).match('POST', '/mcp')[0]).toHaveLength(2);
  });
});
