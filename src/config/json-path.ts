/**
 * Small helpers for pointing at a place in a parsed JSON tree, so every config message can say
 * exactly where the problem is (`mcpServers.time.args[0]`).
 *
 * @module
 */

/** One step into a JSON tree: an object key or an array index. */
export type JsonPathSegment = string | number;

/** Keys that read unambiguously after a dot; anything else is written as `["key"]`. */
const PLAIN_KEY = /^[A-Za-z0-9_$-]+$/;

/**
 * Write a path the way a person reads it: dots between keys, `[i]` for array indexes, and a
 * quoted `["key"]` for keys that would be ambiguous after a dot (server names may contain dots).
 */
export function formatJsonPath(path: readonly JsonPathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** The JSON name of a value's type: `string`, `number`, `boolean`, `null`, `array` or `object`. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value === undefined) return 'nothing';
  return typeof value;
}

/** True for a JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path` inside `root`, or undefined when the path leads nowhere. */
export function valueAtPath(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (typeof segment === 'symbol' || typeof current !== 'object' || current === null) return undefined;
    // Own properties only: a key such as "constructor" must not reach Object.prototype.
    if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** `fileLabel: path`, the place a config problem is at. */
export function locationOf(fileLabel: string, path: readonly JsonPathSegment[]): string {
  return `${fileLabel}: ${path.length === 0 ? 'top level' : formatJsonPath(path)}`;
}

/** `fileLabel: path: message`, the one shape of every config problem. */
export function problemAt(fileLabel: string, path: readonly JsonPathSegment[], message: string): string {
  return `${locationOf(fileLabel, path)}: ${message}`;
}
