/**
 * Security schemes, resource and prompt operations, the aggregated document, and documents built
 * from catalogs no server should send (but some do).
 */
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../src/openapi/document.js';
import { documentProblems, operationIds } from '../helpers/openapi-document.js';
import { build, buildTools, section, tool } from './build.js';

const authRef = { 'application/json': { schema: { $ref: '#/components/schemas/AuthError' } } };

describe('security', () => {
  it("'none': no schemes, no security on operations", async () => {
    const { document, op } = await buildTools([tool('t')]);
    expect(document.components).not.toHaveProperty('securitySchemes');
    expect(op('post', '/t')).not.toHaveProperty('security');
  });

  it("'bearer': HTTPBearer on every operation, 401 and 403 documented", async () => {
    const { document, op } = await build({
      security: 'bearer',
      resourcesAndPrompts: true,
      sections: [section('s', { tools: [tool('t')], prompts: [{ name: 'p' }], resources: [{ uri: 'a://b', name: 'b' }] })],
    });
    expect((document.components as Record<string, unknown>).securitySchemes).toEqual({ HTTPBearer: { type: 'http', scheme: 'bearer' } });
    for (const [method, path] of [['post', '/t'], ['get', '/resources'], ['get', '/resources/read'], ['get', '/prompts'], ['post', '/prompts/p']] as const) {
      expect(op(method, path).security).toEqual([{ HTTPBearer: [] }]);
      expect(op(method, path).responses['401'].content).toEqual(authRef);
      expect(op(method, path).responses['403'].content).toEqual(authRef);
    }
    expect((document.components as { schemas: object }).schemas).toHaveProperty('AuthError');
  });

  it("'bearer-or-basic': HTTPBearer or HTTPBasic", async () => {
    const { document, op } = await buildTools([tool('t')], { security: 'bearer-or-basic' });
    expect((document.components as Record<string, unknown>).securitySchemes).toEqual({
      HTTPBearer: { type: 'http', scheme: 'bearer' },
      HTTPBasic: { type: 'http', scheme: 'basic' },
    });
    expect(op('post', '/t').security).toEqual([{ HTTPBearer: [] }, { HTTPBasic: [] }]);
  });
});

