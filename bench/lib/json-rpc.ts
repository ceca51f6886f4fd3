/**
 * The JSON-RPC the lean MCP clients write and read by hand: the `initialize` they send, and the
 * result (or error) of the answer to one of their requests.
 *
 * @module
 */

/**
 * The newest protocol the gateway's `/mcp` speaks with sessions. Fixed rather than the SDK's
 * latest, which may move to a protocol the endpoint does not serve yet.
 */
export const PROTOCOL_VERSION = '2025-11-25';

export const INITIALIZE_PARAMS = {
  protocolVersion: PROTOCOL_VERSION,
  capabilities: {},
  clientInfo: { name: 'mcpgate-bench-lean', version: '0.0.0' },
};

export type RequestId = number;

export interface JsonRpcAnswer {
  jsonrpc: '2.0';
  id: RequestId | string | null;
  result?: unknown;
  error?: { code: number; message: string };
}

export function requestBody(id: RequestId, method: string, params?: unknown): string {
  return JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
}

export function notificationBody(method: string): string {
  return JSON.stringify({ jsonrpc: '2.0', method });
}

/** The result of `answer`; throws the JSON-RPC error it carries instead. */
export function resultOf(answer: JsonRpcAnswer): unknown {
  if (answer.error) throw new Error(`JSON-RPC error ${answer.error.code}: ${answer.error.message}`);
  return answer.result;
}

/** The answer to request `id` among parsed messages (a batch, or an SSE body's events), if any. */
export function answerAmong(messages: readonly unknown[], id: RequestId): JsonRpcAnswer | undefined {
  for (const message of messages) {
    const candidate = message as Partial<JsonRpcAnswer> | null;
    if (candidate !== null && typeof candidate === 'object' && candidate.id === id && ('result' in candidate || 'error' in candidate)) {
      return candidate as JsonRpcAnswer;
    }
  }
  return undefined;
}
