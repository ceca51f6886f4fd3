/**
 * `mcpgate --stdio`: the real CLI between a real SDK client (over its stdio transport) and real
 * servers: server-everything over streamable HTTP and HTTP+SSE (children on free ports), and a
 * stdio child (the stdio-to-stdio tap). Nothing is mocked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type ClientOptions, type JSONRPCMessage } from '@modelcontextprotocol/client';
import { startModernHttpServer, type ModernHttpServer } from '../fixtures/modern-http-server.js';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { isJsonRpcEnvelope } from '../../src/framing/json-lines.js';
import { baseEnv, binPath, repoRoot, runCli, tsxLoaderUrl, useCliLifecycle } from '../cli/run-cli.js';
import { freePort, processIsGone, scriptedServerPath, textOf, waitFor } from '../helpers/fixtures.js';
import {
  killEverything,
  startEverything,
  startRecordingProxy,
  type EverythingServer,
  type HeaderRecordingProxy,
} from '../helpers/everything-server.js';

const temp = useCliLifecycle();

interface RelayClient {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  /** Errors the client saw on its transport (a non-JSON-RPC line on stdout would be one). */
  errors: Error[];
}

const clients: RelayClient[] = [];
const rawRelays: RawRelay[] = [];

/** Starts `mcpgate --stdio ...args` under a real SDK client and connects. */
async function connectRelay(args: string[], options: ClientOptions = {}): Promise<RelayClient> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', tsxLoaderUrl, binPath, '--stdio', ...args],
    cwd: repoRoot,
    env: baseEnv() as Record<string, string>,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'relay-test', version: '1.0.0' }, options);
  const errors: Error[] = [];
  client.onerror = (error) => errors.push(error);
  const relay = { client, transport, stderr: () => stderr, errors };
  clients.push(relay);
  await client.connect(transport);
  return relay;
}

const UNKNOWN_PROGRESS_TOKEN = /^Received a progress notification for an unknown token: /;

/** Progress notifications the client received after the response of their request. */
function lateProgress(relay: RelayClient): Array<{ params: { progress: number } }> {
  return relay.errors
    .filter((error) => UNKNOWN_PROGRESS_TOKEN.test(error.message))
    .map((error) => JSON.parse(error.message.replace(UNKNOWN_PROGRESS_TOKEN, '')) as { params: { progress: number } });
}

/** Every other error the client saw (a line on stdout that is not JSON-RPC would be one). */
function otherErrors(relay: RelayClient): string[] {
  return relay.errors.map((error) => error.message).filter((message) => !UNKNOWN_PROGRESS_TOKEN.test(message));
}

afterAll(async () => {
  await Promise.all(clients.map((relay) => relay.client.close().catch(() => undefined)));
  for (const raw of rawRelays) if (raw.child.exitCode === null) raw.child.kill('SIGKILL');
});

/** A raw `mcpgate --stdio` process: lines in, lines out. */
class RawRelay {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private partial = '';

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, ['--import', tsxLoaderUrl, binPath, '--stdio', ...args], {
      cwd: repoRoot,
      env: baseEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
    rawRelays.push(this);
  }

  send(message: Record<string, unknown>): void {
    this.child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  }

  messages(): JSONRPCMessage[] {
    return this.lines.map((line) => JSON.parse(line) as JSONRPCMessage);
  }

  /** Waits for the response with `id`. */
  async response(id: string | number): Promise<Record<string, unknown>> {
    const found = await waitFor(`response ${id}`, () => this.messages().find((m) => 'id' in m && m.id === id && !('method' in m)), 15_000);
    return found as unknown as Record<string, unknown>;
  }

