/**
 * Builds one value that a JSON Schema (as the OpenAPI documents carry it) accepts, so a test can
 * call every documented operation with a body made from its own documentation.
 *
 * Honoured: `type` (and type lists), `const`, `enum`, numeric bounds and `multipleOf`,
 * `minLength`/`maxLength`, simple `pattern`s, common `format`s, `minItems`/`maxItems`,
 * `uniqueItems` for strings and numbers, `items` and `prefixItems`, `required` and `properties`, `oneOf`/`anyOf` (the first branch that is not
 * `null`), `allOf` (merged), and `$ref` anywhere in the document (a recursive `$ref` stops where
 * the schema lets it: an optional property is left out, an array left empty).
 *
 * It is a fixture generator, not a general solver: what it cannot satisfy it still returns, and
 * the server's validation says why.
 */
import { resolvePointer } from './openapi-document.js';

export interface SampleOptions {
  /** The document the schema lives in, where `$ref`s such as `#/components/schemas/X` point. */
  root?: unknown;
  /**
   * Optional properties are filled in objects nested fewer than this many levels deep: 0 fills
   * required properties only, 1 (the default) adds the optional ones of the top-level object.
   */
  optionalDepth?: number;
  /**
   * A string for a property by its name (the items of an array property get its name too);
   * undefined to let the schema decide. Lets a test aim path-like arguments at a sandbox.
   */
  stringFor?: (property: string) => string | undefined;
}

type Schema = Record<string, unknown>;

interface Place {
  /** The name of the nearest enclosing property. */
  property: string | undefined;
  /** How many objects enclose this value. */
  depth: number;
  /** `$ref`s being expanded, to stop at recursion. */
  refs: readonly string[];
}

/** Returned where no value can be made without expanding a recursive `$ref` again. */
const NONE: unique symbol = Symbol('none');
type Sampled = unknown | typeof NONE;

/** Values for `format`s. A URI is a `data:` URL, so a tool that fetches it stays off the network. */
const FORMAT_SAMPLES: Record<string, string> = {
  date: '2024-01-02',
  'date-time': '2024-01-02T03:04:05Z',
  time: '03:04:05Z',
  duration: 'P1D',
  email: 'someone@example.com',
  'idn-email': 'someone@example.com',
  hostname: 'example.com',
  'idn-hostname': 'example.com',
  ipv4: '127.0.0.1',
  ipv6: '::1',
  uri: 'data:text/plain;base64,c2FtcGxl',
  url: 'data:text/plain;base64,c2FtcGxl',
  iri: 'data:text/plain;base64,c2FtcGxl',
  'uri-reference': 'data:text/plain;base64,c2FtcGxl',
  'iri-reference': 'data:text/plain;base64,c2FtcGxl',
  'uri-template': 'https://example.com/{id}',
  uuid: '00000000-0000-4000-8000-000000000000',
  'json-pointer': '/sample',
  regex: '^sample$',
  byte: 'c2FtcGxl',
};

/** Tried in turn when a `pattern` is too much for `stringForPattern`. */
const PATTERN_CANDIDATES = ['sample', 'a', 'A', '0', '1', 'abc', 'ABC', 'a1', 'A1', 'a-b', 'a_b', 'a.b', 'sample@example.com', '2024-01-02'];

export function sampleFromSchema(schema: unknown, options: SampleOptions = {}): unknown {
  const value = new Sampler(options).sample(schema, { property: undefined, depth: 0, refs: [] });
  if (value === NONE) throw new Error('the schema only allows infinitely nested values');
  return value;
}

class Sampler {
  constructor(private readonly options: SampleOptions) {}

