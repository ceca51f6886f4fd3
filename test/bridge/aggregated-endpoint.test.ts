/**
 * The aggregated endpoint: with a config file, `/mcp` and `/sse` serve every server's tools,
 * prompts and resources as one MCP server (server-everything and the REST fixture server over
 * stdio behind a real gateway, real SDK clients).
 */
import { describe, expect, it } from 'vitest';
import { aggregatedNames } from '../../src/bridge/aggregate-session.js';
import { processIsGone, waitFor } from '../helpers/fixtures.js';
import { restFixtureConfig } from '../rest/rest-gateway.js';
import { connectClient, everythingStdio, startBridgeGateway } from './bridge-gateway.js';

describe('aggregated names', () => {
  it('prefix the server name, fit ^[a-zA-Z0-9_-]{1,64}$ and depend only on their own server', () => {
    const long = 'a'.repeat(70);
    const names = aggregatedNames('time', ['get_current_time', 'convert.time', long]);
    expect(names.get('get_current_time')).toBe('time_get_current_time');
    expect(names.get('convert.time')).toMatch(/^time_convert_time$/);
    expect(names.get(long)).toMatch(/^time_a+_[0-9a-f]{8}$/);
    for (const name of names.values()) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(aggregatedNames('time', ['get_current_time', 'convert.time', long])).toEqual(names);
    expect(aggregatedNames('a.long.server.name.with.dots.and.more.words.than.fit', ['tool']).get('tool')).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });
});

describe('the aggregated endpoint', async () => {
  // A restart waits 1.5 s, long enough to look at the endpoint while the fixture is down.
  const gateway = await startBridgeGateway([everythingStdio(), restFixtureConfig()], { mode: 'multi' }, { initialMs: 1_500, maxMs: 1_500 });

  it.each(['/mcp', '/sse'] as const)('%s lists every server\'s tools under prefixed names and routes calls, progress included', async (path) => {
    const client = await connectClient(`${gateway.url}${path}`, path === '/mcp' ? 'streamable-http' : 'sse');
    expect(client.getServerVersion()?.name).toBe('mcpgate');
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['everything_echo', 'everything_trigger-long-running-operation', 'fixture_slow', 'fixture_structured']));
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    const echo = await client.callTool({ name: 'everything_echo', arguments: { message: 'aggregated' } });
    expect(echo.content).toEqual([{ type: 'text', text: 'Echo: aggregated' }]);
    const progress: number[] = [];
    await client.callTool({ name: 'everything_trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } }, { onprogress: (p) => progress.push(p.progress) });
    expect(progress).toEqual([1, 2]);
    await expect(client.callTool({ name: 'nobody_tool', arguments: {} })).rejects.toThrow(/Unknown tool: nobody_tool/);
  });

  it('serves prompts under prefixed names and reads resources from the server that lists them', async () => {
    const client = await connectClient(`${gateway.url}/mcp`, 'streamable-http');
    const prompts = (await client.listPrompts()).prompts.map((prompt) => prompt.name);
    expect(prompts).toEqual(expect.arrayContaining(['everything_simple-prompt', 'fixture_greet']));
    const prompt = await client.getPrompt({ name: 'fixture_greet', arguments: { who: 'Ada' } });
    expect(JSON.stringify(prompt.messages)).toContain('Ada');
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toContain('fixture://greeting');
    const read = await client.readResource({ uri: 'fixture://greeting' });
    expect(read.contents.length).toBeGreaterThan(0);
  });

  it('removes a server\'s tools with list_changed when it goes down, keeps the others, and brings them back', { timeout: 20_000 }, async () => {
    const client = await connectClient(`${gateway.url}/mcp`, 'streamable-http');
    let changes = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => void (changes += 1));
    const upstream = gateway.gateway.upstreams.get('fixture')!;
    const pid = upstream.status().pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor('list_changed', () => changes > 0);
    await waitFor('the child to be gone', () => processIsGone(pid));
    expect(upstream.currentState).toBe('down');
    const during = (await client.listTools()).tools.map((tool) => tool.name);
    expect(during.some((name) => name.startsWith('fixture_'))).toBe(false);
    expect(during).toContain('everything_echo');
    expect((await client.callTool({ name: 'everything_echo', arguments: { message: 'still here' } })).content).toEqual([{ type: 'text', text: 'Echo: still here' }]);
    // A call to the server that is down says so and why (as REST's 503 does), not that the tool does not exist.
    await expect(client.callTool({ name: 'fixture_slow', arguments: { ms: 1 } })).rejects.toThrow(/server "fixture" is (down|starting): connection closed: process was killed by SIGKILL/);
    await expect(client.getPrompt({ name: 'fixture_greet', arguments: { who: 'Ada' } })).rejects.toThrow(/server "fixture" is (down|starting)/);
    await expect(client.callTool({ name: 'nobody_tool', arguments: {} })).rejects.toThrow(/Unknown tool: nobody_tool/);
    await waitFor('the fixture tools to come back', async () => (await client.listTools()).tools.some((tool) => tool.name === 'fixture_slow'));
  });
});
