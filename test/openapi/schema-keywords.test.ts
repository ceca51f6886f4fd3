/**
 * Keyword conversion: what is kept as is, what is brought to JSON Schema 2020-12, what is removed,
 * and what a server may send that is not a schema at all.
 */
import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../../src/openapi/json-schema.js';
import { toOpenApiSchema } from '../../src/openapi/schema.js';
import { convert } from './convert.js';

const property = (schema: JsonSchema) => (convert({ type: 'object', properties: { p: schema } }).schema as { properties: { p: unknown } }).properties.p;

describe('kept as they are', () => {
  it.each<[string, JsonSchema]>([
    ['enum', { type: 'string', enum: ['celsius', 'fahrenheit'] }],
    ['enum of mixed values', { enum: [1, 'two', null, { three: 3 }] }],
    ['const', { const: 'fixed' }],
    ['formats', { type: 'string', format: 'date-time' }],
    ['pattern and lengths', { type: 'string', pattern: '^[a-z]+$', minLength: 1, maxLength: 10 }],
    ['numeric bounds', { type: 'number', minimum: 0, maximum: 100, exclusiveMinimum: -1, exclusiveMaximum: 101, multipleOf: 0.5 }],
    ['array bounds', { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 3, uniqueItems: true }],
    ['object bounds', { type: 'object', minProperties: 1, maxProperties: 2, additionalProperties: { type: 'string' } }],
    ['type arrays', { type: ['string', 'integer', 'null'] }],
    ['null type', { type: 'null' }],
    ['defaults and annotations', { type: 'integer', default: 7, examples: [1, 2], description: 'How many', title: 'Count', deprecated: true }],
    ['2020-12 tuples', { type: 'array', prefixItems: [{ type: 'string' }], items: false }],
    ['patternProperties', { type: 'object', patternProperties: { '^x-': { type: 'string' } } }],
    ['if/then/else', { if: { type: 'string' }, then: { minLength: 1 }, else: { type: 'number' } }],
    ['extensions and OpenAPI keywords', { type: 'string', 'x-order': 1, example: 'abc', readOnly: true }],
  ])('%s', (_name, schema) => {
    expect(property(schema)).toEqual(schema);
  });

  it('oneOf / anyOf / allOf / not, converting what is inside', () => {
    const { schema, accepts } = convert({
      type: 'object',
      properties: {
        shape: {
          oneOf: [
            { type: 'object', properties: { kind: { const: 'circle' }, r: { type: 'number', minimum: 0 } }, required: ['kind', 'r'] },
            { type: 'object', properties: { kind: { const: 'square' }, side: { $ref: '#/$defs/Length' } }, required: ['kind', 'side'] },
          ],
        },
        id: { anyOf: [{ type: 'string', format: 'uuid' }, { type: 'integer', nullable: true }] },
        both: { allOf: [{ $ref: '#/$defs/Length' }, { maximum: 10 }] },
        notEmpty: { not: { const: '' } },
      },
      $defs: { Length: { type: 'number', exclusiveMinimum: 0 } },
    });
    expect(schema).toMatchObject({
      properties: {
        shape: { oneOf: [{ required: ['kind', 'r'] }, { properties: { side: { type: 'number', exclusiveMinimum: 0 } } }] },
        id: { anyOf: [{ type: 'string', format: 'uuid' }, { type: ['integer', 'null'] }] },
        both: { allOf: [{ type: 'number', exclusiveMinimum: 0 }, { maximum: 10 }] },
        notEmpty: { not: { const: '' } },
      },
    });
    expect(accepts({ shape: { kind: 'square', side: 2 }, id: null, both: 5, notEmpty: 'x' })).toBe(true);
    expect(accepts({ shape: { kind: 'square', side: 0 } })).toBe(false);
    expect(accepts({ both: 11 })).toBe(false);
    expect(accepts({ notEmpty: '' })).toBe(false);
  });

  it('properties, required and additionalProperties, at every level', () => {
    const schema = {
      type: 'object',
      properties: { user: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false } },
      required: ['user'],
      additionalProperties: false,
    };
    expect(convert(schema).schema).toEqual(schema);
  });

  it('boolean schemas', () => {
    expect(convert(true).schema).toBe(true);
    expect(convert(false).schema).toBe(false);
    expect(property(false)).toBe(false);
    expect(convert({ type: 'object', properties: { any: true }, additionalProperties: false }).schema).toEqual({
      type: 'object',
      properties: { any: true },
      additionalProperties: false,
    });
  });

  it('property names that look like keywords or are __proto__', () => {
    const input = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"},"$ref":{"type":"integer"},"enum":{"type":"boolean"}},"required":["__proto__"]}');
    const { schema, accepts } = convert(input);
    const properties = (schema as { properties: object }).properties;
    expect(Object.keys(properties)).toEqual(['__proto__', '$ref', 'enum']);
    expect(Object.getPrototypeOf(properties)).toBe(Object.prototype);
    expect(accepts(JSON.parse('{"__proto__":"x","$ref":1,"enum":true}'))).toBe(true);
  });
});

