/**
 * The MCP frontends on a `"sharing": "per-session"` server: every session of `/mcp` (streamable
 * HTTP) and `/sse` (HTTP+SSE) gets a server-everything child of its own, piped message by
 * message. Real SDK clients, a real gateway on port 0; the children are found in /proc (children
 * of this process running server-everything, minus each gateway's own REST upstream).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StreamableHTTPClientTransport, type Client, type ClientOptions } from '@modelcontextprotocol/client';
import type { GatewayConfig } from '../../src/config/types.js';
import { everythingServerPath, processIsGone, textOf, waitFor } from '../helpers/fixtures.js';
import { connectClient, everythingStdio, startBridgeGateway, type EndpointKind, type RunningBridgeGateway } from './bridge-gateway.js';

const gateways: RunningBridgeGateway[] = [];

async function startPerSessionGateway(maxSessions?: number, overrides: Partial<GatewayConfig> = {}): Promise<RunningBridgeGateway> {
  const running = await startBridgeGateway([everythingStdio({ sharing: 'per-session', ...(maxSessions === undefined ? {} : { maxSessions }) })], overrides);
  gateways.push(running);
  return running;
}

const gateway = await startPerSessionGateway();

/** Live (not zombie) children of this process running server-everything. */
function everythingChildren(): Set<number> {
  const pids = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": the comm may contain spaces and parentheses.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || Number(ppid) !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(everythingServerPath)) pids.add(Number(entry));
    } catch {
      // The process ended while being read.
    }
  }
  return pids;
}

/** The children that belong to MCP sessions: every server-everything child but the gateways' REST upstreams. */
function sessionChildren(): Set<number> {
  const upstreamPids = new Set(gateways.flatMap(({ gateway: g }) => [...g.upstreams.values()].map((upstream) => upstream.status().pid)));
  const pids = everythingChildren();
  for (const pid of upstreamPids) if (pid !== null) pids.delete(pid);
  return pids;
}

function newPids(before: Set<number>, after: Set<number>): number[] {
  return [...after].filter((pid) => !before.has(pid));
}

function endpointUrl(running: RunningBridgeGateway, kind: EndpointKind): string {
  return `${running.url}${kind === 'sse' ? '/sse' : '/mcp'}`;
}

/** Connects a client and returns it with the pid of the child that its session started. */
async function connectWithChild(url: string, kind: EndpointKind, options: ClientOptions = {}): Promise<{ client: Client; pid: number }> {
  const before = sessionChildren();
  const client = await connectClient(url, kind, options);
  const started = newPids(before, sessionChildren());
  expect(started).toHaveLength(1);
  return { client, pid: started[0]! };
}

/**
 * Ends a client's session the way a well-behaved client does: DELETE on streamable HTTP (the SDK's
 * `close()` alone only drops the connection, and the session then lives until it idles out), the
 * end of the stream on SSE.
 */
async function endSession(client: Client): Promise<void> {
  const transport = client.transport;
  if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession();
  await client.close();
}

const fullClient: ClientOptions = { capabilities: { sampling: {}, elicitation: {} } };

/** A raw `initialize` (POST for /mcp, the opening GET for /sse): the HTTP answer before any SDK. */
async function rawOpen(url: string, kind: EndpointKind): Promise<Response> {
  if (kind === 'sse') return fetch(url, { headers: { accept: 'text/event-stream' } });
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } },
    }),
  });
}

