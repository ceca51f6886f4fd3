/**
 * Finds what a local `$ref` points at inside one schema document.
 *
 * Tool schemas refer to their own parts: `#/$defs/X` (2020-12), `#/definitions/X` (draft-07),
 * any JSON pointer (`#/properties/a/items`), the whole schema (`#`), a plain-name anchor
 * (`#node`, from `$anchor` or a draft-07 `$id: "#node"`), or any of these after the root's own
 * `$id`. Every target is named by its canonical JSON pointer, so two spellings of the same place
 * (`#/%24defs/X` and `#/$defs/X`) are one target, which the cycle detection relies on.
 * Anything else (another document, a URL) is external and cannot be resolved offline.
 *
 * @module
 */
import { isJsonObject } from './json-schema.js';

export interface RefTarget {
  /** Canonical JSON pointer of the target (`''` is the root). */
  pointer: string;
  node: unknown;
}

/** Values under these keywords are data, not schemas: an `$anchor` there names nothing. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'example']);
const MAX_INDEX_DEPTH = 200;

export function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointerSegment(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map(unescapePointerSegment);
}

export function childPointer(pointer: string, ...segments: Array<string | number>): string {
  return pointer + segments.map((segment) => `/${escapePointerSegment(String(segment))}`).join('');
}

export class RefResolver {
  readonly #root: unknown;
  readonly #rootId: string | undefined;
  readonly #anchors = new Map<string, string>();

  constructor(root: unknown) {
    this.#root = root;
    const id = isJsonObject(root) ? root.$id : undefined;
    this.#rootId = typeof id === 'string' && id !== '' && !id.startsWith('#') ? id.replace(/#$/, '') : undefined;
    this.#indexAnchors(root, '', 0);
  }

  /** The target of `ref`, or undefined when it is external, malformed or points at nothing. */
  resolve(ref: string): RefTarget | undefined {
    const hash = ref.indexOf('#');
    const base = hash === -1 ? ref : ref.slice(0, hash);
    if (base !== '' && base !== this.#rootId) return undefined;
    let fragment = hash === -1 ? '' : ref.slice(hash + 1);
    try {
      fragment = decodeURIComponent(fragment);
    } catch {
      // A stray `%` is taken literally rather than failing the whole schema.
    }
    if (fragment === '') return { pointer: '', node: this.#root };
    if (fragment.startsWith('/')) return this.at(fragment);
    const pointer = this.#anchors.get(fragment);
    return pointer === undefined ? undefined : this.at(pointer);
  }

  /** The node at a JSON pointer, with the pointer in canonical form. */
  at(pointer: string): RefTarget | undefined {
    const segments = pointerSegments(pointer);
    let node: unknown = this.#root;
    for (const segment of segments) {
      if (Array.isArray(node)) {
        if (!/^(0|[1-9][0-9]*)$/.test(segment) || Number(segment) >= node.length) return undefined;
        node = node[Number(segment)];
      } else if (isJsonObject(node) && Object.hasOwn(node, segment)) {
        node = node[segment];
      } else {
        return undefined;
      }
    }
    return { pointer: childPointer('', ...segments), node };
  }

  #indexAnchors(node: unknown, pointer: string, depth: number): void {
    if (depth > MAX_INDEX_DEPTH) return;
    if (Array.isArray(node)) {
      node.forEach((item, index) => this.#indexAnchors(item, childPointer(pointer, index), depth + 1));
      return;
    }
    if (!isJsonObject(node)) return;
    for (const anchor of [node.$anchor, node.$dynamicAnchor, typeof node.$id === 'string' && node.$id.startsWith('#') ? node.$id.slice(1) : undefined]) {
      // The first declaration wins, so a duplicate anchor resolves the same way every time.
      if (typeof anchor === 'string' && anchor !== '' && !this.#anchors.has(anchor)) this.#anchors.set(anchor, pointer);
    }
    for (const [key, value] of Object.entries(node)) {
      if (!DATA_KEYWORDS.has(key)) this.#indexAnchors(value, childPointer(pointer, key), depth + 1);
    }
  }
}