describe('converted to 2020-12', () => {
  it('draft-07 tuple items become prefixItems, additionalItems becomes items', () => {
    expect(property({ type: 'array', items: [{ type: 'string' }, { type: 'number' }], additionalItems: false })).toEqual({
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'number' }],
      items: false,
    });
    expect(property({ type: 'array', items: [{ type: 'string' }], additionalItems: { type: 'boolean' } })).toEqual({
      type: 'array',
      prefixItems: [{ type: 'string' }],
      items: { type: 'boolean' },
    });
    // Draft-07 ignores additionalItems next to a single items schema.
    expect(property({ type: 'array', items: { type: 'string' }, additionalItems: false })).toEqual({ type: 'array', items: { type: 'string' } });
  });

  it('draft-04 boolean exclusiveMinimum / exclusiveMaximum', () => {
    expect(property({ type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: false })).toEqual({
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 10,
    });
    expect(property({ type: 'number', exclusiveMaximum: true, maximum: 5 })).toEqual({ type: 'number', exclusiveMaximum: 5 });
    expect(property({ type: 'number', exclusiveMinimum: true })).toEqual({ type: 'number' });
  });

  it('OpenAPI 3.0 nullable: true joins "null" to the type (and to an enum)', () => {
    expect(property({ type: 'string', nullable: true })).toEqual({ type: ['string', 'null'] });
    expect(property({ type: ['integer', 'number'], nullable: true })).toEqual({ type: ['integer', 'number', 'null'] });
    expect(property({ type: ['string', 'null'], nullable: true })).toEqual({ type: ['string', 'null'] });
    expect(property({ type: 'string', enum: ['a', 'b'], nullable: true })).toEqual({ type: ['string', 'null'], enum: ['a', 'b', null] });
    expect(property({ type: 'string', nullable: false })).toEqual({ type: 'string' });
    expect(property({ nullable: true, description: 'no type' })).toEqual({ description: 'no type' });
  });

  it('draft-07 dependencies split into dependentRequired and dependentSchemas', () => {
    expect(property({ type: 'object', dependencies: { card: ['billing'], vip: { required: ['tier'] } } })).toEqual({
      type: 'object',
      dependentRequired: { card: ['billing'] },
      dependentSchemas: { vip: { required: ['tier'] } },
    });
  });

  it('removes $schema, $id, $defs, definitions, $comment and anchors', () => {
    expect(
      convert({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: 'urn:tool',
        $comment: 'internal',
        $anchor: 'top',
        type: 'object',
        properties: { a: { $comment: 'x', $id: '#a', type: 'string' } },
        $defs: { Unused: { type: 'string' } },
        definitions: { AlsoUnused: { type: 'string' } },
      }).schema,
    ).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
  });
});

describe('what is not a schema', () => {
  it('drops keyword values of the wrong type', () => {
    expect(
      property({
        type: 'any',
        minimum: '5',
        maxLength: -1,
        multipleOf: 0,
        required: true,
        enum: 'a',
        title: 3,
        format: null,
        uniqueItems: 'yes',
      }),
    ).toEqual({});
    expect(property({ type: ['string', 'int', 'string'] })).toEqual({ type: ['string'] });
    expect(property({ type: 'object', required: ['a', 'a', 3] })).toEqual({ type: 'object', required: ['a'] });
    expect(property({ examples: 'one' })).toEqual({ examples: ['one'] });
  });

  it('replaces non-schema values where a schema belongs with {}', () => {
    expect(convert({ type: 'object', properties: { a: 'string', b: null, c: 3, d: [] }, items: 'x' } as JsonSchema).schema).toEqual({
      type: 'object',
      properties: { a: {}, b: {}, c: {}, d: {} },
      items: {},
    });
    expect(property({ anyOf: [], oneOf: 'x', properties: [] })).toEqual({});
  });

  it('returns {} for a missing or non-object schema', () => {
    for (const bad of [undefined, null, 'object', 42, []]) {
      expect(toOpenApiSchema(bad as unknown as JsonSchema, { componentPrefix: 'x_', components: {} })).toEqual({});
    }
  });

  it('shares no object with the input', () => {
    const input = { type: 'object', properties: { a: { enum: [{ deep: [1] }], default: { x: { y: 1 } } } } };
    const output = convert(input).schema as { properties: { a: { enum: Array<{ deep: number[] }>; default: { x: { y: number } } } } };
    output.properties.a.enum[0]!.deep.push(2);
    output.properties.a.default.x.y = 2;
    expect(input.properties.a).toEqual({ enum: [{ deep: [1] }], default: { x: { y: 1 } } });
  });
});