describe.each<EndpointKind>(['streamable-http', 'sse'])('per-session server on %s', (kind) => {
  const url = (): string => endpointUrl(gateway, kind);

  it('gives each session a child of its own, which sees that client\'s capabilities', async () => {
    const full = await connectWithChild(url(), kind, fullClient);
    const bare = await connectWithChild(url(), kind);
    expect(full.pid).not.toBe(bare.pid);
    const live = sessionChildren();
    expect(live.has(full.pid) && live.has(bare.pid)).toBe(true);

    const fullTools = (await full.client.listTools()).tools.map((tool) => tool.name);
    const bareTools = (await bare.client.listTools()).tools.map((tool) => tool.name);
    expect(fullTools).toEqual(expect.arrayContaining(['echo', 'trigger-sampling-request', 'trigger-elicitation-request']));
    expect(bareTools).toContain('echo');
    expect(bareTools).not.toContain('trigger-sampling-request');
    expect(bareTools).not.toContain('trigger-elicitation-request');

    // Ending one session ends its child and no other.
    await endSession(bare.client);
    await waitFor('the ended session\'s child to exit', () => processIsGone(bare.pid), 5_000);
    expect(processIsGone(full.pid)).toBe(false);
    await endSession(full.client);
    await waitFor('the other child to exit', () => processIsGone(full.pid), 5_000);
  });

  it('relays the server\'s sampling request to the client and the client\'s answer back', async () => {
    const { client } = await connectWithChild(url(), kind, fullClient);
    const samplingRequests: unknown[] = [];
    client.setRequestHandler('sampling/createMessage', async (request) => {
      samplingRequests.push(request.params);
      return { model: 'test', role: 'assistant', content: { type: 'text', text: 'from the test' } };
    });
    const { tools } = await client.listTools();
    const tool = tools.find((candidate) => candidate.name === 'trigger-sampling-request');
    expect(tool?.inputSchema.required).toEqual(['prompt']);

    const result = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'say hi', maxTokens: 10 } });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('from the test');
    expect(samplingRequests).toHaveLength(1);
    expect(JSON.stringify(samplingRequests[0])).toContain('say hi');
    await endSession(client);
  });

  it('relays the server\'s elicitation request to the client and the client\'s answer back', async () => {
    const { client } = await connectWithChild(url(), kind, fullClient);
    const elicitations: Array<{ requestedSchema?: { required?: string[] } }> = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      elicitations.push(request.params as (typeof elicitations)[number]);
      return { action: 'accept', content: { name: 'Ada Lovelace', check: true, integer: 7 } };
    });
    const { tools } = await client.listTools();
    const tool = tools.find((candidate) => candidate.name === 'trigger-elicitation-request');
    expect(tool?.inputSchema.required ?? []).toEqual([]);

    const result = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(elicitations).toHaveLength(1);
    expect(elicitations[0]?.requestedSchema?.required).toEqual(['name']);
    const text = textOf(result);
    expect(text).toContain('User provided the requested information');
    expect(text).toContain('- Name: Ada Lovelace');
    expect(text).toContain('- Agreed to terms: true');
    expect(text).toContain('- Favorite Integer: 7');
    await endSession(client);
  });

  it('keeps each session\'s progress to itself when two sessions run at once', async () => {
    // One after the other, so that each child is known to belong to its session.
    const first = await connectWithChild(url(), kind);
    const second = await connectWithChild(url(), kind);
    expect(first.pid).not.toBe(second.pid);
    const progressOf = { first: [] as number[], second: [] as number[] };
    const [firstResult, secondResult] = await Promise.all([
      first.client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
        { onprogress: (progress) => progressOf.first.push(progress.progress) },
      ),
      second.client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 6 } },
        { onprogress: (progress) => progressOf.second.push(progress.progress) },
      ),
    ]);
    expect(textOf(firstResult)).toContain('Steps: 3');
    expect(textOf(secondResult)).toContain('Steps: 6');
    expect(progressOf.first).toEqual([1, 2, 3]);
    expect(progressOf.second).toEqual([1, 2, 3, 4, 5, 6]);
    await Promise.all([endSession(first.client), endSession(second.client)]);
  });

  it('answers a call in flight at once when the session\'s child is killed, and a new session gets a new child', { timeout: 15_000 }, async () => {
    const { client, pid } = await connectWithChild(url(), kind);
    const progress: number[] = [];
    const call = client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 5, steps: 50 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    const outcome = call.then(
      () => ({ settledAt: Date.now(), error: undefined }),
      (error: unknown) => ({ settledAt: Date.now(), error: error as Error }),
    );
    // The call is running on the child once its progress comes back.
    await waitFor('the first progress notification', () => progress.length > 0, 5_000);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const { settledAt, error } = await outcome;
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toMatch(/server "everything"/);
    expect(error?.message).toMatch(/went away during tools\/call/);
    expect(settledAt - killedAt).toBeLessThan(2_000);
    await waitFor('the killed child to be gone', () => processIsGone(pid), 5_000);
    // Its session ended with it: the id is unknown now, the client's cue to start a new one.
    expect(await probeSession(gateway, kind, sessionIdOf(client))).toBe(404);

    const next = await connectWithChild(url(), kind);
    expect(next.pid).not.toBe(pid);
    const result = await next.client.callTool({ name: 'echo', arguments: { message: 'again' } });
    expect(textOf(result)).toBe('Echo: again');
    await client.close().catch(() => undefined);
    await endSession(next.client);
  });

  it('refuses a session over maxSessions with 503 and Retry-After, and takes one again once a session ends', { timeout: 20_000 }, async () => {
    const limited = await startPerSessionGateway(2);
    const limitedUrl = endpointUrl(limited, kind);
    const first = await connectWithChild(limitedUrl, kind);
    const second = await connectWithChild(limitedUrl, kind);

    const before = sessionChildren();
    await expect(connectClient(limitedUrl, kind)).rejects.toThrow();
    const refused = await rawOpen(limitedUrl, kind);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    const body = (await refused.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/server "everything" already has 2 sessions/);
    // A refused session starts no child.
    expect(newPids(before, sessionChildren())).toEqual([]);

    await endSession(first.client);
    await waitFor('the ended session\'s child to exit', () => processIsGone(first.pid), 5_000);
    const third = await connectWithChild(limitedUrl, kind);
    expect((await third.client.callTool({ name: 'echo', arguments: { message: 'third' } })).content).toEqual([{ type: 'text', text: 'Echo: third' }]);
    await Promise.all([endSession(second.client), endSession(third.client)]);
  });
});

