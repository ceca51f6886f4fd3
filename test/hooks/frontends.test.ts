/**
 * Hooks through the real frontends: REST, streamable HTTP (legacy sessions, a per-session pipe,
 * the aggregated endpoint, 2026-07-28 requests) and HTTP+SSE, with the REST fixture server as a
 * real child behind the gateway. The fixture's `optional_only` tool answers with the arguments
 * it received, so what a hook did to a call is what the server saw.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import type { Hook, HookContext, JsonRpcMessage, ToolCall } from '../../src/hooks/types.js';
import { connectClient, textOf, modernClient, post, restFixtureConfig, startHookedGateway } from './hook-gateway.js';

/** Appends `mark` to the `note` argument of every call, recording what it saw. */
function noteMarker(mark: string, seen: Array<{ call: ToolCall; context: HookContext }> = []): Hook {
  return {
    name: `marker-${mark}`,
    onToolCall: (next) => (call, context) => {
      seen.push({ call, context });
      return next({ ...call, arguments: { ...call.arguments, note: `${String(call.arguments.note ?? '')}|${mark}` } }, context);
    },
  };
}

describe('a hook that rewrites arguments', () => {
  it('changes what the server receives over REST, /mcp, /sse and a 2026-07-28 request, and sees each frontend', async () => {
    const seen: Array<{ call: ToolCall; context: HookContext }> = [];
    const { url } = await startHookedGateway([restFixtureConfig()], [noteMarker('hooked', seen)]);

    const rest = await post(`${url}/optional_only`, { note: 'rest' });
    expect(rest.status).toBe(200);
    expect(rest.body).toEqual({ note: 'rest|hooked' });

    const mcp = await connectClient(`${url}/mcp`, 'streamable-http', {}, 'legacy-client');
    expect(JSON.parse(textOf(await mcp.callTool({ name: 'optional_only', arguments: { note: 'mcp' } })))).toEqual({ note: 'mcp|hooked' });

    const sse = await connectClient(`${url}/sse`, 'sse');
    expect(JSON.parse(textOf(await sse.callTool({ name: 'optional_only', arguments: { note: 'sse' } })))).toEqual({ note: 'sse|hooked' });

    const modern = await modernClient(`${url}/mcp`);
    expect(JSON.parse(textOf(await modern.callTool({ name: 'optional_only', arguments: { note: 'modern' } })))).toEqual({ note: 'modern|hooked' });

    expect(seen.map(({ call, context }) => [call.server, call.tool, call.arguments.note, context.frontend])).toEqual([
      ['fixture', 'optional_only', 'rest', 'rest'],
      ['fixture', 'optional_only', 'mcp', 'streamable-http'],
      ['fixture', 'optional_only', 'sse', 'sse'],
      ['fixture', 'optional_only', 'modern', 'streamable-http'],
    ]);
    const [restSeen, mcpSeen, sseSeen, modernSeen] = seen.map(({ context }) => context);
    expect(restSeen).toMatchObject({ session: undefined, caller: { address: '127.0.0.1' } });
    expect(mcpSeen?.session).toMatch(/^[0-9a-f-]{36}$/);
    expect(mcpSeen?.caller).toEqual({ address: '127.0.0.1', client: { name: 'legacy-client', version: '1.0.0' } });
    expect(sseSeen?.session).toMatch(/^[0-9a-f-]{36}$/);
    expect(modernSeen?.session).toBeUndefined();
    expect(modernSeen?.caller).toMatchObject({ address: '127.0.0.1' });
  });

  it('as a message hook, changes the tools/call on a per-session pipe and over REST alike', async () => {
    const rewrite: Hook = {
      name: 'message-rewriter',
      onClientMessage: (next) => (message, context) => {
        if ('method' in message && message.method === 'tools/call' && 'id' in message) {
          const params = message.params ?? {};
          return next({ ...message, params: { ...params, arguments: { note: 'from the message hook' } } }, context);
        }
        return next(message, context);
      },
    };
    const { url } = await startHookedGateway([restFixtureConfig({ sharing: 'per-session' })], [rewrite]);
    expect((await post(`${url}/optional_only`, { note: 'x' })).body).toEqual({ note: 'from the message hook' });
    const mcp = await connectClient(`${url}/mcp`, 'streamable-http');
    expect(JSON.parse(textOf(await mcp.callTool({ name: 'optional_only', arguments: { note: 'y' } })))).toEqual({ note: 'from the message hook' });
  });

  it("sees the real server and tool behind the aggregated endpoint's prefixed names", async () => {
    const seen: Array<{ call: ToolCall; context: HookContext }> = [];
    const messages: Array<{ server: string; name: unknown }> = [];
    const watcher: Hook = {
      name: 'watcher',
      onClientMessage: (next) => (message, context) => {
        if ('method' in message && message.method === 'tools/call') messages.push({ server: context.server, name: message.params?.name });
        return next(message, context);
      },
    };
    const { url } = await startHookedGateway([restFixtureConfig({ name: 'one' }), restFixtureConfig({ name: 'two' })], [watcher, noteMarker('agg', seen)]);
    const client = await connectClient(`${url}/mcp`, 'streamable-http');
    expect(JSON.parse(textOf(await client.callTool({ name: 'two_optional_only', arguments: { note: 'n' } })))).toEqual({ note: 'n|agg' });
    expect(seen.map(({ call, context }) => [call.server, call.tool, context.server])).toEqual([['two', 'optional_only', '*']]);
    expect(messages).toEqual([{ server: '*', name: 'two_optional_only' }]);
  });
});

