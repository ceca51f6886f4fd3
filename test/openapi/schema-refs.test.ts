/**
 * `$ref` resolution: non-recursive refs inlined, recursive ones hoisted into components, nothing
 * left that depends on `$defs` / `definitions`, unresolvable refs marked, never a throw or a hang.
 */
import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../../src/openapi/json-schema.js';
import { toOpenApiSchema } from '../../src/openapi/schema.js';
import { convert } from './convert.js';

const location = { type: 'object', properties: { lat: { type: 'number' }, lon: { type: 'number' } }, required: ['lat', 'lon'] };

describe('non-recursive refs are inlined', () => {
  it('resolves #/$defs/X', () => {
    const { schema, components, accepts } = convert({
      type: 'object',
      properties: { where: { $ref: '#/$defs/Location' } },
      $defs: { Location: location },
    });
    expect(schema).toEqual({ type: 'object', properties: { where: location } });
    expect(components).toEqual({});
    expect(accepts({ where: { lat: 1, lon: 2 } })).toBe(true);
    expect(accepts({ where: { lat: 1 } })).toBe(false);
  });

  it('resolves draft-07 #/definitions/X and drops $schema', () => {
    const { schema } = convert({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { where: { $ref: '#/definitions/Location' } },
      definitions: { Location: location },
    });
    expect(schema).toEqual({ type: 'object', properties: { where: location } });
  });

  it('resolves refs inside refs', () => {
    const { schema, accepts } = convert({
      type: 'object',
      properties: { trip: { $ref: '#/$defs/Trip' } },
      $defs: {
        Trip: { type: 'object', properties: { from: { $ref: '#/$defs/Stop' }, to: { $ref: '#/$defs/Stop' } } },
        Stop: { type: 'object', properties: { at: { $ref: '#/$defs/Location' } } },
        Location: location,
      },
    });
    const stop = { type: 'object', properties: { at: location } };
    expect(schema).toEqual({ type: 'object', properties: { trip: { type: 'object', properties: { from: stop, to: stop } } } });
    expect(accepts({ trip: { from: { at: { lat: 1, lon: 1 } }, to: { at: { lat: 'x' } } } })).toBe(false);
  });

  it('gives each inlined copy its own objects', () => {
    const schema = convert({
      type: 'object',
      properties: { a: { $ref: '#/$defs/L' }, b: { $ref: '#/$defs/L' } },
      $defs: { L: location },
    }).schema as { properties: { a: object; b: object } };
    expect(schema.properties.a).toEqual(schema.properties.b);
    expect(schema.properties.a).not.toBe(schema.properties.b);
    expect(schema.properties.a).not.toBe(location);
  });

  it('resolves any local JSON pointer, escaped or percent-encoded', () => {
    const { schema } = convert({
      type: 'object',
      properties: {
        list: { type: 'array', items: { type: 'string', format: 'email' } },
        copy: { $ref: '#/properties/list/items' },
        'a/b': { type: 'integer' },
        slashed: { $ref: '#/properties/a~1b' },
        encoded: { $ref: '#/%24defs/L' },
        viaAllOf: { $ref: '#/allOf/0' },
      },
      allOf: [{ required: ['list'] }],
      $defs: { L: location },
    });
    expect(schema).toMatchObject({
      properties: {
        copy: { type: 'string', format: 'email' },
        slashed: { type: 'integer' },
        encoded: location,
        viaAllOf: { required: ['list'] },
      },
    });
  });

  it('resolves plain-name anchors and refs through the root $id', () => {
    const { schema } = convert({
      $id: 'https://example.com/tool.json',
      type: 'object',
      properties: {
        a: { $ref: '#loc' },
        b: { $ref: '#old' },
        c: { $ref: 'https://example.com/tool.json#/$defs/L' },
      },
      $defs: { L: { $anchor: 'loc', ...location }, Old: { $id: '#old', type: 'boolean' } },
    });
    expect(schema).toEqual({ type: 'object', properties: { a: location, b: { type: 'boolean' }, c: location } });
  });

  it('keeps keywords next to a $ref: annotations override, clashing constraints go under allOf', () => {
    const { schema, accepts } = convert({
      type: 'object',
      properties: {
        described: { $ref: '#/$defs/L', description: 'Where to go' },
        clashing: { $ref: '#/$defs/Small', type: 'integer', maximum: 5 },
        interacting: { $ref: '#/$defs/Closed', properties: { extra: { type: 'string' } } },
      },
      $defs: {
        L: { ...location, description: 'A location' },
        Small: { type: 'number', maximum: 10 },
        Closed: { type: 'object', additionalProperties: false },
      },
    });
    expect(schema).toMatchObject({
      properties: {
        described: { ...location, description: 'Where to go' },
        clashing: { type: 'integer', maximum: 5, allOf: [{ type: 'number', maximum: 10 }] },
        interacting: { properties: { extra: { type: 'string' } }, allOf: [{ type: 'object', additionalProperties: false }] },
      },
    });
    // The target's additionalProperties:false applies on its own (allOf), as the source meant.
    expect(accepts({ interacting: { extra: 'x' } })).toBe(false);
    expect(accepts({ interacting: {} })).toBe(true);
  });

  it('inlines a $ref at the root', () => {
    const { schema } = convert({ $ref: '#/$defs/Args', $defs: { Args: { type: 'object', properties: { q: { type: 'string' } } } } });
    expect(schema).toEqual({ type: 'object', properties: { q: { type: 'string' } } });
  });
});

