/**
 * Documents built from the catalogs of real MCP servers from npm (everything, filesystem, memory,
 * sequential-thinking), run as child processes and listed with the SDK client: each server's own
 * document and the aggregated one must be valid, self-contained OpenAPI 3.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument, runsOnlyAsTask, type DocumentOptions } from '../../src/openapi/document.js';
import { listCatalog, type Catalog } from '../../src/upstream/catalog.js';
import { documentProblems } from '../helpers/openapi-document.js';

const packageEntry = (name: string) =>
  fileURLToPath(new URL(`../../node_modules/@modelcontextprotocol/${name}/dist/index.js`, import.meta.url));

const workDir = mkdtempSync(join(tmpdir(), 'mcpgate-openapi-'));
const servers: Record<string, string[]> = {
  everything: [packageEntry('server-everything'), 'stdio'],
  filesystem: [packageEntry('server-filesystem'), workDir],
  memory: [packageEntry('server-memory')],
  thinking: [packageEntry('server-sequential-thinking')],
};

const clients: Client[] = [];
const catalogs = new Map<string, Catalog>();

beforeAll(async () => {
  await Promise.all(
    Object.entries(servers).map(async ([name, args]) => {
      // Sampling and elicitation make server-everything offer the tools that depend on them too.
      const client = new Client({ name: 'mcpgate-test', version: '0' }, { capabilities: { sampling: {}, elicitation: { form: {}, url: {} } } });
      clients.push(client);
      const transport = new StdioClientTransport({
        command: process.execPath,
        args,
        env: { ...getDefaultEnvironment(), MEMORY_FILE_PATH: join(workDir, 'memory.jsonl') },
        stderr: 'ignore',
      });
      await client.connect(transport);
      catalogs.set(name, await listCatalog(client, () => true, 10_000));
    }),
  );
}, 20_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  rmSync(workDir, { recursive: true, force: true });
});

const common: Omit<DocumentOptions, 'sections' | 'aggregated' | 'serverUrl' | 'info'> = {
  security: 'bearer',
  resourcesAndPrompts: true,
};

describe('documents of real MCP servers', () => {
  it('lists what each server offers', () => {
    expect(catalogs.get('everything')?.tools.length).toBeGreaterThanOrEqual(13);
    expect(catalogs.get('everything')?.prompts.length).toBeGreaterThan(0);
    expect(catalogs.get('everything')?.resources.length).toBeGreaterThan(0);
    expect(catalogs.get('filesystem')?.tools.map((tool) => tool.name)).toContain('read_text_file');
    expect(catalogs.get('memory')?.tools.map((tool) => tool.name)).toContain('create_entities');
    expect(catalogs.get('thinking')?.tools.map((tool) => tool.name)).toEqual(['sequentialthinking']);
  });

  it.each(Object.keys(servers))('%s: its own document is valid and self-contained', async (name) => {
    const catalog = catalogs.get(name) as Catalog;
    const { document, operations } = buildOpenApiDocument({
      ...common,
      info: { title: name, description: `${name} MCP Server`, version: '1.0' },
      serverUrl: `/${name}`,
      sections: [{ server: name, basePath: '', catalog }],
      aggregated: false,
    });
    expect(await documentProblems(document)).toEqual([]);

    const tools = operations.filter((operation) => operation.kind === 'tool');
    // Every tool but those that run only as tasks (a REST call cannot start one).
    const callable = catalog.tools.filter((tool) => !runsOnlyAsTask(tool));
    expect(tools.map((operation) => operation.name)).toEqual(callable.map((tool) => tool.name));
    // These servers' names are all valid function names already: every tool keeps its own.
    for (const operation of tools) expect(operation.operationId).toBe(operation.name);
    const paths = document.paths as Record<string, Record<string, { requestBody?: unknown }>>;
    for (const tool of callable) {
      const operation = paths[`/${encodeURIComponent(tool.name)}`]?.post;
      expect(operation, tool.name).toBeDefined();
      expect(operation?.requestBody !== undefined, `${tool.name} has a body`).toBe(Object.keys(tool.inputSchema.properties ?? {}).length > 0);
    }
    if (catalog.prompts.length > 0) expect(operations.some((operation) => operation.kind === 'list_prompts')).toBe(true);
    if (catalog.resources.length + catalog.resourceTemplates.length > 0) {
      expect(operations.some((operation) => operation.kind === 'read_resource')).toBe(true);
    }
  });

  it('the aggregated document of all four is valid, with every id prefixed by its server', async () => {
    const { document, operations } = buildOpenApiDocument({
      ...common,
      security: 'bearer-or-basic',
      info: { title: 'mcpgate', description: 'all servers', version: '1.0' },
      serverUrl: '/',
      sections: Object.keys(servers).map((name) => ({ server: name, basePath: `/${name}`, catalog: catalogs.get(name) as Catalog })),
      aggregated: true,
    });
    expect(await documentProblems(document)).toEqual([]);
    for (const operation of operations) {
      expect(operation.operationId.startsWith(`${operation.server}_`)).toBe(true);
      expect(operation.path.startsWith(`/${operation.server}/`)).toBe(true);
    }
    const toolCount = [...catalogs.values()].reduce((sum, catalog) => sum + catalog.tools.filter((tool) => !runsOnlyAsTask(tool)).length, 0);
    expect(operations.filter((operation) => operation.kind === 'tool')).toHaveLength(toolCount);
  });
});