describe('hook order', () => {
  it('is the order the hooks are given in, for tool and message hooks, over REST and /mcp', async () => {
    const order: string[] = [];
    const tracing = (name: string): Hook => ({
      name,
      onClientMessage: (next) => (message, context) => {
        if ('method' in message && message.method === 'tools/call') order.push(`${name}:client`);
        return next(message, context);
      },
      onServerMessage: (next) => (message, context) => {
        if ('result' in message && 'content' in message.result) order.push(`${name}:server`);
        return next(message, context);
      },
    });
    const { url } = await startHookedGateway([restFixtureConfig()], [tracing('first'), noteMarker('a'), noteMarker('b'), tracing('second')]);
    expect((await post(`${url}/optional_only`, { note: 'rest' })).body).toEqual({ note: 'rest|a|b' });
    expect(order).toEqual(['first:client', 'second:client', 'first:server', 'second:server']);
    order.length = 0;
    const mcp = await connectClient(`${url}/mcp`, 'streamable-http');
    expect(JSON.parse(textOf(await mcp.callTool({ name: 'optional_only', arguments: { note: 'mcp' } })))).toEqual({ note: 'mcp|a|b' });
    expect(order).toEqual(['first:client', 'second:client', 'first:server', 'second:server']);
  });
});

describe('a dropping hook', () => {
  const dropper: Hook = {
    name: 'dropper',
    onClientMessage: (next) => (message, context) => {
      if ('method' in message && message.method === 'tools/call' && message.params?.name === 'text_plain') return;
      return next(message, context);
    },
    onServerMessage: (next) => (message, context) => {
      if ('method' in message && (message.method === 'notifications/progress' || message.method === 'notifications/message')) return;
      return next(message, context);
    },
  };

  it('drops notifications: the call finishes and its progress never arrives', async () => {
    const { url } = await startHookedGateway([restFixtureConfig()], [dropper]);
    const client = await connectClient(`${url}/mcp`, 'streamable-http');
    const progress: unknown[] = [];
    const result = await client.callTool({ name: 'progress', arguments: { steps: 3 } }, { onprogress: (p) => progress.push(p) });
    expect(textOf(result)).toBe('finished');
    expect(progress).toEqual([]);
  });

  it('leaves no request hanging: a dropped call is answered with an error naming the hook, over REST (403) and /mcp', async () => {
    const { url } = await startHookedGateway([restFixtureConfig()], [dropper]);
    const rest = await post(`${url}/text_plain`, {});
    expect(rest.status).toBe(403);
    expect(rest.body.detail.message).toBe('hook "dropper" dropped tools/call; it was not delivered');
    const client = await connectClient(`${url}/mcp`, 'streamable-http');
    await expect(client.callTool({ name: 'text_plain', arguments: {} })).rejects.toThrow('hook "dropper" dropped tools/call');
    // Other calls pass.
    expect(textOf(await client.callTool({ name: 'text_number', arguments: {} }))).toBe('42');
  });
});

