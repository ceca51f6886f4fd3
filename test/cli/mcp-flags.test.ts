/**
 * The MCP frontends' flags through the real CLI: accepted together, `--allow-origin` filling the
 * same allowed-origins list as `--cors-allow-origins`, `--stateless`, and `--max-sessions` without
 * `--sharing per-session` ignored with a warning.
 */
import { describe, expect, it } from 'vitest';
import { pollReadyz, startCli, stopCleanly, useCliLifecycle } from './run-cli.js';

useCliLifecycle();

/** The `Access-Control-Allow-Origin` the gateway answers a preflight from `origin` with. */
async function allowedOrigin(url: string, origin: string): Promise<string | null> {
  const response = await fetch(`${url}/echo`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST' },
  });
  await response.body?.cancel();
  return response.headers.get('access-control-allow-origin');
}

describe.concurrent('MCP frontend flags', () => {
  it('--allow-origin (repeatable, comma-separated) with --cors-allow-origins, --allowed-hosts, --session-idle-timeout, --sharing, --max-sessions', async ({ task }) => {
    const cli = startCli(
      [
        '--port', '0',
        '--allow-origin', 'http://a.test,http://b.test',
        '--allow-origin', 'http://c.test',
        '--cors-allow-origins', 'http://d.test',
        '--allowed-hosts', 'gateway.lan,gateway.lan:8000',
        '--allowed-hosts', '*',
        '--session-idle-timeout', '0',
        '--sharing', 'per-session',
        '--max-sessions', '3',
      ],
      { owner: task },
    );
    const url = await cli.waitForListening();
    await pollReadyz(url);
    for (const origin of ['http://a.test', 'http://b.test', 'http://c.test', 'http://d.test']) {
      expect(await allowedOrigin(url, origin), origin).toBe(origin);
    }
    expect(await allowedOrigin(url, 'http://e.test')).toBeNull();
    expect(cli.logRecords().some((record) => record.msg.startsWith('--max-sessions'))).toBe(false);
    await stopCleanly(cli);
  });

  it('--stateless serves /mcp without sessions', async ({ task }) => {
    const cli = startCli(['--port', '0', '--stateless'], { owner: task });
    const url = await cli.waitForListening();
    await pollReadyz(url);
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
    const initialize = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'cli-test', version: '1' } } }),
    });
    expect(initialize.status).toBe(200);
    expect(initialize.headers.get('mcp-session-id')).toBeNull();
    await initialize.text();
    const list = await fetch(`${url}/mcp`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
    expect(list.status).toBe(200);
    expect(await list.text()).toContain('"tools"');
    const get = await fetch(`${url}/mcp`, { headers: { accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    await get.body?.cancel();
    await stopCleanly(cli);
  });

  it('--max-sessions without --sharing per-session is ignored with a warning', async ({ task }) => {
    const cli = startCli(['--port', '0', '--sharing', 'shared', '--max-sessions', '2'], { owner: task });
    const url = await cli.waitForListening();
    await pollReadyz(url);
    const warning = cli.logRecords().find((record) => record.msg.startsWith('--max-sessions'));
    expect(warning, cli.transcript()).toMatchObject({ level: 40, msg: '--max-sessions: ignored: only used with --sharing per-session' });
    await stopCleanly(cli);
  });
});
