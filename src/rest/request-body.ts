/**
 * Reads a REST call's JSON body: the size limit (413, checked before reading when the length is
 * declared, while reading when it is not), the content type (415), a body cut short (400) and the
 * JSON syntax (422 with FastAPI's `json_invalid`, as mcpo answers).
 *
 * @module
 */
import { payloadTooLarge, unreadableBody, unsupportedMediaType, validationFailure, type RestFailure } from './errors.js';

export type BodyRead = { ok: true; value: unknown } | { ok: false; failure: RestFailure };

/** `value` is undefined when the request has no body (or an empty one). */
export async function readJsonBody(request: Request, limitBytes: number): Promise<BodyRead> {
  const declaredLength = request.headers.get('content-length');
  if (declaredLength !== null && Number(declaredLength) > limitBytes) return { ok: false, failure: payloadTooLarge(limitBytes) };
  if (declaredLength === '0' || (declaredLength === null && !request.headers.has('transfer-encoding'))) {
    return { ok: true, value: undefined };
  }
  const contentType = request.headers.get('content-type');
  if (contentType !== null && !isJsonMediaType(contentType)) return { ok: false, failure: unsupportedMediaType(contentType) };

  let text: string | undefined;
  try {
    text = declaredLength !== null ? await request.text() : await readLimited(request, limitBytes);
  } catch (error) {
    // The client closed the connection before the whole body arrived (or broke its chunked
    // encoding): the request's fault, not an error of the gateway's, which the error handler
    // would log as a bug. Nobody may be left to read this answer.
    return { ok: false, failure: unreadableBody(error instanceof Error ? error.message : String(error)) };
  }
  if (text === undefined) return { ok: false, failure: payloadTooLarge(limitBytes) };
  if (text.trim() === '') return { ok: true, value: undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = Number(/position (\d+)/.exec(message)?.[1] ?? 0);
    return {
      ok: false,
      failure: validationFailure([{ type: 'json_invalid', loc: ['body', position], msg: 'JSON decode error', input: {}, ctx: { error: message } }]),
    };
  }
  if (nestingExceeds(value, MAX_NESTING)) {
    return {
      ok: false,
      failure: validationFailure([
        { type: 'too_deep', loc: ['body'], msg: `JSON nested deeper than ${MAX_NESTING} levels`, input: {}, ctx: { max_depth: MAX_NESTING } },
      ]),
    };
  }
  return { ok: true, value };
}

/**
 * JSON.parse takes any depth, but validating or forwarding a value recurses over it: a body
 * nested a hundred thousand levels deep would overflow the stack there. No tool's arguments come
 * near this. The MCP endpoints hold their bodies to the same limit.
 */
export const MAX_NESTING = 512;

/** Walks the value without recursion; true as soon as a path is deeper than `max`. */
export function nestingExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** `application/json`, `application/<anything>+json`, and `text/json`; parameters ignored. */
export function isJsonMediaType(contentType: string): boolean {
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || mediaType === 'text/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));
}

/** A body without a declared length, read until the limit; undefined once it is exceeded. */
async function readLimited(request: Request, limitBytes: number): Promise<string | undefined> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
