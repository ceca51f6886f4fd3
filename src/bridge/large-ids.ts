/**
 * Request ids that are integers beyond JavaScript's safe range (above 2^53, as clients in other
 * languages may send): `JSON.parse` rounds them, and the SDK refuses them. So such an id is
 * replaced, right after parsing, by a marker string that carries its literal digits; everything
 * in between (sessions, hooks, the SDK) sees a string id, and the answer's writer puts the
 * literal back: `"id":"\u0000123…"` becomes `"id":123…`, the client's own digits.
 *
 * Only the id member of a message (or of each message of a batch) is marked, and only when it is
 * an integer literal: fractions and exponents are left for the SDK to refuse as before.
 *
 * @module
 */
import { isJsonObject } from '../config/json-path.js';

/** U+0000 starts the marker: JSON writes it `\u0000`, and no client sends it in an id of its own making. */
const MARK = '\u0000';
/** The marker as `JSON.stringify` writes it, in an id member. */
const WRITTEN_MARKER = /"id":"\\u0000(-?\d+)"/g;
/** An id member with an integer value, in a message's text. */
const ID_MEMBER = /"id"\s*:\s*(-?\d+)(?=\s*[,}])/g;

/**
 * Marks the unsafe integer ids of `body` (a message or a batch) parsed from `text`, in place.
 * Returns true when it marked one, so the writer of the answer knows to restore it.
 */
export function markLargeIds(body: unknown, text: string): boolean {
  const messages = Array.isArray(body) ? body : [body];
  let marked = false;
  let literals: string[] | undefined;
  for (const message of messages) {
    if (!isJsonObject(message) || typeof message.id !== 'number' || Number.isSafeInteger(message.id) || !Number.isInteger(message.id)) continue;
    literals ??= [...text.matchAll(ID_MEMBER)].map((match) => match[1]!);
    // The literal that parses to this id; the first, should a nested "id" round to the same number.
    const literal = literals.find((candidate) => Number(candidate) === message.id);
    if (literal === undefined) continue;
    message.id = MARK + literal;
    marked = true;
  }
  return marked;
}

/** True when `message` carries an id marked by `markLargeIds` (a response to such a request). */
export function hasMarkedId(message: object): boolean {
  const id = (message as { id?: unknown }).id;
  return typeof id === 'string' && id.startsWith(MARK);
}

/** Puts the client's literal back into the marked ids of a written message or stream chunk. */
export function restoreLargeIds(text: string): string {
  return text.includes('\\u0000') ? text.replace(WRITTEN_MARKER, '"id":$1') : text;
}

/** `response` with the marked ids of its body restored, whether it is one JSON body or an event stream. */
export function restoringLargeIds(response: Response): Response {
  if (!response.body) return response;
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  // An SSE event is written as one chunk, and a marker never spans two.
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        controller.enqueue(encoder.encode(restoreLargeIds(decoder.decode(chunk, { stream: true }))));
      },
    }),
  );
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}
