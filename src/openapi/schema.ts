/**
 * Turns a tool's `inputSchema` / `outputSchema` into a self-contained OpenAPI 3.1 schema.
 *
 * Open WebUI, the main consumer of these documents, resolves only `#/components/...` refs and
 * ignores `$defs`, so every `$ref` is resolved here: a reference that does not lead back to
 * itself is inlined (readers that skip refs still see the whole schema), and a recursive one is
 * hoisted into `components.schemas`, the only place a cycle can live in an OpenAPI document.
 *
 * How recursion is found: the converter keeps the JSON pointers of the schemas it is converting
 * (a stack). A `$ref` to a place on that stack would expand forever, so that target is hoisted.
 * Finding a new recursive target midway means earlier parts of the same pass inlined it once
 * already, so the conversion is run again until a pass finds nothing new. That leaves each
 * recursive schema in exactly one form: a component, referred to from everywhere, including the
 * place it was written. The root is the exception: it stays inline (the request body's
 * properties are visible without resolving anything), and `#` refers to a component copy of it.
 *
 * @module
 */
import { cloneJson, isJsonObject, setKey, type JsonObject, type JsonSchema } from './json-schema.js';
import { childPointer, pointerSegments, RefResolver } from './ref-resolver.js';
import { ANNOTATION_KEYWORDS, applyNullable, convertValueKeyword, mergeDependentRequired, REMOVED_KEYWORDS } from './schema-keywords.js';

export interface ToOpenApiSchemaOptions {
  /** Start of the names of hoisted components, e.g. `${operationId}_`, so tools never share one. */
  componentPrefix: string;
  /** The document's `components.schemas`. Hoisted schemas are added under names not yet taken in it. */
  components: Record<string, JsonSchema>;
}

export const COMPONENT_REF_PREFIX = '#/components/schemas/';

/** Literal nesting deeper than this is cut off (no real schema comes close; it guards the stack). */
const MAX_DEPTH = 200;
/** Refs met deeper than this are hoisted instead of inlined, which bounds chains of inlined refs. */
const MAX_INLINE_DEPTH = 48;
/**
 * Inlining can multiply a schema's size (a def used twice, that uses another twice, ...). Once a
 * pass has built this many schema objects, further refs are hoisted instead: the document stays
 * small and still means the same.
 */
const NODE_BUDGET = 20_000;

const SINGLE_SCHEMA_KEYWORDS = new Set([
  'additionalProperties', 'contains', 'propertyNames', 'not', 'if', 'then', 'else',
  'unevaluatedItems', 'unevaluatedProperties', 'contentSchema',
]);
const SCHEMA_LIST_KEYWORDS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const SCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties', 'dependentSchemas']);
/** 2019-09 `$recursiveRef` and 2020-12 `$dynamicRef` are resolved like `$ref` (statically). */
const REF_KEYWORDS = ['$ref', '$recursiveRef', '$dynamicRef'];
/** Keywords that read each other within one schema object, so they cannot be merged across two. */
const INTERACTING_KEYWORDS = [
  ['properties', 'patternProperties', 'additionalProperties', 'unevaluatedProperties'],
  ['prefixItems', 'items', 'unevaluatedItems', 'contains', 'minContains', 'maxContains'],
  ['if', 'then', 'else'],
];

/**
 * Turns a tool's inputSchema/outputSchema into a self-contained OpenAPI 3.1 (JSON Schema 2020-12)
 * schema. Every `$ref` is resolved; non-recursive refs are inlined, recursive ones are hoisted into
 * `components` as `${componentPrefix}${sanitised def name}` and referenced as
 * `#/components/schemas/<name>`. Unresolvable or external refs become `{}` with `x-unresolved-ref`.
 * Never throws; never mutates its input.
 */
export function toOpenApiSchema(schema: JsonSchema, options: ToOpenApiSchemaOptions): JsonSchema {
  if (typeof schema === 'boolean') return schema;
  if (!isJsonObject(schema)) return {};
  return new SchemaConverter(schema, options).run();
}