describe('per-session server on streamable-http, a client that leaves without DELETE', () => {
  it('keeps its child and its maxSessions slot until the session idles out', { timeout: 15_000 }, async () => {
    const idling = await startPerSessionGateway(1, { mcp: { sessionIdleTimeoutMs: 1_000 } });
    const mcpUrl = endpointUrl(idling, 'streamable-http');
    const { client, pid } = await connectWithChild(mcpUrl, 'streamable-http');
    // The SDK's close() only drops the connection: the gateway cannot tell the client is gone.
    await client.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processIsGone(pid)).toBe(false);
    expect((await rawOpen(mcpUrl, 'streamable-http')).status).toBe(503);
    // Idle (no request in flight, no open stream) for sessionIdleTimeoutMs: reaped, child and all.
    await waitFor('the idle session\'s child to exit', () => processIsGone(pid), 5_000);
    const next = await connectWithChild(mcpUrl, 'streamable-http');
    expect(next.pid).not.toBe(pid);
    await endSession(next.client);
  });
});

describe('many sessions', () => {
  it('opens and closes 100 sessions (50 on /mcp, 50 on /sse) and leaves no child and no session behind', { timeout: 60_000 }, async () => {
    // Sessions of the tests above end asynchronously; start from a clean slate.
    await waitFor('earlier sessions\' children to exit', () => sessionChildren().size === 0, 10_000);
    const many = await startPerSessionGateway(100);
    const opened: Array<{ client: Client; kind: EndpointKind; sessionId: string }> = [];
    const kinds: EndpointKind[] = Array.from({ length: 100 }, (_, index) => (index % 2 === 0 ? 'streamable-http' : 'sse'));
    for (let start = 0; start < kinds.length; start += 20) {
      const batch = await Promise.all(
        kinds.slice(start, start + 20).map(async (kind) => {
          const client = await connectClient(endpointUrl(many, kind), kind);
          const { tools } = await client.listTools();
          expect(tools.map((tool) => tool.name)).toContain('echo');
          return { client, kind, sessionId: sessionIdOf(client) };
        }),
      );
      opened.push(...batch);
    }
    const pids = sessionChildren();
    expect(pids.size).toBe(100);
    expect(new Set(opened.map(({ sessionId }) => sessionId)).size).toBe(100);

    // At the limit: the 101st is refused (and starts nothing).
    expect((await rawOpen(endpointUrl(many, 'streamable-http'), 'streamable-http')).status).toBe(503);

    await Promise.all(opened.map(({ client }) => endSession(client)));
    await waitFor('every session child to exit', () => [...pids].every((pid) => processIsGone(pid)), 5_000);
    expect(sessionChildren().size).toBe(0);

    // The gateway has forgotten every session: each id is now unknown (404).
    const statuses = await Promise.all(opened.map(({ kind, sessionId }) => probeSession(many, kind, sessionId)));
    expect(statuses.filter((status) => status !== 404)).toEqual([]);
  });
});

/** The session id the gateway gave a client (the `Mcp-Session-Id`, or the SSE endpoint's `sessionId`). */
function sessionIdOf(client: Client): string {
  const transport = client.transport as { sessionId?: string; _endpoint?: URL };
  const id = transport instanceof StreamableHTTPClientTransport ? transport.sessionId : transport._endpoint?.searchParams.get('sessionId');
  if (!id) throw new Error('the client has no session id');
  return id;
}

/** The HTTP status a request naming a session gets: 404 once the gateway no longer knows it. */
async function probeSession(running: RunningBridgeGateway, kind: EndpointKind, sessionId: string): Promise<number> {
  const ping = JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'ping' });
  const response =
    kind === 'sse'
      ? await fetch(`${running.url}/messages?sessionId=${encodeURIComponent(sessionId)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ping })
      : await fetch(`${running.url}/mcp`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-session-id': sessionId,
            'mcp-protocol-version': '2025-06-18',
          },
          body: ping,
        });
  await response.body?.cancel();
  return response.status;
}
