/**
 * The keywords of one schema object that hold values rather than subschemas, brought to
 * JSON Schema 2020-12 (the dialect of OpenAPI 3.1).
 *
 * Servers send draft-04, draft-07, 2019-09, 2020-12 and OpenAPI 3.0 schemas. The differences that
 * change meaning are converted (draft-04 boolean `exclusiveMinimum`, OpenAPI 3.0 `nullable`);
 * values of the wrong type (`minimum: "5"`, draft-03 `required: true`, `type: "any"`) are dropped
 * rather than copied, because a document whose schemas break the 2020-12 meta-schema is rejected
 * by some OpenAPI tools, and such a keyword never constrained anything for the server either.
 *
 * @module
 */
import { cloneJson, setKey, type JsonObject } from './json-schema.js';

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

const NUMBER_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);
const COUNT_KEYWORDS = new Set([
  'minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'minContains', 'maxContains',
]);
const STRING_KEYWORDS = new Set(['title', 'description', 'format', 'pattern', 'contentMediaType', 'contentEncoding']);
const BOOLEAN_KEYWORDS = new Set(['uniqueItems', 'readOnly', 'writeOnly', 'deprecated']);

/**
 * Keywords that only identify or annotate a schema for its own document. Once every `$ref` is
 * resolved they mean nothing (or, for `$id`, would change how later refs resolve).
 */
export const REMOVED_KEYWORDS = new Set([
  '$schema', '$id', '$defs', 'definitions', '$comment', '$anchor', '$dynamicAnchor', '$recursiveAnchor', '$vocabulary',
]);

/** Keywords whose value is the same across a reference and its target, so a sibling simply overrides it. */
export const ANNOTATION_KEYWORDS = new Set([
  'title', 'description', 'default', 'examples', 'example', 'deprecated', 'readOnly', 'writeOnly',
]);

/**
 * Converts one value keyword of `node` into `out`. Returns false when `key` is not a value
 * keyword this function knows, so the caller can treat it as a subschema keyword or copy it.
 */
export function convertValueKeyword(node: JsonObject, key: string, value: unknown, out: JsonObject): boolean {
  if (key === 'type') {
    const type = normaliseType(value);
    if (type !== undefined) out.type = type;
  } else if (key === 'exclusiveMinimum' || key === 'exclusiveMaximum') {
    convertExclusiveBound(node, key, value, out);
  } else if ((key === 'minimum' || key === 'maximum') && hasBooleanExclusive(node, key)) {
    // Draft-04 `minimum` + `exclusiveMinimum: true`: the bound is written by convertExclusiveBound.
    if (node[exclusiveFor(key)] !== true && typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  } else if (NUMBER_KEYWORDS.has(key)) {
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  } else if (COUNT_KEYWORDS.has(key)) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) out[key] = value;
  } else if (key === 'multipleOf') {
    if (typeof value === 'number' && value > 0 && Number.isFinite(value)) out[key] = value;
  } else if (STRING_KEYWORDS.has(key)) {
    if (typeof value === 'string') out[key] = value;
  } else if (BOOLEAN_KEYWORDS.has(key)) {
    if (typeof value === 'boolean') out[key] = value;
  } else if (key === 'required') {
    // Draft-03 put `required: true` on the property itself; it has no 2020-12 equivalent here.
    if (Array.isArray(value)) out.required = [...new Set(value.filter((item): item is string => typeof item === 'string'))];
  } else if (key === 'enum') {
    if (Array.isArray(value)) out.enum = cloneJson(value);
  } else if (key === 'examples') {
    out.examples = Array.isArray(value) ? cloneJson(value) : [cloneJson(value)];
  } else if (key === 'dependentRequired') {
    mergeDependentRequired(out, value);
  } else {
    return false;
  }
  return true;
}

/**
 * OpenAPI 3.0 `nullable: true` means "null is also allowed": it becomes a `"null"` member of the
 * type. Applied after the other keywords, whatever their order in the source.
 */
export function applyNullable(node: JsonObject, out: JsonObject): void {
  if (node.nullable !== true) return;
  if (typeof out.type === 'string' && out.type !== 'null') out.type = [out.type, 'null'];
  else if (Array.isArray(out.type) && !out.type.includes('null')) out.type = [...out.type, 'null'];
  // OpenAPI 3.0.3 asks for null to be listed in the enum as well, but generators that write
  // `nullable` next to an enum mean null to be accepted, so it is accepted.
  if (Array.isArray(out.enum) && !out.enum.includes(null) && out.type !== undefined) out.enum = [...out.enum, null];
}

/** Draft-04/07 `dependencies` is split into 2020-12 `dependentRequired` (lists) and `dependentSchemas`. */
export function mergeDependentRequired(out: JsonObject, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  for (const [property, names] of Object.entries(value)) {
    if (!Array.isArray(names)) continue;
    const target = (out.dependentRequired ??= {}) as JsonObject;
    setKey(target, property, [...new Set(names.filter((name): name is string => typeof name === 'string'))]);
  }
}

function normaliseType(value: unknown): string | string[] | undefined {
  if (typeof value === 'string') return TYPES.has(value) ? value : undefined;
  if (!Array.isArray(value)) return undefined;
  const types = [...new Set(value.filter((item): item is string => typeof item === 'string' && TYPES.has(item)))];
  return types.length > 0 ? types : undefined;
}

function exclusiveFor(key: 'minimum' | 'maximum'): 'exclusiveMinimum' | 'exclusiveMaximum' {
  return key === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum';
}

function hasBooleanExclusive(node: JsonObject, key: 'minimum' | 'maximum'): boolean {
  return typeof node[exclusiveFor(key)] === 'boolean';
}

/** Draft-04 `exclusiveMinimum: true` qualified `minimum`; in 2020-12 the keyword is the bound. */
function convertExclusiveBound(node: JsonObject, key: 'exclusiveMinimum' | 'exclusiveMaximum', value: unknown, out: JsonObject): void {
  if (typeof value === 'number' && Number.isFinite(value)) {
    out[key] = value;
    return;
  }
  const bound = node[key === 'exclusiveMinimum' ? 'minimum' : 'maximum'];
  if (value === true && typeof bound === 'number' && Number.isFinite(bound)) out[key] = bound;
}
