/**
 * The loopback callback server: one per port shared by every upstream on it, started on first
 * use and closed with the last lease; it hands an upstream the whole callback query for a state
 * it waits for, once, answers the browser with a small page, and refuses anything else with 400.
 * Real sockets on 127.0.0.1.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { callbackPath, callbackRedirectUrl, OAuthCallbackServers, type OAuthCallbackLease } from '../../../src/upstream/oauth/callback-server.js';

const registries: OAuthCallbackServers[] = [];
const blockers: Server[] = [];

afterEach(async () => {
  await Promise.all(registries.splice(0).map((registry) => registry.closeAll()));
  await Promise.all(blockers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function registry(): OAuthCallbackServers {
  const servers = new OAuthCallbackServers();
  registries.push(servers);
  return servers;
}

async function get(url: string): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(url, { redirect: 'manual' });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

async function connectionRefused(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/`).then(
    () => false,
    () => true,
  );
}

describe('OAuth callback server', () => {
  it('resolves waitForCallback with the whole query and answers the browser with a page', async () => {
    const lease = await registry().acquire(0, 'github');
    expect(lease.port).toBeGreaterThan(0);
    expect(lease.redirectUrl).toBe(`http://127.0.0.1:${lease.port}/oauth/callback/github`);

    const waiting = lease.waitForCallback('state-1');
    const page = await get(`${lease.redirectUrl}?code=the-code&state=state-1&iss=${encodeURIComponent('https://as.example')}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('mcpgate: github is authorized, you can close this tab');
    expect(page.body).not.toContain('the-code');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const params = await waiting;
    expect(Object.fromEntries(params)).toEqual({ code: 'the-code', state: 'state-1', iss: 'https://as.example' });

    // A state is good once.
    const replay = await get(`${lease.redirectUrl}?code=the-code&state=state-1`);
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('unknown or already used');
    await lease.release();
  });

  it('refuses unknown paths and states with 400, and reports an error callback by its code only', async () => {
    const lease = await registry().acquire(0, 'srv');
    const origin = `http://127.0.0.1:${lease.port}`;
    const waiting = lease.waitForCallback('s1');

    expect((await get(`${origin}/`)).status).toBe(400);
    expect((await get(`${origin}/oauth/callback/other?state=s1&code=c`)).status).toBe(400);
    expect((await get(`${lease.redirectUrl}?code=c`)).status).toBe(400);
    expect((await get(`${lease.redirectUrl}?state=nope&code=c`)).status).toBe(400);
    expect((await fetch(lease.redirectUrl, { method: 'POST', body: 'state=s1' })).status).toBe(405);
    // A HEAD (link preview) does not use the state up.
    expect((await fetch(`${lease.redirectUrl}?state=s1`, { method: 'HEAD' })).status).toBe(200);

    const page = await get(`${lease.redirectUrl}?state=s1&error=access_denied&error_description=${encodeURIComponent('<script>call 555-0100</script>')}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('authorization of srv failed (access_denied)');
    expect(page.body).not.toContain('555-0100');
    expect(page.body).not.toContain('<script>');
    expect(Object.fromEntries(await waiting)).toMatchObject({ state: 's1', error: 'access_denied' });
    await lease.release();
  });

  it('serves many upstreams on one port, each at its own path, and escapes their names', async () => {
    const servers = registry();
    const a = await servers.acquire(0, 'a');
    const b = await servers.acquire(0, 'team/b <x>');
    expect(b.port).toBe(a.port);
    expect(b.redirectUrl).toBe(`http://127.0.0.1:${a.port}/oauth/callback/team%2Fb%20%3Cx%3E`);
    expect(callbackPath('team/b <x>')).toBe('/oauth/callback/team%2Fb%20%3Cx%3E');
    expect(callbackRedirectUrl(3030, 'a')).toBe('http://127.0.0.1:3030/oauth/callback/a');

    const forA = a.waitForCallback('sa');
    const forB = b.waitForCallback('sb');
    // A state belongs to its upstream: b's state on a's path is refused.
    expect((await get(`${a.redirectUrl}?state=sb&code=x`)).status).toBe(400);
    const page = await get(`${b.redirectUrl}?state=sb&code=cb`);
    expect(page.body).toContain('mcpgate: team/b &#60;x&#62; is authorized');
    await get(`${a.redirectUrl}?state=sa&code=ca`);
    expect((await forA).get('code')).toBe('ca');
    expect((await forB).get('code')).toBe('cb');
    await a.release();
    await b.release();
  });

  it('starts on first use and closes when the last lease is released', async () => {
    const probe = registry();
    const first = await probe.acquire(0, 'x');
    const port = first.port;
    await first.release();
    expect(await connectionRefused(port)).toBe(true);

    // A fixed port (the config's callback_port) shared by two upstreams.
    const servers = registry();
    const one = await servers.acquire(port, 'one');
    const two = await servers.acquire(port, 'two');
    expect(servers.isOpen(port)).toBe(true);
    await one.release();
    await one.release();
    expect((await get(`${two.redirectUrl}?state=none`)).status).toBe(400);
    expect((await get(`${one.redirectUrl}?state=none`)).body).toContain('no server waits');
    await two.release();
    expect(servers.isOpen(port)).toBe(false);
    expect(await connectionRefused(port)).toBe(true);

    // And opens again for the next user.
    const again = await servers.acquire(port, 'one');
    expect(again.port).toBe(port);
    await again.release();
  });

  it('stops waiting when the signal aborts', async () => {
    const lease = await registry().acquire(0, 'srv');
    const controller = new AbortController();
    const waiting = lease.waitForCallback('s1', controller.signal);
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    expect((await get(`${lease.redirectUrl}?state=s1&code=c`)).status).toBe(400);
    await expect(lease.waitForCallback('s2', AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
    const again = lease.waitForCallback('s3');
    await expect(lease.waitForCallback('s3')).rejects.toThrow('already awaited');
    await get(`${lease.redirectUrl}?state=s3&code=c`);
    await again;
    await lease.release();
  });

  it('names the port and the server when the port is taken, and can try again later', async () => {
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const servers = registry();

    const failure = (await servers.acquire(port, 'github').catch((error: unknown) => error)) as Error;
    expect(failure).toBeInstanceOf(Error);
    expect(failure.message).toContain(`port ${port}`);
    expect(failure.message).toContain('"github"');
    expect(failure.message).toContain('already in use');
    expect(servers.isOpen(port)).toBe(false);

    await new Promise((resolve) => blocker.close(resolve));
    blockers.length = 0;
    const lease: OAuthCallbackLease = await servers.acquire(port, 'github');
    expect(lease.port).toBe(port);
    await lease.release();
  });
});