describe('recursive refs are hoisted into components', () => {
  it('hoists a def that refers to itself', () => {
    const { schema, components, accepts } = convert({
      type: 'object',
      properties: { tree: { $ref: '#/$defs/Node' } },
      required: ['tree'],
      $defs: {
        Node: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } } },
      },
    }, 'tree_op_');
    expect(schema).toEqual({ type: 'object', properties: { tree: { $ref: '#/components/schemas/tree_op_Node' } }, required: ['tree'] });
    expect(components).toEqual({
      tree_op_Node: {
        type: 'object',
        properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/components/schemas/tree_op_Node' } } },
      },
    });
    expect(accepts({ tree: { name: 'a', children: [{ name: 'b', children: [{ name: 'c' }] }] } })).toBe(true);
    expect(accepts({ tree: { name: 'a', children: [{ name: 'b', children: [{ name: 3 }] }] } })).toBe(false);
  });

  it('hoists mutually recursive defs (draft-07 definitions), inlining what is not on the cycle', () => {
    const { schema, components, accepts } = convert({
      type: 'object',
      properties: { person: { $ref: '#/definitions/Person' } },
      definitions: {
        Person: { type: 'object', properties: { name: { type: 'string' }, employer: { $ref: '#/definitions/Company' } } },
        Company: { type: 'object', properties: { staff: { type: 'array', items: { $ref: '#/definitions/Person' } }, address: { $ref: '#/definitions/Address' } } },
        Address: { type: 'string', minLength: 3 },
      },
    });
    expect(schema).toEqual({ type: 'object', properties: { person: { $ref: '#/components/schemas/t_Person' } } });
    expect(Object.keys(components)).toEqual(['t_Person']);
    expect(components.t_Person).toMatchObject({
      properties: {
        employer: { properties: { staff: { items: { $ref: '#/components/schemas/t_Person' } }, address: { type: 'string', minLength: 3 } } },
      },
    });
    expect(accepts({ person: { name: 'a', employer: { staff: [{ name: 'b', employer: { address: 'Main St' } }] } } })).toBe(true);
    expect(accepts({ person: { employer: { staff: [{ employer: { address: 'x' } }] } } })).toBe(false);
  });

  it("hoists the whole schema for $ref '#', keeping the root itself inline", () => {
    const { schema, components, accepts } = convert({
      type: 'object',
      properties: { value: { type: 'integer' }, next: { $ref: '#' } },
      required: ['value'],
    });
    expect(schema).toEqual({
      type: 'object',
      properties: { value: { type: 'integer' }, next: { $ref: '#/components/schemas/t_root' } },
      required: ['value'],
    });
    expect(components.t_root).toEqual(schema);
    expect(accepts({ value: 1, next: { value: 2, next: { value: 3 } } })).toBe(true);
    expect(accepts({ value: 1, next: { value: 2, next: {} } })).toBe(false);
  });

  it('hoists a JSON-pointer ref to an ancestor property (mcpo drops these to Any)', () => {
    const { schema, components, accepts } = convert({
      type: 'object',
      properties: {
        tree: { type: 'object', properties: { label: { type: 'string' }, kids: { type: 'array', items: { $ref: '#/properties/tree' } } } },
      },
    });
    expect(schema).toEqual({ type: 'object', properties: { tree: { $ref: '#/components/schemas/t_properties_tree' } } });
    expect(components.t_properties_tree).toMatchObject({ properties: { kids: { items: { $ref: '#/components/schemas/t_properties_tree' } } } });
    expect(accepts({ tree: { label: 'a', kids: [{ label: 'b', kids: [] }] } })).toBe(true);
    expect(accepts({ tree: { kids: [{ label: 1 }] } })).toBe(false);
  });

  it('treats 2019-09 $recursiveRef like $ref', () => {
    const { schema } = convert({ type: 'object', properties: { child: { $recursiveRef: '#' } } });
    expect(schema).toEqual({ type: 'object', properties: { child: { $ref: '#/components/schemas/t_root' } } });
  });

  it('names components safely and never overwrites an existing one', () => {
    const components: Record<string, JsonSchema> = { 'op_My_Node_T_': { type: 'null' } };
    const schema = toOpenApiSchema(
      {
        type: 'object',
        properties: { a: { $ref: '#/$defs/My Node<T>' }, b: { $ref: '#/$defs/My_Node_T_' } },
        $defs: {
          'My Node<T>': { type: 'array', items: { $ref: '#/$defs/My Node<T>' } },
          My_Node_T_: { type: 'array', items: { $ref: '#/$defs/My_Node_T_' } },
        },
      },
      { componentPrefix: 'op_', components },
    );
    expect(schema).toEqual({
      type: 'object',
      properties: { a: { $ref: '#/components/schemas/op_My_Node_T__2' }, b: { $ref: '#/components/schemas/op_My_Node_T__3' } },
    });
    expect(components['op_My_Node_T_']).toEqual({ type: 'null' });
    expect(Object.keys(components)).toEqual(['op_My_Node_T_', 'op_My_Node_T__2', 'op_My_Node_T__3']);
  });
});