  sample(schema: unknown, place: Place): Sampled {
    if (schema === false) throw new Error('the schema `false` allows no value');
    if (!isObject(schema)) return 'sample';
    const resolved = this.dereference(schema, place);
    if (resolved === NONE) return NONE;
    const current = resolved.schema;
    place = resolved.place;

    if ('const' in current) return current.const;
    if (Array.isArray(current.enum) && current.enum.length > 0) return current.enum[0];

    const branches = (Array.isArray(current.oneOf) ? current.oneOf : Array.isArray(current.anyOf) ? current.anyOf : undefined) as unknown[] | undefined;
    if (branches && branches.length > 0) {
      const { oneOf: _oneOf, anyOf: _anyOf, ...rest } = current;
      const branch = this.dereference(branches.find((candidate) => !isNullSchema(candidate)) ?? branches[0], place);
      return branch === NONE ? NONE : this.sample(mergeSchemas(rest, branch.schema), branch.place);
    }
    if (Array.isArray(current.allOf) && current.allOf.length > 0) {
      const { allOf, ...rest } = current;
      let merged = rest;
      for (const part of allOf as unknown[]) {
        const resolvedPart = this.dereference(part, place);
        if (resolvedPart === NONE) return NONE;
        merged = mergeSchemas(merged, resolvedPart.schema);
        place = resolvedPart.place;
      }
      return this.sample(merged, place);
    }

    switch (typeOf(current)) {
      case 'null':
        return null;
      case 'boolean':
        return true;
      case 'integer':
        return numberFor(current, true);
      case 'number':
        return numberFor(current, false);
      case 'string':
        return this.stringFor(current, place);
      case 'array':
        return this.arrayFor(current, place);
      default:
        return this.objectFor(current, place);
    }
  }

  /**
   * The schema with its `$ref` (if any) replaced by the target merged with the siblings, and the
   * ref noted in the place; NONE when that ref is already being expanded.
   */
  private dereference(schema: unknown, place: Place): { schema: Schema; place: Place } | typeof NONE {
    if (!isObject(schema)) return { schema: schema === false ? { not: {} } : {}, place };
    const ref = schema.$ref;
    if (typeof ref !== 'string') return { schema, place };
    if (place.refs.includes(ref)) return NONE;
    const target = ref.startsWith('#') ? resolvePointer(this.options.root, ref.slice(1)) : undefined;
    if (target === false) throw new Error(`$ref ${ref} is the schema \`false\`, which allows no value`);
    if (target !== true && !isObject(target)) throw new Error(`cannot resolve $ref ${ref}`);
    const { $ref: _ref, ...siblings } = schema;
    const again = this.dereference(target === true ? {} : target, { ...place, refs: [...place.refs, ref] });
    return again === NONE ? NONE : { schema: mergeSchemas(again.schema, siblings), place: again.place };
  }

  private stringFor(schema: Schema, place: Place): string {
    const chosen = place.property === undefined ? undefined : this.options.stringFor?.(place.property);
    if (chosen !== undefined) return chosen;
    const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
    const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
    const fits = (value: string) => value.length >= minLength && value.length <= maxLength;
    const format = typeof schema.format === 'string' ? FORMAT_SAMPLES[schema.format] : undefined;
    if (format !== undefined) return format;
    if (typeof schema.pattern === 'string') {
      const pattern = new RegExp(schema.pattern, 'u');
      const generated = stringForPattern(schema.pattern, minLength);
      if (generated !== undefined && pattern.test(generated) && fits(generated)) return generated;
      for (const candidate of PATTERN_CANDIDATES) {
        const sized = fitLength(candidate, minLength, maxLength);
        if (pattern.test(sized)) return sized;
      }
      return generated ?? 'sample';
    }
    return fitLength('sample', minLength, maxLength);
  }

  private arrayFor(schema: Schema, place: Place): Sampled {
    const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
    const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
    // One item even where none are required: an empty list exercises little.
    const count = Math.min(Math.max(minItems, 1), maxItems);
    const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as unknown[]) : [];
    const items: unknown[] = [];
    for (let index = 0; index < count; index++) {
      const itemSchema = index < prefix.length ? prefix[index] : schema.items;
      const item = this.sample(itemSchema ?? {}, place);
      if (item === NONE) return index >= minItems ? items : NONE;
      items.push(schema.uniqueItems === true ? distinct(item, index) : item);
    }
    return items;
  }

  private objectFor(schema: Schema, place: Place): Sampled {
    const properties = isObject(schema.properties) ? (schema.properties as Record<string, unknown>) : {};
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const withOptional = place.depth < (this.options.optionalDepth ?? 1);
    const value: Record<string, unknown> = {};
    const names = [...new Set([...Object.keys(properties), ...required])];
    for (const name of names) {
      if (!required.has(name) && !withOptional) continue;
      const propertySchema = Object.hasOwn(properties, name)
        ? properties[name]
        : isObject(schema.additionalProperties)
          ? schema.additionalProperties
          : {};
      const item = this.sample(propertySchema, { property: name, depth: place.depth + 1, refs: place.refs });
      if (item === NONE) {
        if (required.has(name)) return NONE;
        continue;
      }
      value[name] = item;
    }
    return value;
  }
}

