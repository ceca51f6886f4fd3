/**
 * A `tools/call` whose `arguments` is not an object is refused by the gateway with -32602 on
 * every kind of MCP session, before it reaches the server: the scripted fixture, like many
 * servers, trusts the schema and would crash on `null`, and a shared server's crash is every
 * session's.
 */
import { describe, expect, it } from 'vitest';
import { stdioConfig } from '../helpers/fixtures.js';
import { startRestGateway } from '../rest/rest-gateway.js';
import { RawMcpSession } from './bridge-gateway.js';

describe('tools/call with arguments that are not an object', () => {
  it.for([
    ['shared', '/shared/mcp', 'echo'],
    ['per-session', '/own/mcp', 'echo'],
    ['aggregated', '/mcp', 'shared_echo'],
  ] as const)('%s session: -32602 naming the problem, and the server serves on', async ([_kind, path, tool]) => {
    const { url, gateway } = await startRestGateway([stdioConfig({ name: 'shared' }), stdioConfig({ name: 'own', sharing: 'per-session' })], { mode: 'multi' });
    const pidBefore = gateway.upstreams.get('shared')!.status().pid;
    const session = await RawMcpSession.open(`${url}${path}`);
    for (const [id, args, kind] of [[1, null, 'null'], [2, [1, 2], 'an array'], [3, 'text', 'string'], [4, 7, 'number']] as const) {
      const messages = await session.request({ id, method: 'tools/call', params: { name: tool, arguments: args } });
      expect(messages.at(-1), JSON.stringify(args)).toEqual({
        jsonrpc: '2.0',
        id,
        error: { code: -32602, message: `Invalid params: tools/call "arguments" must be an object, got ${kind}` },
      });
    }
    const ok = await session.request({ id: 5, method: 'tools/call', params: { name: tool, arguments: { message: 'still here' } } });
    expect(ok.at(-1).result.content[0].text).toBe('still here');
    const noArguments = await session.request({ id: 6, method: 'tools/call', params: { name: tool.replace('echo', 'pid') } });
    expect(noArguments.at(-1).result, 'arguments may be left out').toBeDefined();
    expect(gateway.upstreams.get('shared')!.status().pid).toBe(pidBefore);
  });
});
