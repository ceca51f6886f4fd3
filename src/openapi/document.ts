/**
 * The OpenAPI 3.1 document of one server's catalog, or of several servers' (the aggregated root
 * document), and the list of its operations that the REST routes serve.
 *
 * - Each tool is `POST {basePath}/{name}`, as in mcpo. With resources and prompts on, a server
 *   also gets `GET /resources`, `GET /resources/read?uri=`, `GET /prompts`, `POST /prompts/{name}`.
 * - operationIds are the LLM function names (Open WebUI uses them as such), so they are safe
 *   (`^[a-zA-Z0-9_-]{1,64}$`), unique and stable. Tools are named first, so a tool keeps its own
 *   name even when a resource or prompt operation would want the same id. In the aggregated
 *   document every id starts with its server's name: Open WebUI drops the later of two tools
 *   with the same name, and the prefix keeps ids unchanged when servers are added.
 * - The document never depends on `servers[].url`: Open WebUI ignores it and calls paths relative
 *   to the URL it was given.
 *
 * @module
 */
import type { Prompt, Tool } from '@modelcontextprotocol/client';
import type { Catalog } from '../upstream/catalog.js';
import { errorSchemas, promptSchemas, resourceSchemas, securityOf, type SecurityMode } from './components.js';
import type { JsonSchema } from './json-schema.js';
import { assignOperationIds } from './operation-ids.js';
import {
  listPromptsOperation,
  listResourcesOperation,
  promptOperation,
  readResourceOperation,
  toolOperation,
  type OperationContext,
} from './operations.js';

export interface DocumentSection {
  /** Upstream server name (used as tag and in x-mcp-server). */
  server: string;
  /** Path of this server's routes relative to the document's server URL: '' in a per-server or single-server document, '/time' for server "time" in the aggregated root document. */
  basePath: string;
  catalog: Catalog;
}

export interface DocumentOptions {
  info: { title: string; description: string; version: string };
  /** servers[0].url, e.g. '/' or '/proxy/time' (root path and prefixes already applied by the caller). */
  serverUrl: string;
  sections: DocumentSection[];
  /** 'none': no auth; 'bearer': --api-key (HTTPBearer); 'bearer-or-basic': --strict-auth (HTTPBearer or HTTPBasic). */
  security: SecurityMode;
  /** Include the resource and prompt operations. */
  resourcesAndPrompts: boolean;
  /** Aggregated root document: operationIds are prefixed with the server name. */
  aggregated: boolean;
}

export interface OperationRef {
  server: string;
  kind: 'tool' | 'prompt' | 'list_resources' | 'read_resource' | 'list_prompts';
  /** The tool's or prompt's name, as the server gave it. */
  name?: string;
  operationId: string;
  /** The operation's path relative to the document's server URL (basePath included). */
  path: string;
}

/** One operation to build, before its operationId is known. */
interface Planned {
  section: DocumentSection;
  kind: OperationRef['kind'];
  method: 'get' | 'post';
  path: string;
  /** The id it would like; the final one comes from assignOperationIds. */
  desired: string;
  tool?: Tool;
  prompt?: Prompt;
}

export function buildOpenApiDocument(options: DocumentOptions): { document: Record<string, unknown>; operations: OperationRef[] } {
  const planned = plan(options);
  const tools = planned.filter((entry) => entry.kind === 'tool');
  const others = planned.filter((entry) => entry.kind !== 'tool');
  const toolIds = assignOperationIds(tools.map((entry) => entry.desired));
  const otherIds = assignOperationIds(
    others.map((entry) => entry.desired),
    { reserved: toolIds.values() },
  );

  const components: Record<string, JsonSchema> = { ...errorSchemas(options.security) };
  if (others.some((entry) => entry.kind === 'list_resources')) Object.assign(components, resourceSchemas());
  if (others.some((entry) => entry.kind === 'list_prompts')) Object.assign(components, promptSchemas());
  const security = securityOf(options.security);

  const paths: Record<string, Record<string, unknown>> = {};
  const operations: OperationRef[] = [];
  for (const entry of planned) {
    const operationId = (entry.kind === 'tool' ? toolIds : otherIds).get(entry.desired) as string;
    const context: OperationContext = {
      server: entry.section.server,
      operationId,
      security: options.security,
      securityRequirement: security.requirement,
      tagged: options.aggregated,
      components,
    };
    const pathItem = (paths[entry.path] ??= {});
    pathItem[entry.method] = buildOperation(entry, context);
    operations.push({
      server: entry.section.server,
      kind: entry.kind,
      ...(entry.tool ? { name: entry.tool.name } : entry.prompt ? { name: entry.prompt.name } : {}),
      operationId,
      path: entry.path,
    });
  }

  const document: Record<string, unknown> = {
    openapi: '3.1.0',
    info: { title: options.info.title, description: options.info.description, version: options.info.version },
    servers: [{ url: options.serverUrl }],
    paths,
    components: security.schemes ? { schemas: components, securitySchemes: security.schemes } : { schemas: components },
  };
  if (options.aggregated) document.tags = uniqueServers(options.sections).map((server) => ({ name: server }));
  return { document, operations };
}

