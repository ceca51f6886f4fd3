/**
 * OpenAPI operationIds that every LLM function-calling API accepts.
 *
 * Open WebUI (and any OpenAPI-to-tools bridge) uses the operationId as the function name, and
 * OpenAI and Anthropic reject names outside `^[a-zA-Z0-9_-]{1,64}$`, while MCP allows tool names
 * of up to 128 characters with dots. So each name is kept when it already fits, and otherwise
 * rewritten to something that fits, unique and stable: the same set of names always gives the
 * same ids, whatever order they come in.
 *
 * @module
 */
import { createHash } from 'node:crypto';

export const OPERATION_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

const MAX_LENGTH = 64;
const HASH_LENGTH = 8;
/** Room left for the prefix before `_` + hash. */
const PREFIX_LENGTH = MAX_LENGTH - HASH_LENGTH - 1;

export interface AssignOperationIdsOptions {
  /**
   * Ids already given to other operations of the same document. A name equal to one of them is
   * treated like a colliding name; this is how the tools' ids take priority over the resource and
   * prompt operations' ids.
   */
  reserved?: Iterable<string>;
}

/** Every character outside the allowed set becomes `_`. */
export function sanitiseName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/gu, '_');
}

/**
 * Assigns each name an OpenAPI operationId usable as an LLM function name: ^[a-zA-Z0-9_-]{1,64}$.
 * A name that already fits is kept as is. Others are sanitised (every other char → "_"); when the
 * sanitised form is too long, empty, says nothing (only `_` and `-`, as a name in another script
 * becomes), or collides with another name's id, it becomes a shortened prefix + "_" + 8 hex chars
 * of the sha256 of the original name, still ≤ 64.
 * Deterministic: the same set of names always gives the same ids (order-independent), and names
 * that are valid keep themselves even if an invalid name would sanitise to them. All ids unique.
 */
export function assignOperationIds(names: readonly string[], options: AssignOperationIdsOptions = {}): Map<string, string> {
  const reserved = new Set(options.reserved ?? []);
  // Sorting makes the result independent of the input order; code-unit order is locale-free.
  const unique = [...new Set(names)].sort(compareCodeUnits);
  const ids = new Map<string, string>();
  const taken = new Set(reserved);

  // 1. Names that already fit keep themselves (unless another operation owns that id already).
  const rewrite: string[] = [];
  for (const name of unique) {
    if (OPERATION_ID_PATTERN.test(name) && !reserved.has(name)) {
      ids.set(name, name);
      taken.add(name);
    } else {
      rewrite.push(name);
    }
  }

  // 2. A sanitised form is used only when exactly one name wants it and it is free; when two
  //    names sanitise alike, neither is preferred (that would depend on which one sorts first).
  const bySanitised = new Map<string, string[]>();
  for (const name of rewrite) {
    const sanitised = sanitiseName(name);
    bySanitised.set(sanitised, [...(bySanitised.get(sanitised) ?? []), name]);
  }
  const hashed: string[] = [];
  for (const name of rewrite) {
    const sanitised = sanitiseName(name);
    const usable =
      bySanitised.get(sanitised)?.length === 1 &&
      OPERATION_ID_PATTERN.test(sanitised) &&
      /[a-zA-Z0-9]/.test(sanitised) &&
      !taken.has(sanitised);
    if (usable) {
      ids.set(name, sanitised);
      taken.add(sanitised);
    } else {
      hashed.push(name);
    }
  }

  // 3. The rest: prefix + hash. Names are visited in sorted order, so the rare hash collision
  //    is settled the same way every time.
  for (const name of hashed) {
    const id = hashedId(name, taken);
    ids.set(name, id);
    taken.add(id);
  }
  return ids;
}

function hashedId(name: string, taken: ReadonlySet<string>): string {
  const prefix = sanitiseName(name).slice(0, PREFIX_LENGTH);
  for (let attempt = 0; ; attempt += 1) {
    const input = attempt === 0 ? name : `${name}\u0000${attempt}`;
    const hash = createHash('sha256').update(input, 'utf8').digest('hex').slice(0, HASH_LENGTH);
    const id = prefix === '' ? `op_${hash}` : `${prefix}_${hash}`;
    if (!taken.has(id)) return id;
  }
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