class SchemaConverter {
  readonly #root: JsonObject;
  readonly #resolver: RefResolver;
  readonly #prefix: string;
  readonly #components: Record<string, JsonSchema>;
  /** Targets referenced as components: canonical pointer → component name. */
  readonly #hoisted = new Map<string, string>();
  readonly #names = new Set<string>();
  /** Pointers being converted right now, with how many times each is on the stack. */
  readonly #stack = new Map<string, number>();
  #built = 0;

  constructor(root: JsonObject, options: ToOpenApiSchemaOptions) {
    this.#root = root;
    this.#resolver = new RefResolver(root);
    this.#prefix = options.componentPrefix.replace(/[^a-zA-Z0-9._-]/g, '_');
    this.#components = options.components;
  }

  run(): JsonSchema {
    for (;;) {
      const known = this.#hoisted.size;
      this.#built = 0;
      const root = this.#convert(this.#root, '', 0);
      const bodies = new Map<string, JsonSchema>();
      // A Map iterator also visits entries added while iterating: components found inside
      // components are converted in the same pass.
      for (const pointer of this.#hoisted.keys()) {
        bodies.set(pointer, this.#convert(this.#resolver.at(pointer)?.node, pointer, 0, true));
      }
      if (this.#hoisted.size === known) {
        this.#publish(bodies);
        return root;
      }
    }
  }

  /** `body`: this is the hoisted schema's own component, not a place that refers to it. */
  #convert(node: unknown, at: string, depth: number, body = false): JsonSchema {
    if (typeof node === 'boolean') return node;
    if (!isJsonObject(node)) return {};
    // A recursive schema written in place (`#/properties/tree`, referred to from inside itself)
    // is a component like any other; only the root stays inline.
    const hoisted = at === '' || body ? undefined : this.#hoisted.get(at);
    if (hoisted !== undefined) return { $ref: COMPONENT_REF_PREFIX + hoisted };
    if (depth > MAX_DEPTH) return { 'x-mcp-truncated': true };
    this.#built += 1;
    this.#stack.set(at, (this.#stack.get(at) ?? 0) + 1);
    try {
      return this.#convertObject(node, at, depth);
    } finally {
      const count = this.#stack.get(at) ?? 1;
      if (count <= 1) this.#stack.delete(at);
      else this.#stack.set(at, count - 1);
    }
  }

  #convertObject(node: JsonObject, at: string, depth: number): JsonSchema {
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      if (REMOVED_KEYWORDS.has(key) || REF_KEYWORDS.includes(key) || key === 'nullable') continue;
      if (convertValueKeyword(node, key, value, out)) continue;
      const here = childPointer(at, key);
      if (key === 'items') {
        this.#convertItems(node, value, at, depth, out);
      } else if (key === 'additionalItems') {
        // Means something only next to a tuple `items`, where #convertItems handled it.
      } else if (key === 'dependencies') {
        mergeDependentRequired(out, value);
        if (isJsonObject(value)) {
          const schemas = Object.entries(value).filter(([, dependency]) => !Array.isArray(dependency));
          if (schemas.length > 0) out.dependentSchemas = this.#convertMap(Object.fromEntries(schemas), here, depth);
        }
      } else if (SINGLE_SCHEMA_KEYWORDS.has(key)) {
        out[key] = this.#convert(value, here, depth + 1);
      } else if (SCHEMA_LIST_KEYWORDS.has(key)) {
        // The 2020-12 meta-schema requires these lists to be non-empty.
        if (Array.isArray(value) && value.length > 0) {
          out[key] = value.map((item, index) => this.#convert(item, childPointer(here, index), depth + 1));
        }
      } else if (SCHEMA_MAP_KEYWORDS.has(key)) {
        if (isJsonObject(value)) out[key] = this.#convertMap(value, here, depth);
      } else {
        setKey(out, key, cloneJson(value));
      }
    }
    applyNullable(node, out);

    const refKey = REF_KEYWORDS.find((key) => typeof node[key] === 'string');
    if (refKey === undefined) return out;
    const ref = node[refKey] as string;
    return combine(this.#resolveRef(ref, at, depth), out);
  }

