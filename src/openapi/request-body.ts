/**
 * When a tool's operation has a request body, and when that body is required. The REST routes
 * and the document follow the same rule, so it lives in one place.
 *
 * Like mcpo, a tool that takes no parameters documents no body; unlike mcpo, a body sent anyway is
 * still read and checked against the tool's schema (mcpo ignores it, garbage included). A tool
 * whose parameters are all optional may be called with no body at all: that is what its schema
 * says, and LLM clients often send nothing for such tools.
 *
 * @module
 */
import { isJsonObject } from './json-schema.js';

export interface RequestBodyPolicy {
  /** The operation documents a JSON body. */
  present: boolean;
  /** The body may not be omitted. */
  required: boolean;
}

/**
 * `present` when the schema has parameters: non-empty `properties`, or it uses
 * `oneOf`/`anyOf`/`allOf`/`$ref`/`patternProperties`/`additionalProperties` as a schema.
 * `required` when, in addition, its top-level `required` list is non-empty.
 */
export function requestBodyPolicy(inputSchema: unknown): RequestBodyPolicy {
  if (!isJsonObject(inputSchema)) return { present: false, required: false };
  const nonEmptyObject = (value: unknown) => isJsonObject(value) && Object.keys(value).length > 0;
  const nonEmptyList = (value: unknown) => Array.isArray(value) && value.length > 0;
  const present =
    nonEmptyObject(inputSchema.properties) ||
    nonEmptyList(inputSchema.oneOf) ||
    nonEmptyList(inputSchema.anyOf) ||
    nonEmptyList(inputSchema.allOf) ||
    typeof inputSchema.$ref === 'string' ||
    nonEmptyObject(inputSchema.patternProperties) ||
    isJsonObject(inputSchema.additionalProperties);
  return { present, required: present && nonEmptyList(inputSchema.required) };
}
