/**
 * What the OAuth client tests share: a fixture per test, a temporary token directory, MCP
 * clients that are closed afterwards, and {@link LoopbackUser} — the supervisor's part of an
 * authorization (wait on the callback server for the request's state) plus the user's part
 * (open the authorization URL, follow the redirect to the callback server).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientOptions, type Transport } from '@modelcontextprotocol/client';
import { expect } from 'vitest';
import { textOf, waitFor } from '../../helpers/fixtures.js';
import { startOAuthProtectedServer, type OAuthProtectedServer, type OAuthProtectedServerOptions, type WhoAmI } from '../../fixtures/oauth/index.js';
import { OAuthCallbackServers } from '../../../src/upstream/oauth/callback-server.js';
import type { AuthorizationRequest } from '../../../src/upstream/oauth/gateway-oauth-provider.js';

/** Everything a test opened, closed by {@link Resources.close} in `afterEach`. */
export class Resources {
  private readonly servers: OAuthProtectedServer[] = [];
  private readonly clients: Client[] = [];
  private readonly directories: string[] = [];
  readonly callbackServers = new OAuthCallbackServers();

  async fixture(options?: OAuthProtectedServerOptions): Promise<OAuthProtectedServer> {
    const server = await startOAuthProtectedServer(options);
    this.servers.push(server);
    return server;
  }

  client(options?: ClientOptions): Client {
    const client = new Client({ name: 'mcpgate-oauth-test', version: '0.0.0' }, options);
    this.clients.push(client);
    return client;
  }

  /** A fresh directory standing in for `~/.mcpgate/tokens`. */
  async tokenDirectory(): Promise<string> {
    const directory = await mkdtemp(join(tmpdir(), 'mcpgate-oauth-'));
    this.directories.push(directory);
    return join(directory, 'tokens');
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((client) => client.close().catch(() => {})));
    await this.callbackServers.closeAll();
    await Promise.all(this.servers.splice(0).map((server) => server.close()));
    await Promise.all(this.directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
  }
}

/**
 * Plays both sides of the browser round trip. Give {@link onAuthorizationRequest} to the
 * provider: like the supervisor, it takes a lease on the callback port and waits for the
 * request's state before anyone could open the link. {@link authorize} then plays the user.
 */
export class LoopbackUser {
  readonly requests: AuthorizationRequest[] = [];
  private callback: Promise<URLSearchParams> | undefined;

  constructor(
    private readonly callbackServers: OAuthCallbackServers,
    readonly callbackPort: number,
  ) {}

  readonly onAuthorizationRequest = async (request: AuthorizationRequest): Promise<void> => {
    this.requests.push(request);
    const lease = await this.callbackServers.acquire(this.callbackPort, request.server);
    const waiting = lease.waitForCallback(request.state!);
    this.callback = waiting.finally(() => lease.release());
    this.callback.catch(() => {});
  };

  /** The user opens the last authorization URL and is sent back; resolves with what the callback server got. */
  async authorize(): Promise<URLSearchParams> {
    const request = this.requests.at(-1);
    if (request === undefined || this.callback === undefined) throw new Error('no authorization was requested');
    const atAuthorizationServer = await fetch(request.authorizationUrl, { redirect: 'manual' });
    expect(atAuthorizationServer.status).toBe(302);
    const location = new URL(atAuthorizationServer.headers.get('location')!, request.authorizationUrl);
    await atAuthorizationServer.body?.cancel();
    expect(location.href.startsWith(`${request.redirectUrl}?`)).toBe(true);
    const page = await fetch(location, { redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`mcpgate: ${request.server} is authorized, you can close this tab`);
    return this.callback;
  }
}

export async function whoami(client: Client): Promise<WhoAmI> {
  return JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} }))) as WhoAmI;
}

/**
 * Connects and waits for the 2025-era standalone GET stream, which the SDK opens without
 * awaiting: a token change right after `connect()` would otherwise race that GET's own 401
 * against the request the test makes (with a plain provider, two `auth()` runs at once).
 */
export async function connectSettled(client: Client, transport: Transport, server: OAuthProtectedServer): Promise<void> {
  const streams = (): number => server.resourceRequests.filter((request) => request.method === 'GET' && request.status === 200).length;
  const before = streams();
  await client.connect(transport);
  await waitFor('the standalone GET stream', () => streams() > before);
}