/** The `index`th of several items that must differ: strings get a suffix, numbers a step. */
function distinct(item: unknown, index: number): unknown {
  if (index === 0) return item;
  if (typeof item === 'string') return `${item}${index}`;
  if (typeof item === 'number') return item + index;
  return item;
}

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNullSchema(schema: unknown): boolean {
  return isObject(schema) && (schema.type === 'null' || (Array.isArray(schema.type) && schema.type.every((type) => type === 'null')));
}

/** `allOf` parts and a branch with its siblings, merged: properties joined, `required` united. */
function mergeSchemas(base: Schema, extra: Schema): Schema {
  const merged: Schema = { ...base, ...extra };
  if (isObject(base.properties) || isObject(extra.properties)) {
    merged.properties = { ...(isObject(base.properties) ? base.properties : {}), ...(isObject(extra.properties) ? extra.properties : {}) };
  }
  const required = [...(Array.isArray(base.required) ? base.required : []), ...(Array.isArray(extra.required) ? extra.required : [])];
  if (required.length > 0) merged.required = [...new Set(required)];
  return merged;
}

/** The declared type (the first that is not `null`), or the one its keywords imply. */
function typeOf(schema: Schema): string {
  const declared = Array.isArray(schema.type) ? (schema.type.find((type) => type !== 'null') ?? schema.type[0]) : schema.type;
  if (typeof declared === 'string') return declared;
  if ('properties' in schema || 'required' in schema || 'additionalProperties' in schema) return 'object';
  if ('items' in schema || 'prefixItems' in schema || 'minItems' in schema) return 'array';
  if (['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'].some((key) => key in schema)) return 'number';
  return 'string';
}

function numberFor(schema: Schema, integer: boolean): number {
  const bound = (key: string, otherwise: number) => (typeof schema[key] === 'number' ? (schema[key] as number) : otherwise);
  const [minimum, exclusiveMinimum] = [bound('minimum', -Infinity), bound('exclusiveMinimum', -Infinity)];
  const [maximum, exclusiveMaximum] = [bound('maximum', Infinity), bound('exclusiveMaximum', Infinity)];
  const step = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : integer ? 1 : undefined;
  const onStep = (value: number) => step === undefined || Math.abs(value / step - Math.round(value / step)) < 1e-9;
  const allowed = (value: number) =>
    value >= minimum && value > exclusiveMinimum && value <= maximum && value < exclusiveMaximum && onStep(value);
  const low = Math.max(minimum, exclusiveMinimum);
  const high = Math.min(maximum, exclusiveMaximum);
  // 1 first: a count, an id or a size of 1 is the most likely to be harmless.
  const candidates = [1, 0];
  if (step !== undefined) {
    candidates.push(Math.ceil(1 / step) * step);
    if (Number.isFinite(low)) candidates.push(Math.ceil(low / step) * step, (Math.floor(low / step) + 1) * step);
    if (Number.isFinite(high)) candidates.push(Math.floor(high / step) * step, (Math.ceil(high / step) - 1) * step);
  } else if (Number.isFinite(low) && Number.isFinite(high)) {
    candidates.push((low + high) / 2);
  } else if (Number.isFinite(low)) {
    candidates.push(low, low + 1);
  } else if (Number.isFinite(high)) {
    candidates.push(high, high - 1);
  }
  return candidates.find(allowed) ?? candidates[candidates.length - 1]!;
}