  initialize(id: string | number = 'init-1'): void {
    this.send({ id, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  }
}

describe('remote servers (server-everything over streamable HTTP and HTTP+SSE)', () => {
  let streamable: EverythingServer;
  let sse: EverythingServer;
  let proxy: HeaderRecordingProxy;

  beforeAll(async () => {
    [streamable, sse] = await Promise.all([
      freePort().then((port) => startEverything('streamableHttp', port)),
      freePort().then((port) => startEverything('sse', port)),
    ]);
    proxy = await startRecordingProxy(streamable.port);
  });

  afterAll(async () => {
    await Promise.all(clients.map((relay) => relay.client.close().catch(() => undefined)));
    proxy?.server.closeAllConnections();
    proxy?.server.close();
    await Promise.all([killEverything(streamable), killEverything(sse)]);
  });

  const cases = [
    { name: 'streamable HTTP', args: () => ['--server-type', 'streamable-http', '--', `http://127.0.0.1:${streamable.port}/mcp`] },
    { name: 'HTTP+SSE', args: () => ['--server-type', 'sse', '--', `http://127.0.0.1:${sse.port}/sse`] },
    { name: 'a streamable HTTP URL, auto-detected', args: () => ['--', `http://127.0.0.1:${streamable.port}/mcp`] },
    { name: 'an SSE URL, auto-detected', args: () => ['--', `http://127.0.0.1:${sse.port}/sse`] },
  ];

  it.concurrent.each(cases)('$name: tools, echo, progress, cancellation', async ({ args }) => {
    const relay = await connectRelay(args());
    const { client } = relay;
    expect(client.getServerVersion()?.name).toMatch(/everything/i);

    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['echo', 'trigger-long-running-operation']));
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'through the relay' } }))).toBe('Echo: through the relay');

    const progress: number[] = [];
    const long = await client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
      { onprogress: (update) => progress.push(update.progress) },
    );
    expect(textOf(long)).toMatch(/completed/i);
    // Every step reached the client. The SDK client drops its progress handler when the response
    // settles, so a last step read in the same chunk as the response arrives "for an unknown token".
    const late = lateProgress(relay).map((notification) => notification.params.progress);
    expect([...progress, ...late]).toEqual([1, 2, 3]);

    // Cancellation: the call rejects promptly, and the relay carries on.
    const controller = new AbortController();
    const started = Date.now();
    const cancelled = client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 20, steps: 20 } },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error('the user gave up')), 200);
    await expect(cancelled).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'still here' } }))).toBe('Echo: still here');

    // stdout carried only JSON-RPC: the client's reader saw nothing else.
    expect(otherErrors(relay)).toEqual([]);
    expect(relay.stderr()).toContain('relaying stdin/stdout to');
  });

  it('--header reaches the remote server with every request', async () => {
    const relay = await connectRelay([
      '--server-type', 'streamable-http',
      '--header', '{"Authorization":"Bearer relay-t0ken","X-Relay-Test":"yes"}',
      '--', `http://127.0.0.1:${proxy.port}/mcp`,
    ]);
    expect(textOf(await relay.client.callTool({ name: 'echo', arguments: { message: 'with headers' } }))).toBe('Echo: with headers');
    expect(proxy.seen.length).toBeGreaterThanOrEqual(3); // initialize, initialized, tools/call (and the GET stream)
    for (const headers of proxy.seen) {
      expect(headers.authorization).toBe('Bearer relay-t0ken');
      expect(headers['x-relay-test']).toBe('yes');
    }
    // The token is never logged.
    expect(relay.stderr()).not.toContain('relay-t0ken');
  });
});

