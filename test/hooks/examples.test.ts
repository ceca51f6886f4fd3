/**
 * The hook modules in `examples/hooks/`, run for real as the README runs them: the `mcpgate`
 * command with `--hook examples/hooks/<file>` (from the repository root) on the bundled demo
 * server, or with a config file whose `"hooks"` names them and server-everything behind it; calls
 * over REST with `fetch` and over `/mcp` with an SDK client.
 */
import { join } from 'node:path';
import { Client, type StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { connectClient } from '../bridge/bridge-gateway.js';
import { baseEnv, binPath, pollReadyz, repoRoot, startCli, stopCleanly, tsxLoaderUrl, useCliLifecycle, type CliProcess } from '../cli/run-cli.js';
import { everythingServerPath, textOf, waitFor } from '../helpers/fixtures.js';
import { post } from '../rest/rest-gateway.js';

const temp = useCliLifecycle();

/** The examples' own variables, removed from the CLI's environment unless a test sets them. */
const EXAMPLE_VARIABLES = ['MCPGATE_BLOCKED_TOOLS', 'MCPGATE_ECHO_PREFIX'];

function exampleEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = baseEnv();
  for (const name of EXAMPLE_VARIABLES) delete env[name];
  return { ...env, ...extra };
}

/** Starts `mcpgate --port 0 ...args` from the repository root and waits until its servers are ready. */
async function startGateway(args: string[], owner: object, env: Record<string, string> = {}): Promise<{ cli: CliProcess; url: string }> {
  const cli = startCli(['--port', '0', ...args], { owner, env: exampleEnv(env) });
  const url = await cli.waitForListening(30_000);
  await pollReadyz(url, (status) => status === 200, 30_000);
  return { cli, url };
}

/** A config file in the temp directory with server-everything as `everything` and these hook modules. */
async function everythingConfig(name: string, hooks: string[]): Promise<string> {
  return temp.write(name, JSON.stringify({ mcpServers: { everything: { command: process.execPath, args: [everythingServerPath, 'stdio'] } }, hooks }));
}

const example = (file: string): string => join(repoRoot, 'examples/hooks', file);
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function callText(client: Client, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string }> {
  const result = await client.callTool({ name, arguments: args });
  return { isError: result.isError === true, text: textOf(result) };
}

describe('examples/hooks/log-messages.mjs', { timeout: 90_000 }, () => {
  it('writes one stderr line per message of REST calls and /mcp sessions, and for start and close; stdout stays empty', async ({ task }) => {
    const { cli, url } = await startGateway(['--hook', 'examples/hooks/log-messages.mjs'], task);
    const port = new URL(url).port;
    await cli.waitForLine(new RegExp(`^\\[log-messages\\] start http://127\\.0\\.0\\.1:${port} servers=demo$`));

    // REST: the MCP request the call stands for, and its response, with the gateway's own id.
    expect(await post(`${url}/echo`, { message: 'hi' })).toMatchObject({ status: 200, body: 'hi' });
    const restRequest = await cli.waitForLine(/^\[log-messages\] client -> demo rest session=- request tools\/call id=mcpgate-rest-\d+$/);
    const restId = /id=(\S+)$/.exec(restRequest)![1]!;
    await cli.waitForLine((line) => line === `[log-messages] server <- demo rest session=- response id=${restId} ok`);

    // /mcp: the session's messages in both directions, with its session id.
    const client = await connectClient(`${url}/mcp`, 'streamable-http');
    const session = (client.transport as StreamableHTTPClientTransport).sessionId;
    expect(session).toMatch(/\S/);
    expect(await callText(client, 'echo', { message: 'over mcp' })).toEqual({ isError: false, text: 'over mcp' });
    const prefix = (direction: string) => `[log-messages] ${direction} demo streamable-http session=${session!} `;
    await cli.waitForLine(/^\[log-messages\] client -> demo streamable-http session=\S+ request initialize id=0$/);
    await cli.waitForLine(new RegExp(`^${escape(prefix('client ->'))}notification notifications/initialized$`));
    const mcpRequest = await cli.waitForLine(new RegExp(`^${escape(prefix('client ->'))}request tools/call id=\\d+$`));
    const mcpId = /id=(\S+)$/.exec(mcpRequest)![1]!;
    await cli.waitForLine(new RegExp(`^${escape(prefix('server <-'))}response id=${mcpId} ok$`));

    await client.close();
    await stopCleanly(cli); // exit code 0 and nothing at all on stdout
    const lines = cli.stderr.split('\n').filter((line) => line.startsWith('[log-messages]'));
    expect(lines.at(-1)).toBe('[log-messages] close');
    expect(lines.filter((line) => line.includes('start '))).toHaveLength(1);
  });

  it('keeps stdout for the protocol in the --stdio client mode', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', tsxLoaderUrl, binPath, '--stdio', '--hook', 'examples/hooks/log-messages.mjs', '--', process.execPath, everythingServerPath, 'stdio'],
      cwd: repoRoot,
      env: exampleEnv() as Record<string, string>,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    // A line on stdout that is not JSON-RPC would reach the client as an error.
    const errors: Error[] = [];
    client.onerror = (error) => errors.push(error);
    await client.connect(transport);
    try {
      expect(await callText(client, 'echo', { message: 'piped' })).toEqual({ isError: false, text: 'Echo: piped' });
      await waitFor('the response line', () => /^\[log-messages\] server <- \S+ stdio session=- response id=\d+ ok$/m.test(stderr));
    } finally {
      await client.close();
    }
    // stdin ended: mcpgate stops, and the hook's onClose runs.
    await waitFor('the close line', () => /^\[log-messages\] close$/m.test(stderr));
    expect(stderr).toMatch(/^\[log-messages\] start \(stdio\) servers=\S+$/m);
    expect(stderr).toMatch(/^\[log-messages\] client -> \S+ stdio session=- request initialize id=0$/m);
    expect(stderr).toMatch(/^\[log-messages\] client -> \S+ stdio session=- request tools\/call id=\d+$/m);
    expect(errors).toEqual([]);
  });
});