describe('refs that cannot be resolved', () => {
  it('marks external and missing refs, keeping their siblings', () => {
    const { schema, accepts } = convert({
      type: 'object',
      properties: {
        external: { $ref: 'https://example.com/schemas/address.json' },
        otherFile: { $ref: 'common.json#/$defs/Id', description: 'An id' },
        missing: { $ref: '#/$defs/Nope' },
        notASchema: { $ref: '#/required/0' },
      },
      required: ['external'],
    });
    expect(schema).toEqual({
      type: 'object',
      properties: {
        external: { 'x-unresolved-ref': 'https://example.com/schemas/address.json' },
        otherFile: { 'x-unresolved-ref': 'common.json#/$defs/Id', description: 'An id' },
        missing: { 'x-unresolved-ref': '#/$defs/Nope' },
        notASchema: { 'x-unresolved-ref': '#/required/0' },
      },
      required: ['external'],
    });
    expect(accepts({ external: { anything: true } })).toBe(true);
  });

  it('does not hang on refs that only point at each other', () => {
    const { schema, components } = convert({
      type: 'object',
      properties: { self: { $ref: '#/$defs/Self' }, loop: { $ref: '#/$defs/A' } },
      $defs: { Self: { $ref: '#/$defs/Self' }, A: { $ref: '#/$defs/B' }, B: { $ref: '#/$defs/A' } },
    });
    expect(schema).toMatchObject({ properties: { self: { 'x-unresolved-ref': '#/$defs/Self' } } });
    // A cycle of bare references has no content: its component accepts anything.
    expect(Object.values(components)).toEqual([{}]);
  });
});

describe('size and depth limits', () => {
  it('hoists instead of inlining when inlining would explode', () => {
    // Each level uses the next twice: fully inlined, this would be 2^30 objects.
    const $defs: Record<string, JsonSchema> = { L30: { type: 'string' } };
    for (let level = 29; level >= 0; level -= 1) {
      $defs[`L${level}`] = { type: 'object', properties: { left: { $ref: `#/$defs/L${level + 1}` }, right: { $ref: `#/$defs/L${level + 1}` } } };
    }
    const started = Date.now();
    const { schema, components, accepts } = convert({ type: 'object', properties: { root: { $ref: '#/$defs/L0' } }, $defs });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(JSON.stringify({ schema, components }).length).toBeLessThan(5_000_000);
    const chain = (leaf: unknown) => {
      let value: unknown = leaf;
      for (let level = 29; level >= 0; level -= 1) value = level % 2 === 0 ? { left: value } : { right: value };
      return { root: value };
    };
    expect(accepts(chain('leaf'))).toBe(true);
    expect(accepts(chain(42))).toBe(false);
  });

  it('cuts off absurd nesting instead of overflowing the stack', () => {
    let deep: JsonSchema = { type: 'string' };
    for (let i = 0; i < 5_000; i += 1) deep = { type: 'object', properties: { x: deep } };
    const components: Record<string, JsonSchema> = {};
    expect(() => toOpenApiSchema(deep, { componentPrefix: 't_', components })).not.toThrow();
  });
});