function buildOperation(entry: Planned, context: OperationContext): Record<string, unknown> {
  switch (entry.kind) {
    case 'tool':
      return toolOperation(entry.tool as Tool, context);
    case 'prompt':
      return promptOperation(entry.prompt as Prompt, context);
    case 'list_resources':
      return listResourcesOperation(context);
    case 'read_resource':
      return readResourceOperation(context);
    case 'list_prompts':
      return listPromptsOperation(context);
  }
}

/**
 * A tool with `execution.taskSupport: "required"` accepts only task-augmented calls, which a
 * REST call is not: an operation for it could never succeed, so it is left out.
 */
export function runsOnlyAsTask(tool: { execution?: { taskSupport?: string } }): boolean {
  return tool.execution?.taskSupport === 'required';
}

/** Every operation of the document in order: per section, tools, then resources, then prompts. */
function plan(options: DocumentOptions): Planned[] {
  const planned: Planned[] = [];
  // Two operations on one method and path cannot both be served: the first one keeps it.
  const routes = new Set<string>();
  const add = (entry: Planned) => {
    const route = `${entry.method} ${entry.path}`;
    if (routes.has(route)) return;
    routes.add(route);
    planned.push(entry);
  };

  for (const section of options.sections) {
    const prefix = options.aggregated ? `${section.server}_` : '';
    const { tools, resources, resourceTemplates, prompts } = section.catalog;
    for (const tool of tools ?? []) {
      if (typeof tool?.name !== 'string' || runsOnlyAsTask(tool)) continue;
      add({ section, kind: 'tool', method: 'post', path: `${section.basePath}/${encodeURIComponent(tool.name)}`, desired: prefix + tool.name, tool });
    }
    if (!options.resourcesAndPrompts) continue;
    if ((resources?.length ?? 0) > 0 || (resourceTemplates?.length ?? 0) > 0) {
      add({ section, kind: 'list_resources', method: 'get', path: `${section.basePath}/resources`, desired: `${prefix}list_resources` });
      add({ section, kind: 'read_resource', method: 'get', path: `${section.basePath}/resources/read`, desired: `${prefix}read_resource` });
    }
    if ((prompts?.length ?? 0) > 0) {
      add({ section, kind: 'list_prompts', method: 'get', path: `${section.basePath}/prompts`, desired: `${prefix}list_prompts` });
      for (const prompt of prompts) {
        if (typeof prompt?.name !== 'string') continue;
        const path = `${section.basePath}/prompts/${encodeURIComponent(prompt.name)}`;
        add({ section, kind: 'prompt', method: 'post', path, desired: `${prefix}prompt_${prompt.name}`, prompt });
      }
    }
  }
  return disambiguate(planned);
}

/**
 * assignOperationIds maps names to ids, so two operations wanting the same name would share an
 * id. That happens only across servers (`a_b` + tool `c` and `a` + tool `b_c` both want `a_b_c`).
 * Such names get the server name appended after a character that is never kept, so neither keeps
 * the plain name by accident of order: they become `a_b_c_a_b` and `a_b_c_a` (or hashed forms).
 * Sections that share a server name are told apart by their position.
 */
function disambiguate(planned: Planned[]): Planned[] {
  const keyOf = (entry: Planned) => `${entry.kind === 'tool' ? 'tool' : 'other'}\u0000${entry.desired}`;
  const duplicated = (entries: Planned[]) => {
    const counts = new Map<string, number>();
    for (const entry of entries) counts.set(keyOf(entry), (counts.get(keyOf(entry)) ?? 0) + 1);
    return (entry: Planned) => (counts.get(keyOf(entry)) ?? 0) > 1;
  };
  const byServer = duplicated(planned);
  const renamed = planned.map((entry) => (byServer(entry) ? { ...entry, desired: `${entry.desired}\u0000${entry.section.server}` } : entry));
  const byPosition = duplicated(renamed);
  return renamed.map((entry) => (byPosition(entry) ? { ...entry, desired: `${entry.desired}\u0000${renamed.indexOf(entry)}` } : entry));
}

function uniqueServers(sections: DocumentSection[]): string[] {
  return [...new Set(sections.map((section) => section.server))];
}
