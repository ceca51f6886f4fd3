/**
 * The tool operations of a document: paths, operationIds, summaries, request bodies, responses.
 */
import { describe, expect, it } from 'vitest';
import { titleCase } from '../../src/openapi/title-case.js';
import { requestBodyPolicy } from '../../src/openapi/request-body.js';
import { buildTools, tool } from './build.js';

describe('document', () => {
  it('has the OpenAPI 3.1 frame: version, info, servers, paths, components', async () => {
    const { document, operations } = await buildTools([tool('echo')], {
      info: { title: 'time', description: 'time MCP Server', version: '2.0' },
      serverUrl: '/proxy/time',
    });
    expect(document).toMatchObject({
      openapi: '3.1.0',
      info: { title: 'time', description: 'time MCP Server', version: '2.0' },
      servers: [{ url: '/proxy/time' }],
      paths: { '/echo': { post: { operationId: 'echo' } } },
      components: { schemas: { ErrorResponse: {}, HTTPValidationError: {}, ValidationError: {} } },
    });
    expect(operations).toEqual([{ server: 'srv', kind: 'tool', name: 'echo', operationId: 'echo', path: '/echo' }]);
  });

  it('is valid with no operations at all', async () => {
    const { document, operations } = await buildTools([]);
    expect(document.paths).toEqual({});
    expect(operations).toEqual([]);
  });
});

describe('tool operations', () => {
  it('POST /{encoded name}, with a safe operationId and the original name in x-mcp-tool', async () => {
    const names = ['get_current_time', 'dot.name', 'dash-name', 'with space', 'a/b', 'café', 'x'.repeat(100)];
    const { op, operations } = await buildTools(names.map((name) => tool(name)));
    for (const name of names) {
      const operation = op('post', `/${encodeURIComponent(name)}`);
      expect(operation['x-mcp-tool']).toBe(name);
      expect(operation['x-mcp-server']).toBe('srv');
      expect(operation.tags).toBeUndefined();
    }
    expect(operations.map((operation) => operation.operationId)).toEqual([
      'get_current_time',
      'dot_name',
      'dash-name',
      'with_space',
      'a_b',
      'caf_',
      expect.stringMatching(/^x{55}_[0-9a-f]{8}$/),
    ]);
    expect(operations.map((operation) => operation.path)).toContain('/a%2Fb');
  });

  it('summary: title, else annotations.title, else the name title-cased like mcpo', async () => {
    const { op } = await buildTools([
      tool('a', undefined, { title: 'Tool Title', annotations: { title: 'Annotation Title' } }),
      tool('b', undefined, { annotations: { title: 'Annotation Title' } }),
      tool('get_current_time'),
    ]);
    expect(op('post', '/a').summary).toBe('Tool Title');
    expect(op('post', '/b').summary).toBe('Annotation Title');
    expect(op('post', '/get_current_time').summary).toBe('Get Current Time');
  });

  it.each([
    ['get_current_time', 'Get Current Time'],
    ['dash-name', 'Dash-Name'],
    ['getEnv', 'Getenv'],
    ['read_file2x', 'Read File2X'],
    ['ALL_CAPS', 'All Caps'],
    ['dot.name', 'Dot.Name'],
    ['', ''],
  ])('title-cases %j as Python does: %j', (name, expected) => {
    expect(titleCase(name)).toBe(expected);
  });

  it('description from the tool, omitted when it has none; annotations as x-mcp-annotations', async () => {
    const annotations = { readOnlyHint: true, destructiveHint: false };
    const { op } = await buildTools([tool('a', undefined, { description: 'Does a.', annotations }), tool('b')]);
    expect(op('post', '/a')).toMatchObject({ description: 'Does a.', 'x-mcp-annotations': annotations });
    expect(op('post', '/b')).not.toHaveProperty('description');
    expect(op('post', '/b')).not.toHaveProperty('x-mcp-annotations');
  });
});

