/**
 * The MCP frontends on a shared upstream: server-everything over stdio (and the REST fixture
 * server) behind one gateway, real SDK clients and raw `fetch` sessions on `/mcp` and `/sse`.
 * Every session goes through the one supervised connection, so these tests are about what must
 * not cross between sessions: ids, progress, server requests, resource updates.
 */
import { describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import { restFixtureConfig } from '../rest/rest-gateway.js';
import { processIsGone, textOf, waitFor } from '../helpers/fixtures.js';
import { connectClient, everythingStdio, RawMcpSession, startBridgeGateway, type EndpointKind } from './bridge-gateway.js';

const gateway = await startBridgeGateway(
  [everythingStdio({ disabledTools: ['get-env'] }), restFixtureConfig()],
  { mode: 'multi' },
);
const everything = `${gateway.url}/everything`;

const samplingAnswer = (text: string) => async () => ({ model: 'test-model', role: 'assistant' as const, content: { type: 'text' as const, text } });


describe.each<[EndpointKind, string]>([
  ['streamable-http', '/mcp'],
  ['sse', '/sse'],
])('%s', (kind, path) => {
  it("initializes with the server's own identity and lists and calls its tools, filtered as configured", async () => {
    const client = await connectClient(`${everything}${path}`, kind);
    expect(client.getServerVersion()?.name).toBe('mcp-servers/everything');
    expect(client.getInstructions()).toBeTruthy();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('echo');
    expect(tools.map((tool) => tool.name)).not.toContain('get-env');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'hi' } }))).toBe('Echo: hi');
    const refused = await client.callTool({ name: 'get-env', arguments: {} }).catch((error: Error) => error);
    expect(String(refused)).toMatch(/Unknown tool: get-env/);
  });

  it("re-tags progress with the caller's token", async () => {
    const client = await connectClient(`${everything}${path}`, kind);
    const progress: number[] = [];
    const result = await client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(result.isError).toBeFalsy();
    expect(progress).toEqual([1, 2, 3]);
  });

  it('relays a sampling request to the one client waiting on the server, and its answer back', async () => {
    const client = await connectClient(`${everything}${path}`, kind, { capabilities: { sampling: {} } });
    client.setRequestHandler('sampling/createMessage', samplingAnswer(`sampled over ${kind}`));
    const result = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 10 } });
    expect(textOf(result)).toContain(`sampled over ${kind}`);
  });

  it('relays an elicitation request and the user\'s answer', async () => {
    const client = await connectClient(`${everything}${path}`, kind, { capabilities: { elicitation: {} } });
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept' as const, content: { name: 'Ada Lovelace', check: true } }));
    const result = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    expect(textOf(result)).toContain('Ada Lovelace');
  });
});

