/**
 * Test helper: builds documents from hand-written catalogs with sensible defaults, and checks
 * every one of them with the OpenAPI validator and the reference checker.
 */
import { expect } from 'vitest';
import type { Prompt, Resource, Tool } from '@modelcontextprotocol/client';
import { buildOpenApiDocument, type DocumentOptions, type DocumentSection } from '../../src/openapi/document.js';
import type { Catalog, ResourceTemplate } from '../../src/upstream/catalog.js';
import { documentProblems } from '../helpers/openapi-document.js';

export interface LooseCatalog {
  tools?: unknown[];
  prompts?: unknown[];
  resources?: unknown[];
  resourceTemplates?: unknown[];
}

export function catalog(parts: LooseCatalog = {}): Catalog {
  return {
    tools: (parts.tools ?? []) as Tool[],
    prompts: (parts.prompts ?? []) as Prompt[],
    resources: (parts.resources ?? []) as Resource[],
    resourceTemplates: (parts.resourceTemplates ?? []) as ResourceTemplate[],
  };
}

export function tool(name: string, inputSchema: unknown = { type: 'object' }, extra: Record<string, unknown> = {}): unknown {
  return { name, inputSchema, ...extra };
}

export function section(server: string, parts: LooseCatalog, basePath = ''): DocumentSection {
  return { server, basePath, catalog: catalog(parts) };
}

export type Built = ReturnType<typeof buildOpenApiDocument> & {
  /** The operation object at a method and path. */
  op: (method: string, path: string) => Record<string, any>;
};

/** Builds a document and fails the test when it is not a valid, self-contained OpenAPI 3.1 document. */
export async function build(options: Partial<DocumentOptions> & { sections: DocumentSection[] }): Promise<Built> {
  const built = buildOpenApiDocument({
    info: { title: 'test', description: 'test server', version: '1.0.0' },
    serverUrl: '/',
    security: 'none',
    resourcesAndPrompts: false,
    aggregated: false,
    ...options,
  });
  expect(await documentProblems(built.document)).toEqual([]);
  const paths = built.document.paths as Record<string, Record<string, Record<string, any>>>;
  return {
    ...built,
    op: (method, path) => {
      const operation = paths[path]?.[method];
      if (!operation) throw new Error(`no ${method} ${path} in ${Object.keys(paths).join(', ')}`);
      return operation;
    },
  };
}

/** A one-server document of these tools. */
export function buildTools(tools: unknown[], options: Partial<DocumentOptions> = {}): Promise<Built> {
  return build({ sections: [section('srv', { tools })], ...options });
}