describe('examples/hooks/rewrite-arguments.mjs', { timeout: 90_000 }, () => {
  it('prefixes the demo echo tool\'s message over REST and /mcp, and leaves other tools alone', async ({ task }) => {
    const { cli, url } = await startGateway(['--hook', 'examples/hooks/rewrite-arguments.mjs'], task);

    expect(await post(`${url}/echo`, { message: 'hi' })).toMatchObject({ status: 200, body: '[via mcpgate] hi' });
    expect(await post(`${url}/add`, { a: 2, b: 3 })).toMatchObject({ status: 200, body: { sum: 5 } });

    const client = await connectClient(`${url}/mcp`, 'streamable-http');
    expect(await callText(client, 'echo', { message: 'hi' })).toEqual({ isError: false, text: '[via mcpgate] hi' });
    await client.close();
    await stopCleanly(cli);
  });

  it('rewrites server-everything\'s echo on the aggregated endpoint too (prefixed name there), with MCPGATE_ECHO_PREFIX', async ({ task }) => {
    const config = await everythingConfig('rewrite.json', [example('rewrite-arguments.mjs')]);
    const { cli, url } = await startGateway(['--config', config], task, { MCPGATE_ECHO_PREFIX: 'gw: ' });

    expect(await post(`${url}/everything/echo`, { message: 'hi' })).toMatchObject({ status: 200, body: 'Echo: gw: hi' });
    const aggregated = await connectClient(`${url}/mcp`, 'streamable-http');
    expect(await callText(aggregated, 'everything_echo', { message: 'hi' })).toEqual({ isError: false, text: 'Echo: gw: hi' });
    const own = await connectClient(`${url}/everything/mcp`, 'streamable-http');
    expect(await callText(own, 'echo', { message: 'hi' })).toEqual({ isError: false, text: 'Echo: gw: hi' });
    await Promise.all([aggregated.close(), own.close()]);
    await stopCleanly(cli);
  });
});

describe('examples/hooks/block-tool.mjs', { timeout: 90_000 }, () => {
  const refusal = (tool: string, server: string) => `mcpgate refused the call: tool "${tool}" of server "${server}" is blocked`;

  it('refuses the tools MCPGATE_BLOCKED_TOOLS names (any server, or server/tool) over REST and /mcp; other tools work', async ({ task }) => {
    const { cli, url } = await startGateway(['--hook', 'examples/hooks/block-tool.mjs'], task, {
      MCPGATE_BLOCKED_TOOLS: 'add, demo/convert_time,elsewhere/echo',
    });

    const add = await post(`${url}/add`, { a: 1, b: 2 });
    expect(add.status).toBe(500);
    expect(add.body).toEqual({ detail: { message: refusal('add', 'demo') } });
    const convert = await post(`${url}/convert_time`, { source_timezone: 'UTC', time: '12:00', target_timezone: 'Asia/Tokyo' });
    expect(convert).toMatchObject({ status: 500, body: { detail: { message: refusal('convert_time', 'demo') } } });
    // `elsewhere/echo` names another server's echo, not the demo's.
    expect(await post(`${url}/echo`, { message: 'hi' })).toMatchObject({ status: 200, body: 'hi' });

    const client = await connectClient(`${url}/mcp`, 'streamable-http');
    expect(await callText(client, 'add', { a: 1, b: 2 })).toEqual({ isError: true, text: refusal('add', 'demo') });
    expect(await callText(client, 'echo', { message: 'hi' })).toEqual({ isError: false, text: 'hi' });
    // Refused on call, still listed: callers can see the tool and read why it fails.
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('add');
    await client.close();
    await stopCleanly(cli);
  });

  it('blocks server-everything\'s get-env by default, on REST, the server\'s /mcp and the aggregated /mcp', async ({ task }) => {
    const config = await everythingConfig('block.json', [example('block-tool.mjs')]);
    const { cli, url } = await startGateway(['--config', config], task);

    const getEnv = await post(`${url}/everything/get-env`, {});
    expect(getEnv).toMatchObject({ status: 500, body: { detail: { message: refusal('get-env', 'everything') } } });
    expect(await post(`${url}/everything/echo`, { message: 'hi' })).toMatchObject({ status: 200, body: 'Echo: hi' });

    const aggregated = await connectClient(`${url}/mcp`, 'streamable-http');
    expect((await aggregated.listTools()).tools.map((tool) => tool.name)).toContain('everything_get-env');
    expect(await callText(aggregated, 'everything_get-env', {})).toEqual({ isError: true, text: refusal('get-env', 'everything') });
    expect(await callText(aggregated, 'everything_echo', { message: 'hi' })).toEqual({ isError: false, text: 'Echo: hi' });
    const own = await connectClient(`${url}/everything/mcp`, 'streamable-http');
    expect(await callText(own, 'get-env', {})).toEqual({ isError: true, text: refusal('get-env', 'everything') });
    await Promise.all([aggregated.close(), own.close()]);
    await stopCleanly(cli);
  });
});