describe('a 2026-07-28 remote', () => {
  let modern: ModernHttpServer;
  beforeAll(async () => {
    modern = await startModernHttpServer();
  });
  afterAll(() => modern.close());

  it("serves a 2025-era client through a translating session: initialize from the remote's discover, calls, input_required as elicitation", async () => {
    const relay = await connectRelay(['--', modern.url], { capabilities: { elicitation: {} } });
    expect(relay.client.getServerVersion()?.name).toBe('modern-http-fixture');
    expect(textOf(await relay.client.callTool({ name: 'whoami', arguments: {} }))).toBe('modern');
    relay.client.setRequestHandler('elicitation/create', async () => ({ action: 'accept' as const, content: { ok: true } }));
    expect(textOf(await relay.client.callTool({ name: 'confirm', arguments: { question: 'Go on?' } }))).toBe('accept: yes');
    expect(relay.stderr()).toContain('serving this 2025-era client through a translating session');
  });

  it('relays a 2026-07-28 client message by message', async () => {
    const relay = await connectRelay(['--', modern.url], { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    expect(textOf(await relay.client.callTool({ name: 'echo', arguments: { message: 'piped' } }))).toBe('piped');
    expect(relay.stderr()).toContain('relaying stdin/stdout to');
  });
});

describe('hooks in the stdio mode', () => {
  const rewriter = `export default {
    name: 'rewriter',
    onToolCall: (next) => (call, context) => next({ ...call, arguments: { ...call.arguments, message: call.arguments.message + ' via ' + context.frontend } }, context),
    onClientMessage: (next) => (message, context) => {
      if (message.method === 'tools/call' && message.params?.name === 'slow') return { error: { code: -32600, message: 'slow calls are refused here' } };
      return next(message, context);
    },
    allowTool: (server, tool) => tool !== 'cancelled_ids',
  };`;

  it('run on the relayed messages and calls, hide refused tools, and the audit log records the calls', async () => {
    const hook = await temp.write('stdio-rewriter.mjs', rewriter);
    const audit = `${temp.dir}/stdio-audit.jsonl`;
    const relay = await connectRelay(['--hook', hook, '--audit-log', audit, '--', process.execPath, scriptedServerPath], { capabilities: {} });
    expect(textOf(await relay.client.callTool({ name: 'echo', arguments: { message: 'tapped' } }))).toBe('tapped via stdio');
    await expect(relay.client.callTool({ name: 'slow', arguments: { ms: 10 } })).rejects.toThrow('slow calls are refused here');
    const names = (await relay.client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('echo');
    expect(names).not.toContain('cancelled_ids');
    await expect(relay.client.callTool({ name: 'cancelled_ids', arguments: {} })).rejects.toThrow('Unknown tool: cancelled_ids');
    await relay.client.close();
    const lines = await waitFor('the audit line', async () => {
      const text = await readFile(audit, 'utf8').catch(() => '');
      return text.trim() === '' ? undefined : text.trim().split('\n').map((line) => JSON.parse(line));
    });
    expect(lines[0]).toMatchObject({ server: 'default', tool: 'echo', caller: { frontend: 'stdio', client: { name: 'relay-test' } }, outcome: 'ok' });
  });

  it('run on a translated 2026-07-28 remote too', async () => {
    const modern = await startModernHttpServer();
    try {
      const hook = await temp.write('stdio-rewriter-modern.mjs', rewriter);
      const relay = await connectRelay(['--hook', hook, '--', modern.url]);
      expect(relay.stderr()).toContain('through a translating session');
      expect(textOf(await relay.client.callTool({ name: 'echo', arguments: { message: 'translated' } }))).toBe('translated via stdio');
    } finally {
      await modern.close();
    }
  });
});

describe('session expiry (streamable HTTP)', () => {
  let server: EverythingServer | undefined;

  afterAll(async () => {
    await killEverything(server);
  });

  it('a server restarted between two calls gets a new session; the client sees no error', async () => {
    const port = await freePort();
    server = await startEverything('streamableHttp', port);
    const relay = await connectRelay(['--server-type', 'streamable-http', '--', `http://127.0.0.1:${port}/mcp`]);
    expect(textOf(await relay.client.callTool({ name: 'echo', arguments: { message: 'before' } }))).toBe('Echo: before');

    await killEverything(server);
    server = await startEverything('streamableHttp', port);

    expect(textOf(await relay.client.callTool({ name: 'echo', arguments: { message: 'after' } }))).toBe('Echo: after');
    expect((await relay.client.listTools()).tools.length).toBeGreaterThan(0);
    expect(relay.stderr()).toContain('opening a new session');
    expect(otherErrors(relay)).toEqual([]);
  });
});

describe('stdio tap (a child process)', () => {
  it('calls and cancellation pass through to the child', async () => {
    const relay = await connectRelay(['--', process.execPath, scriptedServerPath]);
    expect(relay.client.getServerVersion()?.name).toBe('scripted');
    expect(textOf(await relay.client.callTool({ name: 'echo', arguments: { message: 'tapped' } }))).toBe('tapped');

    const controller = new AbortController();
    const slow = relay.client.callTool({ name: 'slow', arguments: { ms: 20_000 } }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(slow).rejects.toThrow();
    // The client's notifications/cancelled reached the child, with the client's own id.
    const seen = await waitFor('the cancellation at the child', async () => {
      const ids = JSON.parse(textOf(await relay.client.callTool({ name: 'cancelled_ids', arguments: {} }))) as unknown[];
      return ids.length > 0 ? ids : undefined;
    });
    expect(seen).toHaveLength(1);
    expect(otherErrors(relay)).toEqual([]);
  });

  it('stdout carries only JSON-RPC, ids pass unchanged; stdin end stops mcpgate with 0 and leaves no child', async () => {
    // GARBAGE=1: the child prints non-JSON lines on its stdout, which must not reach ours.
    const raw = new RawRelay(['--pass-environment', '--', process.execPath, scriptedServerPath], { GARBAGE: '1' });
    raw.initialize('init-str');
    expect(await raw.response('init-str')).toMatchObject({ result: { serverInfo: { name: 'scripted' } } });
    raw.send({ method: 'notifications/initialized' });
    raw.send({ id: 7, method: 'tools/call', params: { name: 'pid', arguments: {} } });
    raw.send({ id: '7', method: 'tools/call', params: { name: 'echo', arguments: { message: 'string id' } } });
    const pidAnswer = (await raw.response(7)) as { result: { content: Array<{ text: string }> } };
    const childPid = Number(pidAnswer.result.content[0]!.text);
    expect(await raw.response('7')).toMatchObject({ result: { content: [{ text: 'string id' }] } });

    raw.child.stdin!.end();
    expect(await raw.exited).toBe(0);
    for (const line of raw.lines) expect(isJsonRpcEnvelope(JSON.parse(line)), line).toBe(true);
    // No notification of the client's was echoed back.
    expect(raw.messages().filter((m) => 'method' in m && m.method === 'notifications/initialized')).toEqual([]);
    await waitFor('the child to be gone', () => processIsGone(childPid), 5_000);
  });

  it('SIGTERM stops mcpgate cleanly (exit 0) and stops the child', async () => {
    const raw = new RawRelay(['--', process.execPath, scriptedServerPath]);
    raw.initialize();
    await raw.response('init-1');
    raw.send({ id: 1, method: 'tools/call', params: { name: 'pid', arguments: {} } });
    const answer = (await raw.response(1)) as { result: { content: Array<{ text: string }> } };
    const childPid = Number(answer.result.content[0]!.text);
    raw.child.kill('SIGTERM');
    expect(await raw.exited).toBe(0);
    await waitFor('the child to be gone', () => processIsGone(childPid), 5_000);
  });

  it('a child that dies: the open request gets an error, mcpgate says why on stderr and exits 1', async () => {
    const raw = new RawRelay(['--', process.execPath, scriptedServerPath]);
    raw.initialize();
    await raw.response('init-1');
    raw.send({ method: 'notifications/initialized' });
    raw.send({ id: 'boom', method: 'tools/call', params: { name: 'crash', arguments: {} } });
    expect(await raw.response('boom')).toMatchObject({ error: { code: -32603, message: expect.stringContaining('tools/call') } });
    expect(await raw.exited).toBe(1);
    expect(raw.stderr).toMatch(/mcpgate: the server process stopped \(process exited with code 3; stderr: .*crashing on purpose/);
  });

  it('an unreachable URL: initialize gets an error, then mcpgate exits 1', async () => {
    const port = await freePort();
    const raw = new RawRelay(['--server-type', 'streamable-http', '--', `http://127.0.0.1:${port}/mcp`]);
    raw.initialize();
    expect(await raw.response('init-1')).toMatchObject({ error: { code: -32603, message: expect.stringContaining('unreachable') } });
    expect(await raw.exited).toBe(1);
    expect(raw.stderr).toContain(`mcpgate: the server at http://127.0.0.1:${port}/mcp is unreachable`);
  });
});

describe('usage errors', () => {
  it('--stdio with --config exits 2 with a clear message', async () => {
    const config = await temp.write('stdio-config.json', '{"mcpServers": {"a": {"command": "node"}}}');
    const outcome = await runCli(['--stdio', '--config', config]);
    expect(outcome.code, outcome.cli.transcript()).toBe(2);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toContain('--stdio');
    expect(outcome.stderr).toContain('cannot be combined with --config');
  });

  it('--stdio with no server exits 2', async () => {
    const outcome = await runCli(['--stdio']);
    expect(outcome.code, outcome.cli.transcript()).toBe(2);
    expect(outcome.stderr).toContain("--stdio: put the server's URL or command after --");
  });

  it('--help describes the mode', async () => {
    const outcome = await runCli(['--help']);
    expect(outcome.stdout).toMatch(/--stdio\s+stdio client mode/);
  });
});