describe('an answering hook', () => {
  const answerer: Hook = {
    name: 'answerer',
    onClientMessage: (next) => (message, context) => {
      if ('method' in message && message.method === 'tools/call') {
        if (message.params?.name === 'text_plain') return { result: { content: [{ type: 'text', text: 'answered by the hook' }] } };
        if (message.params?.name === 'text_json') return { error: { code: -32602, message: 'the hook says the arguments are wrong' } };
      }
      return next(message, context);
    },
  };

  it('answers in place of the server, over REST and /mcp, and a JSON-RPC error maps as the server\'s would', async () => {
    const { url } = await startHookedGateway([restFixtureConfig()], [answerer]);
    expect(await post(`${url}/text_plain`, {})).toMatchObject({ status: 200, body: 'answered by the hook' });
    const refused = await post(`${url}/text_json`, {});
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toMatchObject({ message: 'the hook says the arguments are wrong', code: -32602 });
    const client = await connectClient(`${url}/sse`, 'sse');
    expect(textOf(await client.callTool({ name: 'text_plain', arguments: {} }))).toBe('answered by the hook');
    await expect(client.callTool({ name: 'text_json', arguments: {} })).rejects.toThrow('the hook says the arguments are wrong');
  });

  it('refuses with a GatewayError: 403 over REST, a JSON-RPC error naming the reason over /mcp', async () => {
    const refuser: Hook = {
      name: 'refuser',
      onToolCall: (next) => (call, context) => {
        if (call.tool === 'image') throw new GatewayError('FORBIDDEN', `callers may not call ${call.tool}`);
        return next(call, context);
      },
    };
    const { url } = await startHookedGateway([restFixtureConfig()], [refuser]);
    const rest = await post(`${url}/image`, {});
    expect(rest.status).toBe(403);
    expect(rest.body.detail).toEqual({ message: 'callers may not call image', code: 'FORBIDDEN' });
    const client = await connectClient(`${url}/mcp`, 'streamable-http');
    await expect(client.callTool({ name: 'image', arguments: {} })).rejects.toThrow('callers may not call image');
  });
});

describe('a throwing hook', () => {
  const thrower: Hook = {
    name: 'thrower',
    onToolCall: (next) => (call, context) => {
      if (call.tool === 'text_json') throw new Error('kaput');
      return next(call, context);
    },
    onServerMessage: (next) => (message: JsonRpcMessage, context) => {
      if ('result' in message && JSON.stringify(message.result).includes('"42"')) throw new Error('no answers of 42');
      return next(message, context);
    },
  };

  it('fails only the message it handled, with an error naming it, and is logged with its name', async () => {
    const { url, records } = await startHookedGateway([restFixtureConfig()], [thrower]);
    const rest = await post(`${url}/text_json`, {});
    expect(rest.status).toBe(500);
    expect(rest.body.detail).toEqual({ message: 'hook "thrower" failed during the call of tool "text_json": kaput', code: 'HOOK_FAILED' });

    const failing = await connectClient(`${url}/mcp`, 'streamable-http');
    const other = await connectClient(`${url}/mcp`, 'streamable-http');
    const slow = other.callTool({ name: 'slow', arguments: { ms: 300 } });
    await expect(failing.callTool({ name: 'text_json', arguments: {} })).rejects.toThrow('hook "thrower" failed during the call of tool "text_json": kaput');
    // A response the server-message hook throws on becomes an error response with the same id: no hang.
    await expect(failing.callTool({ name: 'text_number', arguments: {} })).rejects.toThrow('hook "thrower" failed while handling the response');
    // The session that hit the failures and the other one carry on.
    expect(textOf(await failing.callTool({ name: 'text_plain', arguments: {} }))).toBe('hello world');
    expect(textOf(await slow)).toBe('done');
    expect(records.filter((record) => record.hook === 'thrower' && record.level === 50).length).toBeGreaterThanOrEqual(3);
  });
});

