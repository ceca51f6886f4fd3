/**
 * OAuth upstreams end to end with the real `mcpgate` command (a child process, real sockets)
 * and the in-process OAuth-protected MCP server fixture: the first authorization shown in
 * `/readyz` and redeemed on the loopback callback, tokens kept in private files under
 * `$HOME/.mcpgate/tokens` and reused by the next run without a new authorization, the browser
 * opened with the desktop's opener for `"use_loopback": true`, and the headless
 * `client_credentials` grant. No token or client secret ever shows in the command's output.
 */
import { chmod, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizeAsUser, startOAuthProtectedServer, type OAuthProtectedServer, type WhoAmI } from '../fixtures/oauth/index.js';
import { freePort } from '../helpers/fixtures.js';
import { baseEnv, pollReadyz, pollUntil, startCli, stopCleanly, upstreamNamed, useCliLifecycle, type CliProcess, type ReadyzBody } from '../cli/run-cli.js';

const temp = useCliLifecycle();

const fixtures: OAuthProtectedServer[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((fixture) => fixture.close()));
});

async function startFixture(): Promise<OAuthProtectedServer> {
  const fixture = await startOAuthProtectedServer();
  fixtures.push(fixture);
  return fixture;
}

/** A fresh directory inside the file's temporary directory (removed with it). */
const freshDir = (prefix: string): Promise<string> => mkdtemp(join(temp.dir, prefix));

/** Writes a config file with one OAuth server, `secured`, at `url`. */
async function writeConfig(name: string, url: string, oauth: Record<string, unknown>): Promise<string> {
  return temp.write(name, JSON.stringify({ mcpServers: { secured: { type: 'streamable-http', url, oauth } } }, null, 2));
}

