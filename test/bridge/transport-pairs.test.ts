/**
 * Every pair of upstream transport and downstream endpoint: server-everything over stdio, over
 * legacy HTTP+SSE and over streamable HTTP (real child processes on real ports), each behind one
 * gateway, reached by SDK clients of both eras on `/mcp` and by legacy clients on `/sse`. Each
 * pair carries a call, progress, and sampling and elicitation round trips.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { killEverything, startEverything, type EverythingServer } from '../helpers/everything-server.js';
import { freePort, httpConfig, textOf } from '../helpers/fixtures.js';
import { connectClient, everythingStdio, startBridgeGateway } from './bridge-gateway.js';

const [ssePort, streamablePort] = await Promise.all([freePort(), freePort()]);
const servers: EverythingServer[] = await Promise.all([startEverything('sse', ssePort), startEverything('streamableHttp', streamablePort)]);
afterAll(async () => {
  await Promise.all(servers.map((server) => killEverything(server)));
});

const gateway = await startBridgeGateway(
  [
    everythingStdio({ name: 'stdio' }),
    httpConfig(`http://127.0.0.1:${ssePort}/sse`, { name: 'sse', transport: 'sse' }),
    httpConfig(`http://127.0.0.1:${streamablePort}/mcp`, { name: 'streamable-http', transport: 'streamable-http' }),
  ],
  { mode: 'multi' },
);

const modernClients: Client[] = [];
afterAll(async () => {
  await Promise.all(modernClients.map((client) => client.close().catch(() => undefined)));
});

type Downstream = 'legacy /mcp' | 'legacy /sse' | '2026-07-28 /mcp';

async function clientFor(upstream: string, downstream: Downstream, capabilities: Record<string, unknown> = {}): Promise<Client> {
  const base = `${gateway.url}/${upstream}`;
  if (downstream === 'legacy /mcp') return connectClient(`${base}/mcp`, 'streamable-http', { capabilities });
  if (downstream === 'legacy /sse') return connectClient(`${base}/sse`, 'sse', { capabilities });
  const client = new Client({ name: 'modern-client', version: '1.0.0' }, { capabilities, versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
  modernClients.push(client);
  return client;
}


const pairs = ['stdio', 'sse', 'streamable-http'].flatMap((upstream) =>
  (['legacy /mcp', 'legacy /sse', '2026-07-28 /mcp'] as Downstream[]).map((downstream) => [upstream, downstream] as const),
);

describe.each(pairs)('%s upstream, %s client', (upstream, downstream) => {
  it('calls a tool, with its progress under the caller\'s token', async () => {
    const client = await clientFor(upstream, downstream);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: `${upstream} to ${downstream}` } }))).toBe(`Echo: ${upstream} to ${downstream}`);
    const progress: number[] = [];
    await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } }, { onprogress: (p) => progress.push(p.progress) });
    expect(progress).toEqual([1, 2]);
  });

  it('relays sampling and elicitation to the client and its answers back', async () => {
    const client = await clientFor(upstream, downstream, { sampling: {}, elicitation: {} });
    client.setRequestHandler('sampling/createMessage', async () => ({ model: 'm', role: 'assistant' as const, content: { type: 'text' as const, text: `sampled for ${downstream}` } }));
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept' as const, content: { name: `Ada via ${upstream}`, check: true } }));
    expect(textOf(await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } }))).toContain(`sampled for ${downstream}`);
    expect(textOf(await client.callTool({ name: 'trigger-elicitation-request', arguments: {} }))).toContain(`Ada via ${upstream}`);
  });
});