describe('resources and prompts', () => {
  const everything = {
    tools: [tool('echo')],
    resources: [{ uri: 'demo://a', name: 'a' }],
    resourceTemplates: [{ uriTemplate: 'demo://t/{id}', name: 't' }],
    prompts: [
      { name: 'simple' },
      { name: 'args prompt', description: 'With arguments', arguments: [{ name: 'city', description: 'A city', required: true }, { name: 'state' }] },
      { name: 'optional', arguments: [{ name: 'tone' }] },
    ],
  };

  it('are left out unless asked for', async () => {
    const { operations } = await build({ sections: [section('s', everything)] });
    expect(operations.map((operation) => operation.kind)).toEqual(['tool']);
  });

  it('list and read resources', async () => {
    const { op, operations, document } = await build({ resourcesAndPrompts: true, sections: [section('s', everything)] });
    expect(op('get', '/resources')).toMatchObject({
      operationId: 'list_resources',
      responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/McpResourceList' } } } } },
    });
    const read = op('get', '/resources/read');
    expect(read.operationId).toBe('read_resource');
    expect(read.parameters).toEqual([{ name: 'uri', in: 'query', required: true, description: expect.any(String), schema: { type: 'string' } }]);
    expect(read.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/McpReadResourceResult' });
    expect(read.responses['422']).toBeDefined();
    expect((document.components as { schemas: object }).schemas).toHaveProperty('McpResourceTemplate');
    expect(operations.filter((operation) => operation.kind.includes('resource'))).toEqual([
      { server: 's', kind: 'list_resources', operationId: 'list_resources', path: '/resources' },
      { server: 's', kind: 'read_resource', operationId: 'read_resource', path: '/resources/read' },
    ]);
  });

  it('offers resource operations for a server with only templates, and none without either', async () => {
    const onlyTemplates = await build({ resourcesAndPrompts: true, sections: [section('s', { resourceTemplates: everything.resourceTemplates })] });
    expect(onlyTemplates.operations.map((operation) => operation.kind)).toEqual(['list_resources', 'read_resource']);
    const none = await build({ resourcesAndPrompts: true, sections: [section('s', { tools: [tool('t')] })] });
    expect(none.operations.map((operation) => operation.kind)).toEqual(['tool']);
    expect((none.document.components as { schemas: object }).schemas).not.toHaveProperty('McpResource');
  });

  it('list prompts and get each prompt, its arguments as a string body', async () => {
    const { op, operations } = await build({ resourcesAndPrompts: true, sections: [section('s', everything)] });
    expect(op('get', '/prompts').operationId).toBe('list_prompts');
    const simple = op('post', '/prompts/simple');
    expect(simple).toMatchObject({ operationId: 'prompt_simple', summary: 'Simple', 'x-mcp-prompt': 'simple' });
    expect(simple).not.toHaveProperty('requestBody');
    const withArgs = op('post', '/prompts/args%20prompt');
    expect(withArgs).toMatchObject({ operationId: 'prompt_args_prompt', description: 'With arguments' });
    expect(withArgs.requestBody).toEqual({
      required: true,
      content: {
        'application/json': {
          schema: { type: 'object', properties: { city: { type: 'string', description: 'A city' }, state: { type: 'string' } }, required: ['city'] },
        },
      },
    });
    expect(withArgs.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/McpGetPromptResult' });
    expect(op('post', '/prompts/optional').requestBody).toEqual({
      required: false,
      content: { 'application/json': { schema: { type: 'object', properties: { tone: { type: 'string' } } } } },
    });
    expect(operations.filter((operation) => operation.kind === 'prompt').map(({ name, path }) => [name, path])).toEqual([
      ['simple', '/prompts/simple'],
      ['args prompt', '/prompts/args%20prompt'],
      ['optional', '/prompts/optional'],
    ]);
  });

  it('tools keep their own names when a resource or prompt operation wants the same id', async () => {
    const { operations } = await build({
      resourcesAndPrompts: true,
      sections: [section('s', { ...everything, tools: [tool('list_resources'), tool('prompt_simple'), tool('list_prompts')] })],
    });
    const idOf = (kind: string, name?: string) => operations.find((operation) => operation.kind === kind && operation.name === name)?.operationId;
    expect(idOf('tool', 'list_resources')).toBe('list_resources');
    expect(idOf('tool', 'prompt_simple')).toBe('prompt_simple');
    expect(idOf('list_resources')).toMatch(/^list_resources_[0-9a-f]{8}$/);
    expect(idOf('list_prompts')).toMatch(/^list_prompts_[0-9a-f]{8}$/);
    expect(idOf('prompt', 'simple')).toMatch(/^prompt_simple_[0-9a-f]{8}$/);
    expect(idOf('read_resource')).toBe('read_resource');
  });
});

describe('aggregated document', () => {
  const sections = () => [
    section('time', { tools: [tool('get_current_time'), tool('convert.time')], prompts: [{ name: 'p' }] }, '/time'),
    section('memory', { tools: [tool('read_graph')], resources: [{ uri: 'm://x', name: 'x' }] }, '/memory'),
  ];

  it('prefixes every operationId with the server name and tags operations by server', async () => {
    const { operations, op, document } = await build({ aggregated: true, resourcesAndPrompts: true, sections: sections() });
    expect(operations.map(({ operationId, path }) => [operationId, path])).toEqual([
      ['time_get_current_time', '/time/get_current_time'],
      ['time_convert_time', '/time/convert.time'],
      ['time_list_prompts', '/time/prompts'],
      ['time_prompt_p', '/time/prompts/p'],
      ['memory_read_graph', '/memory/read_graph'],
      ['memory_list_resources', '/memory/resources'],
      ['memory_read_resource', '/memory/resources/read'],
    ]);
    expect(op('post', '/time/get_current_time').tags).toEqual(['time']);
    expect(op('get', '/memory/resources').tags).toEqual(['memory']);
    expect(document.tags).toEqual([{ name: 'time' }, { name: 'memory' }]);
  });

  it('keeps every id when another server is added', async () => {
    const before = await build({ aggregated: true, resourcesAndPrompts: true, sections: sections() });
    const after = await build({
      aggregated: true,
      resourcesAndPrompts: true,
      sections: [section('aaa', { tools: [tool('get_current_time')], prompts: [{ name: 'p' }] }, '/aaa'), ...sections()],
    });
    for (const operation of before.operations) expect(after.operations).toContainEqual(operation);
  });

  it('tells apart servers and tools whose prefixed names coincide', async () => {
    const { operations } = await build({
      aggregated: true,
      sections: [section('a_b', { tools: [tool('c')] }, '/a_b'), section('a', { tools: [tool('b_c')] }, '/a')],
    });
    expect(operations.map((operation) => operation.operationId)).toEqual(['a_b_c_a_b', 'a_b_c_a']);
  });
});

describe('catalogs no server should send', () => {
  it('never throws, and the document stays valid', async () => {
    const weird: unknown[] = [
      tool('no schema', undefined),
      { name: 'null schema', inputSchema: null },
      tool('boolean schema', false),
      tool('array schema', [{ type: 'string' }]),
      tool('string schema', 'object'),
      tool('external', { type: 'object', properties: { a: { $ref: 'https://example.com/a.json' } } }),
      tool('weird output', { type: 'object' }, { outputSchema: 'nope', annotations: 'also nope', title: 7 }),
      tool('boolean output', { type: 'object' }, { outputSchema: true }),
      tool('', { type: 'object', properties: { '': { type: 'string' } } }),
      tool('ünïcödé名前🚀'),
      tool('x'.repeat(200)),
      tool('dup'),
      tool('dup', { type: 'object', properties: { other: { type: 'string' } } }),
      { inputSchema: { type: 'object' } },
      null,
    ];
    const prompts: unknown[] = [{ name: 'p', arguments: 'none' }, { name: 'q', arguments: [null, { name: 3 }, { name: 'ok' }] }, { title: 'nameless' }];
    const { operations, op } = await build({
      resourcesAndPrompts: true,
      security: 'bearer',
      sections: [section('s', { tools: weird, prompts, resources: [{}] })],
    });
    expect(operations.filter((operation) => operation.kind === 'tool')).toHaveLength(12);
    // The first of two tools with one name keeps the route.
    expect(op('post', '/dup')).not.toHaveProperty('requestBody');
    expect(op('post', '/')['x-mcp-tool']).toBe('');
    expect(op('post', '/external').requestBody.content['application/json'].schema.properties.a).toEqual({ 'x-unresolved-ref': 'https://example.com/a.json' });
  });

  it('builds one document with the same routes from the same catalog every time', () => {
    const options = {
      info: { title: 't', description: 'd', version: '1' },
      serverUrl: '/',
      security: 'none' as const,
      resourcesAndPrompts: true,
      aggregated: true,
      sections: [section('s', { tools: [tool('a.b'), tool('a b'), tool('x'.repeat(70))], prompts: [{ name: 'p' }] }, '/s')],
    };
    expect(buildOpenApiDocument(options)).toEqual(buildOpenApiDocument(options));
  });
});

describe('the document checker used by these tests', () => {
  it('finds refs outside components, unresolved refs, invalid schemas and bad operationIds', async () => {
    const { document } = buildOpenApiDocument({
      info: { title: 't', description: 'd', version: '1' },
      serverUrl: '/',
      security: 'none',
      resourcesAndPrompts: false,
      aggregated: false,
      sections: [section('s', { tools: [tool('t', { type: 'object', properties: { a: { type: 'string' } } })] })],
    });
    const broken = structuredClone(document) as { paths: Record<string, any> };
    const body = broken.paths['/t'].post.requestBody.content['application/json'];
    body.schema.properties.b = { $ref: '#/$defs/B' };
    body.schema.properties.c = { $ref: '#/components/schemas/Missing' };
    body.schema.properties.d = { type: 7 };
    broken.paths['/t'].post.operationId = 'bad id';
    const problems = await documentProblems(broken);
    expect(problems.join('\n')).toMatch(/\$ref #\/\$defs\/B is not under #\/components\//);
    expect(problems.join('\n')).toMatch(/Missing does not resolve/);
    expect(problems.join('\n')).toMatch(/not a valid 2020-12 schema/);
    expect(problems.join('\n')).toMatch(/"bad id" is not a safe function name/);
    expect(operationIds(broken)).toEqual(['bad id']);
    expect(await documentProblems({ openapi: '3.1.0', paths: {} })).not.toEqual([]);
  });
});
