/**
 * `disabledTools` / `enabledTools` on the MCP frontends: a filtered tool is missing from every
 * `tools/list` page and a call to it is refused before it reaches the server, exactly as the
 * REST frontend does it, whichever way the session reaches the server.
 *
 * @module
 */
import type { UpstreamConfig } from '../config/types.js';
import { isToolAllowed } from '../upstream/catalog.js';
import { errorResponse, JsonRpcErrorCode, type RequestId } from './json-rpc.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/client';

type ToolFilter = Pick<UpstreamConfig, 'enabledTools' | 'disabledTools'>;

export function filtersTools(config: ToolFilter): boolean {
  return config.enabledTools !== undefined || config.disabledTools.length > 0;
}

/** A `tools/list` result without the filtered tools (other fields, the cursor included, kept). */
export function filterToolList(config: ToolFilter, result: Record<string, unknown>): Record<string, unknown> {
  if (!filtersTools(config) || !Array.isArray(result.tools)) return result;
  return { ...result, tools: result.tools.filter((tool: { name?: unknown }) => typeof tool?.name === 'string' && isToolAllowed(config, tool.name)) };
}

/** The refusal of a `tools/call` to a filtered tool, or undefined when the call may go on. */
export function refusedToolCall(config: ToolFilter, id: RequestId, params: Record<string, unknown> | undefined): JSONRPCMessage | undefined {
  if (!filtersTools(config)) return undefined;
  const name = params?.name;
  if (typeof name === 'string' && isToolAllowed(config, name)) return undefined;
  // MCP servers answer an unknown tool with "invalid params"; a filtered tool looks the same.
  return errorResponse(id, JsonRpcErrorCode.InvalidParams, `Unknown tool: ${typeof name === 'string' ? name : String(name)}`);
}
