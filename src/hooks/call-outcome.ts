/**
 * How a tool call ended, in the words the audit log and the metrics both use, so that an
 * operator reading one can match it against the other.
 *
 * @module
 */
import { isGatewayError } from '../errors.js';
import type { ToolResult } from './types.js';

export type CallOutcome =
  /** The tool answered. */
  | 'ok'
  /** The tool answered with `isError: true`: the server worked, the tool reported a failure. */
  | 'tool_error'
  /** No answer: the server was down, timed out, answered a JSON-RPC error, or a hook refused. */
  | 'error'
  /** The caller went away or cancelled before the answer. */
  | 'cancelled';

export function outcomeOfResult(result: ToolResult): CallOutcome {
  return result.isError === true ? 'tool_error' : 'ok';
}

export function outcomeOfError(error: unknown): CallOutcome {
  // Compared as a string: the code set grows, and a cancelled call is not a failure of the server.
  return isGatewayError(error) && (error.code as string) === 'CALL_ABORTED' ? 'cancelled' : 'error';
}
