/**
 * The audit log hook: real `next` functions and real files under the temp directory, read back
 * after `onClose`.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { auditLog } from '../../src/hooks/audit-log.js';
import { maskSecrets } from '../../src/log/mask-secrets.js';
import type { HookContext, ToolCall, ToolCallHandler, ToolResult } from '../../src/hooks/types.js';

const context: HookContext = {
  server: 'time',
  frontend: 'streamable-http',
  session: 'session-1',
  caller: { address: '127.0.0.1', client: { name: 'inspector', version: '1.2.3' } },
};
const restContext: HookContext = { server: 'time', frontend: 'rest', session: undefined, caller: {} };

function toolCall(tool = 'get_time', args: Record<string, unknown> = { zone: 'UTC' }): ToolCall {
  return { server: 'time', tool, arguments: args };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function resolving(result: ToolResult, ms = 0): ToolCallHandler {
  return async () => {
    await delay(ms);
    return result;
  };
}

function rejecting(error: unknown, ms = 0): ToolCallHandler {
  return async () => {
    await delay(ms);
    throw error;
  };
}

async function lines(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpgate-audit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('auditLog', () => {
  it('is named, and creating it touches no file', async () => {
    const path = join(dir, 'audit.jsonl');
    const hook = auditLog({ path });
    expect(hook.name).toBe('audit-log');
    await hook.onClose!();
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('writes one line per call with its fields in order, and passes results and errors through unchanged', async () => {
    const path = join(dir, 'audit.jsonl');
    const hook = auditLog({ path });
    const ok: ToolResult = { content: [{ type: 'text', text: '12:00' }] };
    const toolError: ToolResult = { content: [{ type: 'text', text: 'bad zone' }], isError: true };
    const timeout = new GatewayError('UPSTREAM_TIMEOUT', 'The call to time/get_time timed out after 10 s');
    const aborted = new GatewayError('CALL_ABORTED', 'The caller went away');
    const plain = new Error('boom');

    const before = Date.now();
    expect(await hook.onToolCall!(resolving(ok, 30))(toolCall(), context)).toBe(ok);
    expect(await hook.onToolCall!(resolving(toolError))(toolCall(), restContext)).toBe(toolError);
    await expect(hook.onToolCall!(rejecting(timeout, 20))(toolCall(), context)).rejects.toBe(timeout);
    await expect(hook.onToolCall!(rejecting(aborted))(toolCall(), context)).rejects.toBe(aborted);
    await expect(hook.onToolCall!(rejecting(plain))(toolCall(), context)).rejects.toBe(plain);
    await hook.onClose!();

    const entries = await lines(path);
    expect(entries).toHaveLength(5);
    const [first, second, third, fourth, fifth] = entries as [Record<string, unknown>, ...Array<Record<string, unknown>>];
    expect(Object.keys(first)).toEqual(['time', 'server', 'tool', 'caller', 'durationMs', 'outcome']);
    expect(first).toMatchObject({
      server: 'time',
      tool: 'get_time',
      caller: { frontend: 'streamable-http', session: 'session-1', address: '127.0.0.1', client: { name: 'inspector', version: '1.2.3' } },
      outcome: 'ok',
    });
    expect(first.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(first.time as string)).toBeGreaterThanOrEqual(before - 1);
    expect(first.durationMs).toBeGreaterThanOrEqual(29); // timers may fire a fraction early
    expect(String(first.durationMs)).toMatch(/^\d+(\.\d{1,3})?$/);
    expect(first).not.toHaveProperty('arguments');

    expect(second).toMatchObject({ caller: { frontend: 'rest' }, outcome: 'tool_error' });
    expect(Object.keys(second!.caller as object)).toEqual(['frontend']);
    expect(second).not.toHaveProperty('error');

    expect(Object.keys(third!)).toEqual(['time', 'server', 'tool', 'caller', 'durationMs', 'outcome', 'error']);
    expect(third).toMatchObject({ outcome: 'error', error: { code: 'UPSTREAM_TIMEOUT', message: timeout.message } });
    expect(third!.durationMs).toBeGreaterThanOrEqual(19);
    expect(fourth).toMatchObject({ outcome: 'cancelled', error: { code: 'CALL_ABORTED', message: 'The caller went away' } });
    expect(fifth).toMatchObject({ outcome: 'error', error: { message: 'boom' } });
    expect(fifth!.error).not.toHaveProperty('code');
  });

  it('appends to an existing file, and opens it again after onClose', async () => {
    const path = join(dir, 'audit.jsonl');
    const hook = auditLog({ path });
    await hook.onToolCall!(resolving({ content: [] }))(toolCall('one'), context);
    await hook.onClose!();
    await hook.onToolCall!(resolving({ content: [] }))(toolCall('two'), context);
    await hook.onClose!();
    const again = auditLog({ path });
    await again.onToolCall!(resolving({ content: [] }))(toolCall('three'), context);
    await again.onClose!();
    expect((await lines(path)).map((entry) => entry.tool)).toEqual(['one', 'two', 'three']);
  });

  it('writes the arguments, masked, only with includeArguments', async () => {
    const path = join(dir, 'audit.jsonl');
    const hook = auditLog({ path, includeArguments: true });
    const args = { query: 'weather', apiKey: 'k-123', options: { maxTokens: 100, headers: [{ Authorization: 'Bearer x' }] } };
    const call = toolCall('search', args);
    let seen: ToolCall | undefined;
    await hook.onToolCall!(async (passed) => {
      seen = passed;
      return { content: [] };
    })(call, context);
    await hook.onClose!();

    expect(seen).toBe(call);
    expect(call.arguments).toEqual({ query: 'weather', apiKey: 'k-123', options: { maxTokens: 100, headers: [{ Authorization: 'Bearer x' }] } });
    const [entry] = await lines(path);
    expect(Object.keys(entry!)).toEqual(['time', 'server', 'tool', 'caller', 'durationMs', 'outcome', 'arguments']);
    expect(entry!.arguments).toEqual({ query: 'weather', apiKey: '[masked]', options: { maxTokens: 100, headers: [{ Authorization: '[masked]' }] } });
  });

  it('keeps every line whole under 50 concurrent calls', async () => {
    const path = join(dir, 'audit.jsonl');
    const hook = auditLog({ path, includeArguments: true });
    const big = 'x'.repeat(20_000); // longer than the stream's buffer, so writes queue up
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => hook.onToolCall!(resolving({ content: [] }, (i * 7) % 13))(toolCall(`tool${i}`, { i, big }), context)),
    );
    await hook.onClose!();
    const entries = await lines(path);
    expect(entries).toHaveLength(50);
    expect(new Set(entries.map((entry) => entry.tool)).size).toBe(50);
    for (const entry of entries) expect(entry.arguments).toMatchObject({ big });
  });

  it('never fails the call when the file cannot be written: warns once and keeps trying', async () => {
    const missing = join(dir, 'gone');
    const path = join(missing, 'audit.jsonl');
    const hook = auditLog({ path });
    const warnings: Error[] = [];
    const collect = (warning: Error) => warnings.push(warning);
    const firstWarning = new Promise<Error>((resolve) => process.once('warning', resolve));
    process.on('warning', collect);
    try {
      const result: ToolResult = { content: [{ type: 'text', text: 'fine' }] };
      await expect(hook.onToolCall!(resolving(result))(toolCall('one'), context)).resolves.toBe(result);
      const warning = await firstWarning;
      expect(warning.message).toContain(path);
      expect(warning.name).toBe('AuditLogWarning');

      // Still failing: the call succeeds and no second warning follows.
      await expect(hook.onToolCall!(resolving(result))(toolCall('two'), context)).resolves.toBe(result);
      await hook.onClose!();
      await delay(10); // warnings are emitted on the next tick
      expect(warnings).toHaveLength(1);

      // The directory is back: later calls are written again.
      await mkdir(missing);
      await hook.onToolCall!(resolving(result))(toolCall('three'), context);
      await hook.onClose!();
      expect((await lines(path)).map((entry) => entry.tool)).toEqual(['three']);
    } finally {
      process.off('warning', collect);
    }
  });
});

describe('maskSecrets', () => {
  it('masks secret keys in every naming style', () => {
    const secrets = [
      'password', 'Password', 'userPassword', 'db_passwd', 'passphrase', 'secret', 'clientSecret', 'CLIENT_SECRET',
      'token', 'GITHUB_TOKEN', 'accessToken', 'refresh_token', 'x-auth-token', 'authtoken', 'apikey', 'apiKey', 'APIKey',
      'api_key', 'x-api-key', 'X-API-KEY', 'authorization', 'Proxy-Authorization', 'auth', 'auth_header', 'authHeader',
      'oauth', 'basicAuth', 'credential', 'credentials', 'awsCredentials', 'private_key', 'privateKey', 'cookie',
      'Set-Cookie', 'session_id', 'sessionId', 'signature', 'pwd', 'bearer', 'jwt',
    ];
    for (const key of secrets) expect(maskSecrets({ [key]: 'v' }), key).toEqual({ [key]: '[masked]' });
  });

  it('keeps keys that only look alike, token counts included', () => {
    const kept = ['author', 'authors', 'authority', 'maxTokens', 'max_tokens', 'inputTokens', 'tokens', 'session', 'key', 'name', 'path', 'query'];
    for (const key of kept) expect(maskSecrets({ [key]: 1 }), key).toEqual({ [key]: 1 });
  });

  it('walks nested objects and arrays, masks whole values and copies rather than changes', () => {
    const input = {
      user: 'ada',
      list: [1, 'two', { token: 't', nested: [{ password: 'p', ok: true }] }],
      auth: { user: 'ada', pass: 'p' },
      empty: null,
    };
    const masked = maskSecrets(input);
    expect(masked).toEqual({
      user: 'ada',
      list: [1, 'two', { token: '[masked]', nested: [{ password: '[masked]', ok: true }] }],
      auth: '[masked]',
      empty: null,
    });
    expect(masked).not.toBe(input);
    expect((masked as typeof input).list).not.toBe(input.list);
    expect(input.list[2]).toEqual({ token: 't', nested: [{ password: 'p', ok: true }] });
    for (const value of ['s', 3, true, null, undefined]) expect(maskSecrets(value)).toBe(value);
    expect(maskSecrets([{ secret: 1 }])).toEqual([{ secret: '[masked]' }]);
  });
});
