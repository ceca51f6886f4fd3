/**
 * The one call every path makes (the bundled demo server's `echo` tool with `{"message":"hi"}`)
 * and the check of its answer, the same whichever client read it.
 *
 * @module
 */

export const ECHO_MESSAGE = 'hi';

/** The `tools/call` params: what the direct SDK client passes to `callTool`, and what the lean clients POST. */
export const ECHO_CALL = { name: 'echo', arguments: { message: ECHO_MESSAGE } };

/**
 * Undefined when `result` is the echo's answer (one text content `"hi"`, not an error), else a
 * short description of what came back, shown as the sample of a failed run.
 */
export function checkEchoResult(result: unknown): string | undefined {
  const { content, isError } = (result ?? {}) as { content?: unknown; isError?: unknown };
  if (!isError && Array.isArray(content) && content.length === 1) {
    const first = content[0] as { type?: unknown; text?: unknown } | undefined;
    if (first?.type === 'text' && first.text === ECHO_MESSAGE) return undefined;
  }
  return (JSON.stringify(result) ?? String(result)).slice(0, 200);
}