describe('request body', () => {
  const cases: Array<[string, unknown, { present: boolean; required: boolean }]> = [
    ['no inputSchema', undefined, { present: false, required: false }],
    ['{type: object}', { type: 'object' }, { present: false, required: false }],
    ['empty properties', { type: 'object', properties: {}, required: [] }, { present: false, required: false }],
    ['additionalProperties: true', { type: 'object', additionalProperties: true }, { present: false, required: false }],
    ['boolean schema', true, { present: false, required: false }],
    ['required parameters', { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] }, { present: true, required: true }],
    ['only optional parameters', { type: 'object', properties: { q: { type: 'string' } } }, { present: true, required: false }],
    ['empty required list', { type: 'object', properties: { q: { type: 'string' } }, required: [] }, { present: true, required: false }],
    ['oneOf', { type: 'object', oneOf: [{ properties: { a: { type: 'string' } } }, { properties: { b: { type: 'string' } } }] }, { present: true, required: false }],
    ['anyOf', { anyOf: [{ type: 'object' }] }, { present: true, required: false }],
    ['allOf with required', { allOf: [{ type: 'object' }], required: ['a'] }, { present: true, required: true }],
    ['$ref', { $ref: '#/$defs/A', $defs: { A: { type: 'object', properties: { a: { type: 'string' } } } } }, { present: true, required: false }],
    ['patternProperties', { type: 'object', patternProperties: { '^s_': { type: 'string' } } }, { present: true, required: false }],
    ['additionalProperties schema', { type: 'object', additionalProperties: { type: 'number' } }, { present: true, required: false }],
  ];

  it.each(cases)('%s', async (_name, inputSchema, expected) => {
    expect(requestBodyPolicy(inputSchema)).toEqual(expected);
    const { op } = await buildTools([tool('t', inputSchema)]);
    const operation = op('post', '/t');
    // Whatever body is sent is still read and checked, so 413, 415 and 422 are possible either way.
    expect(operation.responses['422']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/HTTPValidationError' } } } });
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['413', '415']));
    if (!expected.present) expect(operation).not.toHaveProperty('requestBody');
    else expect(operation.requestBody).toEqual({ required: expected.required, content: { 'application/json': { schema: expect.any(Object) } } });
  });

  it('is the normalised inputSchema, recursive parts hoisted under the operationId', async () => {
    const { op, document } = await buildTools([
      tool('my.tool', {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { tree: { $ref: '#/definitions/Node' }, unit: { $ref: '#/definitions/Unit' } },
        required: ['tree'],
        definitions: {
          Node: { type: 'object', properties: { kids: { type: 'array', items: { $ref: '#/definitions/Node' } } } },
          Unit: { type: 'string', enum: ['c', 'f'] },
        },
      }),
    ]);
    expect(op('post', '/my.tool').requestBody.content['application/json'].schema).toEqual({
      type: 'object',
      properties: { tree: { $ref: '#/components/schemas/my_tool_Node' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['tree'],
    });
    expect((document.components as { schemas: object }).schemas).toHaveProperty('my_tool_Node');
  });
});

describe('responses', () => {
  const json = (schema: unknown) => ({ 'application/json': { schema } });
  const errorRef = json({ $ref: '#/components/schemas/ErrorResponse' });

  it('200: the result as JSON ({} without an outputSchema) or a progress stream', async () => {
    const { op } = await buildTools([tool('t')]);
    const ok = op('post', '/t').responses['200'];
    expect(ok.content).toEqual({ ...json({}), 'text/event-stream': { schema: { type: 'string' } } });
    expect(ok.description).toContain('structuredContent');
    expect(ok.description).toContain('data: URL');
    expect(ok.description).toContain('Accept: text/event-stream');
  });

  it('200: the normalised outputSchema when the tool has one', async () => {
    const outputSchema = {
      type: 'object',
      properties: { temp: { type: 'number' }, history: { type: 'array', items: { $ref: '#/$defs/Reading' } } },
      required: ['temp'],
      $defs: { Reading: { type: 'object', properties: { at: { type: 'string', format: 'date-time' } } } },
    };
    const { op } = await buildTools([tool('weather', { type: 'object' }, { outputSchema })]);
    const ok = op('post', '/weather').responses['200'];
    expect(ok.content['application/json'].schema).toEqual({
      type: 'object',
      properties: { temp: { type: 'number' }, history: { type: 'array', items: outputSchema.$defs.Reading } },
      required: ['temp'],
    });
    expect(ok.description).toContain('outputSchema');
  });

  it('hoists a recursive outputSchema under its own prefix', async () => {
    const outputSchema = { type: 'object', properties: { next: { $ref: '#' } } };
    const inputSchema = { type: 'object', properties: { next: { $ref: '#' } } };
    const { document } = await buildTools([tool('chain', inputSchema, { outputSchema })]);
    expect(Object.keys((document.components as { schemas: object }).schemas)).toEqual(expect.arrayContaining(['chain_output_root', 'chain_root']));
  });

  it('errors: 404, 500 (isError), 502, 503 with Retry-After, 504 as ErrorResponse; no auth statuses without auth', async () => {
    const { op } = await buildTools([tool('t')]);
    const responses = op('post', '/t').responses;
    for (const status of ['404', '500', '502', '503', '504']) expect(responses[status].content).toEqual(errorRef);
    expect(responses['500'].description).toContain('isError');
    expect(responses['503'].headers['Retry-After'].schema).toEqual({ type: 'integer' });
    expect(responses).not.toHaveProperty('401');
    expect(responses).not.toHaveProperty('403');
  });

  it('defines the FastAPI validation error and the error body', async () => {
    const { document } = await buildTools([tool('t')]);
    const schemas = (document.components as { schemas: Record<string, any> }).schemas;
    expect(schemas.HTTPValidationError.properties.detail).toEqual({ title: 'Detail', type: 'array', items: { $ref: '#/components/schemas/ValidationError' } });
    expect(schemas.ValidationError.required).toEqual(['loc', 'msg', 'type']);
    expect(schemas.ValidationError.properties.loc.items).toEqual({ anyOf: [{ type: 'string' }, { type: 'integer' }] });
    expect(schemas.ErrorResponse).toMatchObject({ required: ['detail'], properties: { detail: { required: ['message'] } } });
  });
});
