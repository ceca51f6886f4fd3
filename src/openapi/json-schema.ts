/**
 * The JSON Schema value type shared by the OpenAPI builder, and the few JSON helpers it needs.
 * Kept loose on purpose: MCP servers send every draft (04, 07, 2019-09, 2020-12) and some send
 * schemas that follow none, so nothing here may assume a keyword's type without checking it.
 *
 * @module
 */

export type JsonSchema = boolean | { [key: string]: unknown };

export type JsonObject = { [key: string]: unknown };

/** Nesting deeper than this is left shared rather than copied: no real schema gets near it. */
const MAX_CLONE_DEPTH = 500;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Sets an own property, even one named `__proto__` (which `JSON.parse` produces as a plain key,
 * and plain assignment would turn into a prototype change and lose).
 */
export function setKey(target: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** A deep copy of a JSON value, so nothing handed out shares structure with a server's schema. */
export function cloneJson<T>(value: T, depth = 0): T {
  if (depth > MAX_CLONE_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => cloneJson(item, depth + 1)) as T;
  if (isJsonObject(value)) {
    const copy: JsonObject = {};
    for (const [key, item] of Object.entries(value)) setKey(copy, key, cloneJson(item, depth + 1));
    return copy as T;
  }
  return value;
}
