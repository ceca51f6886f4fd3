/**
 * The MCP frontends on a shared upstream: server-everything over stdio behind one gateway, real
 * SDK clients on `/mcp` (streamable HTTP) and `/sse` (HTTP+SSE).
 */
import { describe, expect, it } from 'vitest';
import { connectClient, everythingStdio, startBridgeGateway, type EndpointKind } from './bridge-gateway.js';

const gateway = await startBridgeGateway([everythingStdio()]);

describe.each<[EndpointKind, string]>([
  ['streamable-http', '/mcp'],
  ['sse', '/sse'],
])('%s at %s', (kind, path) => {
  it('initializes with the server\'s own identity and lists and calls its tools', async () => {
    const client = await connectClient(`${gateway.url}${path}`, kind);
    expect(client.getServerVersion()?.name).toBe('mcp-servers/everything');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('echo');
    const result = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
    expect(result.content).toEqual([{ type: 'text', text: 'Echo: hi' }]);
  });

  it('re-tags progress with the caller\'s token', async () => {
    const client = await connectClient(`${gateway.url}${path}`, kind);
    const progress: number[] = [];
    const result = await client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(result.isError).toBeFalsy();
    expect(progress).toEqual([1, 2, 3]);
  });
});
