/**
 * Hooks on the REST frontend. A REST call has no JSON-RPC on its wire, so the message hooks see
 * the MCP request the call stands for (`tools/call`, `prompts/get`, `resources/read`, with an id
 * of the gateway's own) and the response it gets, just as they would over `/mcp`; a tool call
 * also runs through the tool hooks, between the two.
 *
 * What a hook does maps onto HTTP as it does onto JSON-RPC: an answer is the call's result (or
 * its error, through the REST error table), a refusal is its `GatewayError`'s status, and a
 * dropped request or response is 403 naming the hook, since a REST caller must get an answer.
 *
 * @module
 */
import type { Context } from 'hono';
import { GatewayError, isGatewayError, upstreamJsonRpcError } from '../errors.js';
import type { HookRunner, MessageOutcome } from '../hooks/hook-runner.js';
import type { HookContext, JsonRpcMessage, JsonRpcRequest, ToolResult } from '../hooks/types.js';
import { gatewayErrorResponse } from '../bridge/json-rpc.js';
import { remoteAddressOf } from '../http/remote-address.js';
import { httpRequestIdOf } from '../http/request-id.js';
import type { Upstream } from '../upstream/upstream.js';

let lastRequestId = 0;

/** The hook context of a REST request to `upstream`. */
export function restHookContext(c: Context, upstream: Upstream): HookContext {
  const address = remoteAddressOf(c);
  const requestId = httpRequestIdOf(c.req.raw);
  return {
    server: upstream.name,
    frontend: 'rest',
    session: undefined,
    caller: address === undefined ? {} : { address },
    ...(requestId === undefined ? {} : { requestId }),
  };
}

/**
 * Runs the MCP request `method` with `params` through the message hooks around `perform`, which
 * gets the params as the hooks passed them on and resolves with the result.
 */
export async function requestThroughHooks(
  runner: HookRunner,
  context: HookContext,
  method: string,
  params: Record<string, unknown>,
  perform: (params: Record<string, unknown>) => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  if (!runner.hasMessageHooks) return perform(params);
  const id = `mcpgate-rest-${++lastRequestId}`;
  let passed: JsonRpcRequest | undefined;
  const inbound = await runner.runMessage('client', { jsonrpc: '2.0', id, method, params }, context, (message) => {
    passed = message as JsonRpcRequest;
  });
  if (inbound.kind !== 'delivered') return resultOf(inbound, `hook "%s" dropped ${method}; it was not delivered`);

  let response: JsonRpcMessage;
  let failure: unknown;
  try {
    response = { jsonrpc: '2.0', id, result: await perform(passed?.params ?? {}) };
  } catch (error) {
    // A caller that went away gets no answer, so there is nothing for the hooks to see.
    if (isGatewayError(error, 'CALL_ABORTED')) throw error;
    failure = error;
    response = gatewayErrorResponse(id, error) as JsonRpcMessage;
  }
  let answered: JsonRpcMessage | undefined;
  const outbound = await runner.runMessage('server', response, context, (message) => {
    answered = message;
  });
  if (outbound.kind !== 'delivered') return resultOf(outbound, `hook "%s" dropped the answer to ${method}`);
  // Unchanged, the call's own error keeps its status and Retry-After (a JSON-RPC error has neither).
  if (answered === response && failure !== undefined) throw failure;
  if (answered && 'result' in answered) return answered.result;
  if (answered && 'error' in answered) throw upstreamJsonRpcError(answered.error);
  throw new GatewayError('HOOK_FAILED', `a hook replaced the answer to ${method} with something that is not a response`);
}

/** A tool call through the message hooks and the tool hooks. */
export async function toolCallThroughHooks(
  runner: HookRunner,
  context: HookContext,
  tool: string,
  args: Record<string, unknown>,
  perform: (tool: string, args: Record<string, unknown>) => Promise<ToolResult>,
): Promise<ToolResult> {
  const result = await requestThroughHooks(runner, context, 'tools/call', { name: tool, arguments: args }, (params) => {
    const passedArgs = params.arguments;
    const call = {
      server: context.server,
      tool: typeof params.name === 'string' ? params.name : tool,
      arguments: typeof passedArgs === 'object' && passedArgs !== null && !Array.isArray(passedArgs) ? (passedArgs as Record<string, unknown>) : {},
    };
    return runner.callTool(call, context, (performed) => perform(performed.tool, performed.arguments));
  });
  return result as ToolResult;
}

/** The result a hook answered with, or the error for what else it did (`%s` in `dropped` is the hook's name). */
function resultOf(outcome: Exclude<MessageOutcome, { kind: 'delivered' }>, dropped: string): Record<string, unknown> {
  switch (outcome.kind) {
    case 'answered':
      if ('result' in outcome.answer) return outcome.answer.result;
      throw upstreamJsonRpcError(outcome.answer.error);
    case 'dropped':
      throw new GatewayError('FORBIDDEN', dropped.replace('%s', outcome.hook));
    case 'refused':
      throw outcome.error;
  }
}
