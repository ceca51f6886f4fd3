/**
 * Reads a REST call's JSON body: the size limit (413, checked before reading when the length is
 * declared, while reading when it is not), the content type (415) and the JSON syntax (422 with
 * FastAPI's `json_invalid`, as mcpo answers).
 *
 * @module
 */
import { payloadTooLarge, unsupportedMediaType, validationFailure, type RestFailure } from './errors.js';

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

  const text = declaredLength !== null ? await request.text() : await readLimited(request, limitBytes);
  if (text === undefined) return { ok: false, failure: payloadTooLarge(limitBytes) };
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = Number(/position (\d+)/.exec(message)?.[1] ?? 0);
    return {
      ok: false,
      failure: validationFailure([{ type: 'json_invalid', loc: ['body', position], msg: 'JSON decode error', input: {}, ctx: { error: message } }]),
    };
  }
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