describe('an observing hook', () => {
  /** Records each call as it starts and how it ended. */
  function observer(events: string[]): Hook {
    return {
      name: 'observer',
      observeToolCall: (call, context) => {
        events.push(`start ${call.server}/${call.tool} ${context.frontend} ${JSON.stringify(call.arguments)}`);
        return (ending) => {
          if ('result' in ending) events.push(`end ${call.tool} ${ending.result.isError === true ? 'tool_error' : 'ok'}`);
          else events.push(`end ${call.tool} ${(ending.error as GatewayError).code}`);
        };
      },
    };
  }

  it('hears every call start and end over REST, /mcp, /sse, a 2026-07-28 request and the aggregated endpoint, without touching it', async () => {
    const events: string[] = [];
    const { url } = await startHookedGateway([restFixtureConfig({ name: 'one' }), restFixtureConfig({ name: 'two' })], [observer(events)]);
    expect((await post(`${url}/one/optional_only`, { note: 'rest' })).body).toEqual({ note: 'rest' });
    const mcp = await connectClient(`${url}/one/mcp`, 'streamable-http');
    expect(JSON.parse(textOf(await mcp.callTool({ name: 'optional_only', arguments: { note: 'mcp' } })))).toEqual({ note: 'mcp' });
    const sse = await connectClient(`${url}/one/sse`, 'sse');
    expect((await sse.callTool({ name: 'tool_error', arguments: {} })).isError).toBe(true);
    const modern = await modernClient(`${url}/one/mcp`);
    expect(textOf(await modern.callTool({ name: 'text_plain', arguments: {} }))).toBe('hello world');
    const aggregated = await connectClient(`${url}/mcp`, 'streamable-http');
    await expect(aggregated.callTool({ name: 'two_rpc_error', arguments: { code: -32000 } })).rejects.toThrow('failed with -32000');
    expect(events).toEqual([
      'start one/optional_only rest {"note":"rest"}',
      'end optional_only ok',
      'start one/optional_only streamable-http {"note":"mcp"}',
      'end optional_only ok',
      'start one/tool_error sse {}',
      'end tool_error tool_error',
      'start one/text_plain streamable-http {}',
      'end text_plain ok',
      'start two/rpc_error streamable-http {"code":-32000}',
      'end rpc_error UPSTREAM_ERROR',
    ]);
  });

  it('hears a call the client cancels, or whose session ends, end as CALL_ABORTED', async () => {
    const events: string[] = [];
    const { url } = await startHookedGateway([restFixtureConfig()], [observer(events)]);
    const client = await connectClient(`${url}/mcp`, 'streamable-http');
    const cancelling = new AbortController();
    const cancelled = client.callTool({ name: 'slow', arguments: { ms: 5_000 } }, { signal: cancelling.signal });
    await expect.poll(() => events.length).toBe(1);
    cancelling.abort();
    await expect(cancelled).rejects.toThrow();
    await expect.poll(() => events).toEqual(['start fixture/slow streamable-http {"ms":5000}', 'end slow CALL_ABORTED']);

    const closing = await connectClient(`${url}/mcp`, 'streamable-http');
    const abandoned = closing.callTool({ name: 'slow', arguments: { ms: 5_000 } }).catch(() => undefined);
    await expect.poll(() => events.length).toBe(3);
    await (closing.transport as { terminateSession?: () => Promise<void> }).terminateSession?.();
    await closing.close();
    await abandoned;
    await expect.poll(() => events.at(-1)).toBe('end slow CALL_ABORTED');
  });

  it('that throws is logged and counted as its failure; the call goes on', async () => {
    const throwing: Hook = {
      name: 'throwing-observer',
      observeToolCall: (call) => {
        if (call.tool === 'text_plain') throw new Error('cannot start');
        return () => {
          throw new Error('cannot end');
        };
      },
    };
    const { url, records } = await startHookedGateway([restFixtureConfig()], [throwing]);
    expect((await post(`${url}/text_plain`, {})).body).toBe('hello world');
    const client = await connectClient(`${url}/mcp`, 'streamable-http');
    expect(textOf(await client.callTool({ name: 'text_json', arguments: {} }))).toBe('{"a":1,"b":[true,null]}');
    const failures = records.filter((record) => record.hook === 'throwing-observer' && record.level === 50).map((record) => String((record.err as Error | undefined)?.message));
    expect(failures).toEqual(['cannot start', 'cannot end']);
  });
});