function fitLength(text: string, minLength: number, maxLength: number): string {
  const padded = text.length >= minLength ? text : text + 'x'.repeat(minLength - text.length);
  return padded.slice(0, Math.max(minLength, Math.min(padded.length, maxLength)));
}

/**
 * A string for patterns made of literals, escapes (`\d`, `\w`, `\s`, `\.`), character classes,
 * groups and alternatives (the first is taken) and quantifiers, between optional anchors;
 * undefined for anything else (lookarounds, backreferences, negated classes).
 */
function stringForPattern(pattern: string, minLength: number): string | undefined {
  const first = firstAlternative(pattern);
  const start = first.startsWith('^') ? 1 : 0;
  const end = first.endsWith('$') && !first.endsWith('\\$') ? first.length - 1 : first.length;
  return stringForSequence(first.slice(start, end), minLength);
}

/** The part before the first `|` outside groups and classes. */
function firstAlternative(source: string): string {
  let depth = 0;
  for (let index = 0; index < source.length; index++) {
    const char = source[index]!;
    if (char === '\\') index += 1;
    else if (char === '[') index = Math.max(index, source.indexOf(']', index + 2));
    else if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    else if (char === '|' && depth === 0) return source.slice(0, index);
  }
  return source;
}

const ESCAPES: Record<string, string> = { d: '1', w: 'a', s: ' ' };

function stringForSequence(source: string, minLength: number): string | undefined {
  const atoms: Array<{ text: string; min: number; max: number }> = [];
  let index = 0;
  while (index < source.length) {
    let text: string | undefined;
    const at = source[index]!;
    if (at === '\\') {
      const escaped = source[index + 1];
      if (escaped === undefined) return undefined;
      text = ESCAPES[escaped] ?? (/[a-zA-Z0-9]/.test(escaped) ? undefined : escaped);
      index += 2;
    } else if (at === '[') {
      const close = source.indexOf(']', index + 2);
      if (close < 0 || source[index + 1] === '^') return undefined;
      const first = source[index + 1]!;
      text = first === '\\' ? (ESCAPES[source[index + 2] ?? ''] ?? source[index + 2]) : first;
      index = close + 1;
    } else if (at === '(') {
      let depth = 0;
      let close = index;
      for (; close < source.length; close++) {
        if (source[close] === '\\') close += 1;
        else if (source[close] === '(') depth += 1;
        else if (source[close] === ')' && --depth === 0) break;
      }
      let inner = source.slice(index + 1, close);
      if (inner.startsWith('?')) {
        if (!inner.startsWith('?:')) return undefined;
        inner = inner.slice(2);
      }
      text = stringForSequence(firstAlternative(inner), 0);
      index = close + 1;
    } else if ('|)^$'.includes(at)) {
      return undefined;
    } else {
      text = at === '.' ? 'a' : at;
      index += 1;
    }
    if (text === undefined) return undefined;
    let min = 1;
    let max = 1;
    const quantifier = /^(?:([?*+])|\{(\d+)(?:(,)(\d*))?\})\??/.exec(source.slice(index));
    if (quantifier) {
      if (quantifier[1] === '?') [min, max] = [0, 1];
      else if (quantifier[1] === '*') [min, max] = [0, Infinity];
      else if (quantifier[1] === '+') [min, max] = [1, Infinity];
      else {
        min = Number(quantifier[2]);
        max = quantifier[3] === undefined ? min : quantifier[4] ? Number(quantifier[4]) : Infinity;
      }
      index += quantifier[0].length;
    }
    atoms.push({ text, min, max });
  }
  const counts = atoms.map((atom) => atom.min);
  // Repeat repeatable atoms, first to last, until the string is long enough.
  let length = atoms.reduce((sum, atom, i) => sum + atom.text.length * counts[i]!, 0);
  for (let i = 0; i < atoms.length && length < minLength; i++) {
    const { text, max } = atoms[i]!;
    if (text.length === 0) continue;
    const extra = Math.min(max - counts[i]!, Math.ceil((minLength - length) / text.length));
    counts[i] = counts[i]! + extra;
    length += extra * text.length;
  }
  return atoms.map((atom, i) => atom.text.repeat(counts[i]!)).join('');
}