/** Polls `/readyz` until `secured` is in `state`; returns its status. */
async function waitForSecured(cli: CliProcess, url: string, state: string, timeoutMs = 10_000) {
  try {
    const { body } = await pollReadyz(url, (_status, readyz) => upstreamNamed(readyz, 'secured').state === state, timeoutMs);
    return upstreamNamed(body, 'secured');
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${cli.transcript()}`, { cause: error });
  }
}

/**
 * Polls `/readyz` until `secured` has left `starting`; returns every state seen on the way and
 * the settling body, having checked that it settled `ready` without ever asking for a user.
 */
async function settlesReadyWithoutUser(cli: CliProcess, url: string): Promise<ReadyzBody> {
  const seen: string[] = [];
  const settled = await pollReadyz(
    url,
    (_status, body: ReadyzBody) => {
      const state = upstreamNamed(body, 'secured').state;
      seen.push(state);
      return state !== 'starting';
    },
    10_000,
  );
  expect(upstreamNamed(settled.body, 'secured').state, `${JSON.stringify(settled.body)}\n${cli.transcript()}`).toBe('ready');
  expect(seen).not.toContain('auth_required');
  return settled.body;
}

/** Calls `whoami` over REST and returns what it reports. */
async function whoami(url: string): Promise<{ status: number; body: WhoAmI }> {
  const response = await fetch(`${url}/secured/whoami`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as WhoAmI };
}

/** Plays the user on `authorizationUrl`, waits for `ready`, and checks that `whoami` answers with a token for the fixture; returns the answer. */
async function authorizeThenCall(cli: CliProcess, url: string, authorizationUrl: string | URL, fixture: OAuthProtectedServer): Promise<WhoAmI> {
  const redirect = await authorizeAsUser(authorizationUrl, { followToCallback: true });
  expect(redirect.callback?.status, redirect.callback?.body).toBe(200);
  await waitForSecured(cli, url, 'ready');
  const answer = await whoami(url);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(answer.body.audience).toBe(fixture.resourceUrl);
  return answer.body;
}

/** Everything the command printed. */
const output = (cli: CliProcess): string => `${cli.stderr}\n${cli.stdout}`;

describe('OAuth upstreams with the mcpgate command', () => {
  it('authorizes once, keeps the tokens in private files and reuses them after a restart', { timeout: 20_000 }, async ({ task }) => {
    const fixture = await startFixture();
    const home = await freshDir('home-');
    const callbackPort = await freePort();
    const config = await writeConfig('file-storage.json', fixture.resourceUrl, { storage_type: 'file', callback_port: callbackPort, use_loopback: false });
    const env = baseEnv({ HOME: home });

    // First run: waits for its user.
    const first = startCli(['--config', config, '--port', '0'], { owner: task, env });
    const firstUrl = await first.waitForListening();
    const waiting = await waitForSecured(first, firstUrl, 'auth_required');
    expect(waiting.authorizationUrl, first.transcript()).toEqual(expect.any(String));
    const authorizationUrl = new URL(waiting.authorizationUrl!);
    expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(`${fixture.issuer}/authorize`);
    const params = authorizationUrl.searchParams;
    expect(params.get('response_type')).toBe('code');
    expect(params.get('resource')).toBe(fixture.resourceUrl);
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')).toMatch(/.+/);
    expect(params.get('redirect_uri')).toBe(`http://127.0.0.1:${callbackPort}/oauth/callback/secured`);

    const firstAnswer = await authorizeThenCall(first, firstUrl, authorizationUrl, fixture);
    expect(fixture.counts().authorizations).toBe(1);

    // The token store: a private directory of private files.
    const tokenDirectory = join(home, '.mcpgate', 'tokens');
    expect((await stat(tokenDirectory)).mode & 0o777).toBe(0o700);
    const files = (await readdir(tokenDirectory)).filter((name) => !name.endsWith('.tmp'));
    expect(files.length).toBeGreaterThan(0);
    const secrets: string[] = [];
    for (const name of files) {
      expect(name).toMatch(/^secured(@[a-z0-9._-]+)?-[0-9a-f]{12}\.json$/);
      const path = join(tokenDirectory, name);
      expect((await stat(path)).mode & 0o777, name).toBe(0o600);
      const { state } = JSON.parse(await readFile(path, 'utf8')) as {
        state: { tokens?: { access_token?: string; refresh_token?: string }; clientInformation?: { client_secret?: string }; codeVerifier?: string };
      };
      for (const value of [state.tokens?.access_token, state.tokens?.refresh_token, state.clientInformation?.client_secret, state.codeVerifier]) {
        if (typeof value === 'string' && value !== '') secrets.push(value);
      }
    }
    const tokenFile = files.find((name) => name.includes('@'));
    expect(tokenFile, `a per-issuer token file among ${files.join(', ')}`).toBeDefined();
    const stored = JSON.parse(await readFile(join(tokenDirectory, tokenFile!), 'utf8')) as { state: { tokens: { access_token: string; refresh_token?: string } } };
    expect(stored.state.tokens.access_token).toEqual(expect.any(String));
    expect(fixture.accessToken(stored.state.tokens.access_token)?.audience).toBe(fixture.resourceUrl);
    expect(stored.state.tokens.refresh_token).toEqual(expect.any(String));
    expect(secrets).toContain(stored.state.tokens.access_token);
    expect(secrets).toContain(stored.state.tokens.refresh_token);

    await stopCleanly(first);
    for (const secret of secrets) expect(output(first).includes(secret), 'a stored credential in the first run\'s output').toBe(false);

    // Second run, same HOME: ready with the stored tokens, nobody asked to authorize again.
    const second = startCli(['--config', config, '--port', '0'], { owner: task, env });
    const secondUrl = await second.waitForListening();
    await settlesReadyWithoutUser(second, secondUrl);
    const secondAnswer = await whoami(secondUrl);
    expect(secondAnswer.status, JSON.stringify(secondAnswer.body)).toBe(200);
    expect(secondAnswer.body.audience).toBe(fixture.resourceUrl);
    expect(secondAnswer.body.clientId).toBe(firstAnswer.clientId);
    // Still ready after the call, and still the one authorization and the one code redeemed.
    expect(upstreamNamed((await pollReadyz(secondUrl, () => true)).body, 'secured').state).toBe('ready');
    expect(fixture.counts().authorizations).toBe(1);
    expect(fixture.counts().issued.authorization_code).toBe(1);
    expect(fixture.counts().registrations).toBe(1);

    await stopCleanly(second);
    for (const secret of secrets) expect(output(second).includes(secret), 'a stored credential in the second run\'s output').toBe(false);
  });

  it('opens the authorization URL with the desktop opener when "use_loopback" is true', { timeout: 20_000 }, async ({ task }) => {
    const fixture = await startFixture();
    const home = await freshDir('home-');
    const bin = await freshDir('bin-');
    const opened = join(bin, 'opened.txt');
    const opener = join(bin, 'xdg-open');
    await writeFile(opener, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${opened}'\n`, 'utf8');
    await chmod(opener, 0o755);
    const config = await writeConfig('loopback.json', fixture.resourceUrl, { storage_type: 'memory', callback_port: await freePort(), use_loopback: true });

    const cli = startCli(['--config', config, '--port', '0'], {
      owner: task,
      env: baseEnv({ HOME: home, PATH: `${bin}:${process.env.PATH ?? ''}` }),
    });
    const url = await cli.waitForListening();
    const waiting = await waitForSecured(cli, url, 'auth_required');
    const received = await pollUntil(
      'the opener to be given a URL',
      async () => {
        const text = await readFile(opened, 'utf8').catch(() => '');
        return text.endsWith('\n') ? text.trimEnd().split('\n') : undefined;
      },
      5_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${cli.transcript()}`, { cause: error });
    });
    expect(received).toEqual([waiting.authorizationUrl]);

    await authorizeThenCall(cli, url, received[0]!, fixture);
    expect(fixture.counts().authorizations).toBe(1);
    await stopCleanly(cli);
    // Memory storage: nothing written under HOME.
    await expect(stat(join(home, '.mcpgate', 'tokens'))).rejects.toThrow(/ENOENT/);
  });

  it('goes back to auth_required when the refresh token is revoked, and logs why as a JSON line', { timeout: 20_000 }, async ({ task }) => {
    const fixture = await startFixture();
    const config = await writeConfig('revoked.json', fixture.resourceUrl, { storage_type: 'memory', callback_port: await freePort(), use_loopback: false });
    const cli = startCli(['--config', config, '--port', '0'], { owner: task, env: baseEnv({ HOME: await freshDir('home-') }) });
    const url = await cli.waitForListening();
    const first = await waitForSecured(cli, url, 'auth_required');
    await authorizeThenCall(cli, url, first.authorizationUrl!, fixture);

    fixture.revokeRefreshTokens();
    fixture.expireAllAccessTokens();
    expect((await whoami(url)).status).toBe(503);
    const again = await waitForSecured(cli, url, 'auth_required');
    expect(again.authorizationUrl).not.toBe(first.authorizationUrl);
    // The SDK's own account of the refused refresh token is a log line like any other.
    await cli.waitForLine(/invalid_grant/);
    const warning = cli.logRecords().find((record) => record.msg.includes('invalid_grant'));
    expect(warning, cli.transcript()).toMatchObject({ level: 40, msg: expect.stringContaining('[mcp-sdk] OAuth "invalid_grant"') });
    expect(cli.stderr.split('\n').filter((line) => line.includes('invalid_grant') && !line.startsWith('{'))).toEqual([]);

    await authorizeThenCall(cli, url, again.authorizationUrl!, fixture);
    await stopCleanly(cli);
  });

  it('gets a token with client_credentials, nobody authorizing, and never prints the client secret', { timeout: 20_000 }, async ({ task }) => {
    const fixture = await startFixture();
    const clientId = 'mcpgate-machine-client';
    const clientSecret = 'cc-secret-5f0e9a7d31b2c4e8';
    const client = fixture.preRegisterClient({ clientId, clientSecret, grantTypes: ['client_credentials'] });
    expect(client.clientSecret).toBe(clientSecret);
    const home = await freshDir('home-');
    const config = await writeConfig('client-credentials.json', fixture.resourceUrl, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      storage_type: 'memory',
      use_loopback: false,
    });

    const cli = startCli(['--config', config, '--port', '0', '--log-level', 'debug'], { owner: task, env: baseEnv({ HOME: home }) });
    const url = await cli.waitForListening();
    const settled = await settlesReadyWithoutUser(cli, url);
    expect(JSON.stringify(settled)).not.toContain(clientSecret);

    const answer = await whoami(url);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.clientId).toBe(clientId);
    expect(answer.body.audience).toBe(fixture.resourceUrl);
    const counts = fixture.counts();
    expect(counts.authorizations).toBe(0);
    expect(counts.registrations).toBe(0);
    expect(counts.issued.client_credentials).toBeGreaterThanOrEqual(1);
    expect(counts.issued.authorization_code).toBe(0);

    await stopCleanly(cli);
    expect(cli.stderr.length, 'debug logging printed something').toBeGreaterThan(0);
    expect(output(cli)).not.toContain(clientSecret);
    expect(output(cli)).not.toContain(Buffer.from(`${clientId}:${clientSecret}`).toString('base64'));
  });
});
