/**
 * Test helper: converts a schema as the document builder does and checks that the result stands
 * alone (refs only into the components it produced, valid 2020-12 everywhere).
 */
import { expect } from 'vitest';
import type { JsonSchema } from '../../src/openapi/json-schema.js';
import { toOpenApiSchema } from '../../src/openapi/schema.js';
import { compileConverted, refsIn } from '../helpers/openapi-document.js';
import { Ajv2020 } from 'ajv/dist/2020.js';

const metaAjv = new Ajv2020({ strict: false });

export interface Converted {
  schema: JsonSchema;
  components: Record<string, JsonSchema>;
  /** Validates data against the converted schema (components included). */
  accepts: (data: unknown) => boolean;
}

export function convert(input: JsonSchema, componentPrefix = 't_'): Converted {
  const before = JSON.stringify(input);
  const components: Record<string, JsonSchema> = {};
  const schema = toOpenApiSchema(input, { componentPrefix, components });
  expect(JSON.stringify(input), 'the input is not mutated').toBe(before);
  expectSelfContained(schema, components);
  return { schema, components, accepts: compileConverted(schema, components) };
}

export function expectSelfContained(schema: JsonSchema, components: Record<string, JsonSchema>): void {
  const document = { root: schema, components: { schemas: components } };
  for (const { ref, at } of refsIn(document, '', false)) {
    expect(ref, `$ref at ${at}`).toMatch(/^#\/components\/schemas\/[a-zA-Z0-9._-]+$/);
    expect(Object.hasOwn(components, ref.slice('#/components/schemas/'.length)), `${ref} resolves`).toBe(true);
  }
  const text = JSON.stringify(document);
  expect(text).not.toContain('"$defs"');
  expect(text).not.toContain('"definitions"');
  for (const candidate of [schema, ...Object.values(components)]) {
    expect(metaAjv.validateSchema(candidate as object), metaAjv.errorsText(metaAjv.errors)).toBe(true);
  }
}
