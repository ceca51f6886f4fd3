/**
 * `POST /{tool}`: read and check the arguments, call the tool on its upstream, answer with the
 * mapped result (`tool-result.ts`) or the error table's answer (`errors.ts`). With
 * `Accept: text/event-stream` the same call streams its progress and log events first.
 *
 * A caller that disconnects cancels the upstream request (`notifications/cancelled`) instead of
 * leaving it running (`http/caller-gone.ts`).
 *
 * @module
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { GatewayError } from '../errors.js';
import { callerGone } from '../http/caller-gone.js';
import { runsOnlyAsTask } from '../openapi/document.js';
import type { HookRunner } from '../hooks/hook-runner.js';
import type { HookContext } from '../hooks/types.js';
import type { Upstream } from '../upstream/upstream.js';
import type { CatalogIndexes } from './catalog-index.js';
import { failureFromError, failureFromToolError, validationFailure, type RestFailure } from './errors.js';
import { restHookContext, toolCallThroughHooks } from './hooked-request.js';
import { readJsonBody } from './request-body.js';
import { restBodyOf } from './tool-result.js';

export interface RestCallContext {
  indexes: CatalogIndexes;
  maxBodyBytes: number;
  hooks: HookRunner;
}

/** How often a quiet event stream gets a comment, so proxies do not cut it. */
const KEEP_ALIVE_MS = 15_000;

export function respond(c: Context, failure: RestFailure): Response {
  if (failure.headers) for (const [name, value] of Object.entries(failure.headers)) c.header(name, value);
  return c.json(failure.body, failure.status as 400);
}

/** 404 for a tool the server does not have; 503 when the server is not up to say what it has. */
export function missingEntryFailure(upstream: Upstream, kind: 'tool' | 'prompt', name: string): RestFailure {
  if (upstream.currentState !== 'ready') return failureFromError(upstream.unavailableError());
  return failureFromError(
    new GatewayError(kind === 'tool' ? 'UNKNOWN_TOOL' : 'UNKNOWN_PROMPT', `server "${upstream.name}" has no ${kind} named "${name}"`),
  );
}

/** `?raw=true` or `X-MCP-Raw-Result: true`: the MCP `CallToolResult` as the upstream sent it. */
function wantsRawResult(c: Context): boolean {
  const flag = c.req.query('raw') ?? c.req.header('x-mcp-raw-result');
  return flag !== undefined && flag !== 'false' && flag !== '0';
}

function wantsEventStream(c: Context): boolean {
  return c.req.header('accept')?.includes('text/event-stream') ?? false;
}

export async function handleToolCall(c: Context, upstream: Upstream, toolName: string, context: RestCallContext): Promise<Response> {
  const index = context.indexes.of(upstream.catalog);
  const tool = index.tools.get(toolName);
  if (!tool) return respond(c, missingEntryFailure(upstream, 'tool', toolName));
  if (runsOnlyAsTask(tool)) {
    const message = `tool "${tool.name}" of server "${upstream.name}" runs only as a task (execution.taskSupport "required"), which a REST call cannot start`;
    return respond(c, failureFromError(new GatewayError('NOT_SUPPORTED', message)));
  }
  const body = await readJsonBody(c.req.raw, context.maxBodyBytes);
  if (!body.ok) return respond(c, body.failure);
  const checked = index.checker.check(tool, body.value ?? {});
  if (!checked.ok) return respond(c, validationFailure(checked.issues));

  const raw = wantsRawResult(c);
  const call: HookedCall = { hooks: context.hooks, context: restHookContext(c, upstream), tool: tool.name, arguments: checked.value };
  if (wantsEventStream(c)) return streamToolCall(c, upstream, call, raw);
  try {
    const result = await callThroughHooks(call, (name, args) => upstream.callTool(name, args, { signal: callerGone(c) }));
    if (raw) return c.json(result);
    if (result.isError) return respond(c, failureFromToolError(result));
    return c.json(restBodyOf(result) as object);
  } catch (error) {
    return respond(c, failureFromError(error));
  }
}

/**
 * Server-sent events: `progress` ({progress, total?, message?}) and `log` ({level, logger?, data})
 * while the tool runs, then one `result` (the same body a plain call returns) or one `error`
 * (`{status, detail}`: the status a plain call would have answered with, and its body).
 */
function streamToolCall(c: Context, upstream: Upstream, call: HookedCall, raw: boolean): Response {
  return streamSSE(c, async (stream) => {
    const cancelled = new AbortController();
    stream.onAbort(() => cancelled.abort(new Error('the client closed the event stream')));
    // Events are written in order; the last one is awaited so the stream ends after it.
    const send = async (event: string, data: unknown): Promise<void> => {
      if (stream.aborted || stream.closed) return;
      await stream.writeSSE({ event, data: JSON.stringify(data) }).catch(() => undefined);
    };
    const stopLogs = upstream.onLogMessage((message) => void send('log', message));
    const keepAlive = setInterval(() => void stream.write(': keep-alive\n\n').catch(() => undefined), KEEP_ALIVE_MS);
    try {
      const result = await callThroughHooks(call, (name, args) =>
        upstream.callTool(name, args, {
          signal: AbortSignal.any([c.req.raw.signal, cancelled.signal]),
          onprogress: (progress) => void send('progress', progress),
        }),
      );
      if (raw) await send('result', result);
      else if (result.isError) await sendFailure(send, failureFromToolError(result));
      else await send('result', restBodyOf(result));
    } catch (error) {
      await sendFailure(send, failureFromError(error));
    } finally {
      clearInterval(keepAlive);
      stopLogs();
    }
  });
}

/** A REST tool call as the hooks see it. */
interface HookedCall {
  hooks: HookRunner;
  context: HookContext;
  tool: string;
  arguments: Record<string, unknown>;
}

/** The call through the hooks; what they hand back is taken for the `CallToolResult` it should be, as a server's is. */
async function callThroughHooks(call: HookedCall, perform: (tool: string, args: Record<string, unknown>) => Promise<CallToolResult>): Promise<CallToolResult> {
  return (await toolCallThroughHooks(call.hooks, call.context, call.tool, call.arguments, perform)) as CallToolResult;
}

function sendFailure(send: (event: string, data: unknown) => Promise<void>, failure: RestFailure): Promise<void> {
  return send('error', { status: failure.status, ...(failure.body as object) });
}