  /** Draft-07 tuples (`items: [...]`, `additionalItems`) become 2020-12 `prefixItems` / `items`. */
  #convertItems(node: JsonObject, items: unknown, at: string, depth: number, out: JsonObject): void {
    if (!Array.isArray(items)) {
      out.items = this.#convert(items, childPointer(at, 'items'), depth + 1);
      return;
    }
    if (items.length > 0) {
      out.prefixItems = items.map((item, index) => this.#convert(item, childPointer(at, 'items', index), depth + 1));
    }
    if (node.additionalItems !== undefined) {
      out.items = this.#convert(node.additionalItems, childPointer(at, 'additionalItems'), depth + 1);
    }
  }

  #convertMap(map: JsonObject, at: string, depth: number): JsonObject {
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(map)) setKey(out, key, this.#convert(value, childPointer(at, key), depth + 1));
    return out;
  }

  #resolveRef(ref: string, at: string, depth: number): JsonSchema {
    const target = this.#resolver.resolve(ref);
    // A schema that is nothing but a reference to itself constrains nothing.
    if (target === undefined || target.pointer === at) return { 'x-unresolved-ref': ref };
    if (typeof target.node === 'boolean') return target.node;
    if (!isJsonObject(target.node)) return { 'x-unresolved-ref': ref };
    const hoist =
      this.#hoisted.has(target.pointer) ||
      this.#stack.has(target.pointer) ||
      depth >= MAX_INLINE_DEPTH ||
      this.#built >= NODE_BUDGET;
    if (hoist) return { $ref: COMPONENT_REF_PREFIX + this.#hoist(target.pointer) };
    return this.#convert(target.node, target.pointer, depth + 1);
  }

  #hoist(pointer: string): string {
    let name = this.#hoisted.get(pointer);
    if (name === undefined) {
      const base = this.#prefix + componentBaseName(pointer);
      name = base;
      for (let suffix = 2; Object.hasOwn(this.#components, name) || this.#names.has(name); suffix += 1) name = `${base}_${suffix}`;
      this.#hoisted.set(pointer, name);
      this.#names.add(name);
    }
    return name;
  }

  #publish(bodies: Map<string, JsonSchema>): void {
    for (const [pointer, body] of bodies) {
      const name = this.#hoisted.get(pointer) as string;
      // A cycle made only of references (A is B, B is A) has no content; it accepts anything.
      const selfLoop = isJsonObject(body) && Object.keys(body).length === 1 && body.$ref === COMPONENT_REF_PREFIX + name;
      this.#components[name] = selfLoop ? {} : body;
    }
  }
}

/** `#/$defs/Tree` → `Tree`, `#/properties/a/items` → `properties_a_items`, `#` → `root`. */
function componentBaseName(pointer: string): string {
  const segments = pointerSegments(pointer).filter((segment) => segment !== '$defs' && segment !== 'definitions');
  const name = segments.map((segment) => segment.replace(/[^a-zA-Z0-9._-]/g, '_')).join('_');
  return name === '' ? 'root' : name;
}

/**
 * A `$ref` with sibling keywords. 2020-12 applies both; draft-07 ignores the siblings, but the
 * generators that write them (a description next to a ref) mean them to apply, so both apply.
 * They are merged into one object when no keyword clashes (a component `$ref` or an
 * `x-unresolved-ref` simply gains the siblings), else the target goes under `allOf`.
 */
function combine(resolved: JsonSchema, siblings: JsonObject): JsonSchema {
  if (Object.keys(siblings).length === 0) return resolved;
  if (resolved === true) return siblings;
  if (resolved === false) return { ...siblings, allOf: [...listOf(siblings.allOf), false] };
  const clash = Object.keys(resolved).some((key) => Object.hasOwn(siblings, key) && !ANNOTATION_KEYWORDS.has(key));
  const interacts = INTERACTING_KEYWORDS.some(
    (group) => group.some((key) => Object.hasOwn(resolved, key)) && group.some((key) => Object.hasOwn(siblings, key)),
  );
  if (!clash && !interacts) return { ...resolved, ...siblings };
  return { ...siblings, allOf: [...listOf(siblings.allOf), resolved] };
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