describe('no cross-talk between sessions', () => {
  it('answers two sessions that use the same ids (1 and "1") each with its own result, the id type kept', async () => {
    const [a, b] = await Promise.all([RawMcpSession.open(`${everything}/mcp`), RawMcpSession.open(`${everything}/mcp`)]);
    const calls = [
      a.request({ id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'a-number' } } }),
      a.request({ id: '1', method: 'tools/call', params: { name: 'echo', arguments: { message: 'a-string' } } }),
      b.request({ id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'b-number' } } }),
      b.request({ id: '1', method: 'tools/call', params: { name: 'echo', arguments: { message: 'b-string' } } }),
      a.request({ id: 0, method: 'tools/call', params: { name: 'echo', arguments: { message: 'a-zero' } } }),
      b.request({ id: Number.MAX_SAFE_INTEGER, method: 'tools/call', params: { name: 'echo', arguments: { message: 'b-largest' } } }),
    ];
    const answers = (await Promise.all(calls)).map((messages) => messages.at(-1));
    expect(answers.map((answer) => [answer.id, answer.result.content[0].text])).toEqual([
      [1, 'Echo: a-number'],
      ['1', 'Echo: a-string'],
      [1, 'Echo: b-number'],
      ['1', 'Echo: b-string'],
      [0, 'Echo: a-zero'],
      [Number.MAX_SAFE_INTEGER, 'Echo: b-largest'],
    ]);
  });

  it('sends progress only to the session whose call it is', async () => {
    const [a, b] = await Promise.all([connectClient(`${everything}/mcp`, 'streamable-http'), connectClient(`${everything}/sse`, 'sse')]);
    const seen = { a: [] as number[], b: [] as number[] };
    await Promise.all([
      a.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.4, steps: 4 } }, { onprogress: (p) => seen.a.push(p.progress) }),
      b.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } }, { onprogress: (p) => seen.b.push(p.progress) }),
    ]);
    expect(seen).toEqual({ a: [1, 2, 3, 4], b: [1, 2] });
  });

  it("relays the server's roots/list to the one client waiting on it, which declared roots", async () => {
    const client = await connectClient(`${everything}/mcp`, 'streamable-http', { capabilities: { roots: {} } });
    client.setRequestHandler('roots/list', async () => ({ roots: [{ uri: 'file:///home/ada/notes', name: 'Notes' }] }));
    const result = await client.callTool({ name: 'get-roots-list', arguments: {} });
    expect(textOf(result)).toContain('file:///home/ada/notes');
  });

  it('refuses a sampling request it cannot attribute (two capable clients waiting) instead of guessing', async () => {
    const answered: string[] = [];
    const [a, b] = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const client = await connectClient(`${everything}/mcp`, 'streamable-http', { capabilities: { sampling: {} } }, name);
        client.setRequestHandler('sampling/createMessage', async () => {
          answered.push(name);
          return samplingAnswer(name)();
        });
        return client;
      }),
    ) as [Client, Client];
    const waiting = a.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 2 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const result = await b.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 10 } }).catch((error: Error) => error);
    expect(String(result instanceof Error ? result.message : textOf(result))).toMatch(/cannot tell which one sampling\/createMessage is for/);
    expect(answered).toEqual([]);
    await waiting;
  });

  it('sends resource updates only to the session that subscribed', { timeout: 20_000 }, async () => {
    const updates = { subscriber: [] as string[], other: [] as string[] };
    const subscriber = await connectClient(`${everything}/mcp`, 'streamable-http');
    const other = await connectClient(`${everything}/sse`, 'sse');
    subscriber.setNotificationHandler('notifications/resources/updated', (n) => void updates.subscriber.push(n.params.uri));
    other.setNotificationHandler('notifications/resources/updated', (n) => void updates.other.push(n.params.uri));
    const uri = 'demo://resource/static/document/architecture.md';
    await subscriber.subscribeResource({ uri });
    await subscriber.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
    await waitFor('a resource update', () => updates.subscriber.length > 0, 15_000);
    expect(updates.subscriber).toContain(uri);
    expect(updates.other).toEqual([]);
    await subscriber.unsubscribeResource({ uri });
  });
});

describe('cancellation and failures', () => {
  const fixture = `${gateway.url}/fixture/mcp`;

  it('cancels the right upstream request when the client cancels, and answers nothing for it', async () => {
    const client = await connectClient(fixture, 'streamable-http');
    const before = JSON.parse(textOf(await client.callTool({ name: 'cancelled_ids', arguments: {} }))) as unknown[];
    const controller = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: { ms: 5_000 } }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 150));
    controller.abort('changed my mind');
    await expect(call).rejects.toThrow();
    const after = await waitFor('the cancellation upstream', async () => {
      const ids = JSON.parse(textOf(await client.callTool({ name: 'cancelled_ids', arguments: {} }))) as unknown[];
      return ids.length > before.length ? ids : undefined;
    });
    // The fixture saw the gateway's own id for that request, not the client's.
    expect(after).toHaveLength(before.length + 1);
    expect(textOf(await client.callTool({ name: 'slow', arguments: { ms: 10 } }))).toBe('done');
  });

  it('fails a call at once when the shared child dies mid-call, and the session carries on after the restart', { timeout: 20_000 }, async () => {
    const client = await connectClient(fixture, 'streamable-http');
    const upstream = gateway.gateway.upstreams.get('fixture')!;
    const pid = upstream.status().pid!;
    const call = client.callTool({ name: 'slow', arguments: { ms: 10_000 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    process.kill(pid, 'SIGKILL');
    await expect(call).rejects.toThrow(/fixture/);
    expect(Date.now() - started).toBeLessThan(2_000);
    await waitFor('the child to be gone', () => processIsGone(pid));
    await waitFor('the restart', () => upstream.currentState === 'ready' && upstream.status().pid !== pid);
    expect(textOf(await client.callTool({ name: 'slow', arguments: { ms: 10 } }))).toBe('done');
  });
});
