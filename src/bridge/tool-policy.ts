/**
 * The hooks' tool policy (`allowTool`, which holds `disabledTools` / `enabledTools`) on the MCP
 * frontends' raw messages: a refused tool is missing from every `tools/list` page and a call to
 * it is refused before it reaches the server, exactly as the REST frontend does it, whichever way
 * the session reaches the server.
 *
 * @module
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/client';
import { isJsonObject } from '../config/json-path.js';
import { errorResponse, JsonRpcErrorCode, type RequestId } from './json-rpc.js';

/** Whether callers may see and call a tool of the session's server. */
export type AllowsTool = (tool: string) => boolean;

/** A `tools/list` result without the refused tools (other fields, the cursor included, kept). */
export function filterToolList(allowsTool: AllowsTool, result: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(result.tools)) return result;
  const tools = result.tools.filter((tool: { name?: unknown }) => typeof tool?.name === 'string' && allowsTool(tool.name));
  return tools.length === result.tools.length ? result : { ...result, tools };
}

/**
 * The refusal of a `tools/call` to a refused tool, or with arguments that are not an object, or
 * undefined when the call may go on.
 */
export function refusedToolCall(allowsTool: AllowsTool, id: RequestId, params: Record<string, unknown> | undefined): JSONRPCMessage | undefined {
  const name = params?.name;
  // MCP servers answer an unknown tool with "invalid params"; a refused tool looks the same.
  if (typeof name !== 'string' || !allowsTool(name)) return errorResponse(id, JsonRpcErrorCode.InvalidParams, `Unknown tool: ${typeof name === 'string' ? name : String(name)}`);
  return malformedArguments(id, params);
}

/**
 * The refusal of a `tools/call` whose `arguments` is there but not an object. The schema says an
 * object; a server trusting that may crash on `null` or a list, and a shared server's crash is
 * every session's.
 */
export function malformedArguments(id: RequestId, params: Record<string, unknown> | undefined): JSONRPCMessage | undefined {
  const args = params?.arguments;
  if (args === undefined || isJsonObject(args)) return undefined;
  const kind = args === null ? 'null' : Array.isArray(args) ? 'an array' : typeof args;
  return errorResponse(id, JsonRpcErrorCode.InvalidParams, `Invalid params: tools/call "arguments" must be an object, got ${kind}`);
}
