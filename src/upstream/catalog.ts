/**
 * What an upstream offers: tools, resources, resource templates and prompts, as last listed,
 * without the tools the hooks do not allow (`disabledTools` / `enabledTools` among them).
 *
 * @module
 */
import type { Client, Prompt, Resource, Tool } from '@modelcontextprotocol/client';

export type ResourceTemplate = Awaited<ReturnType<Client['listResourceTemplates']>>['resourceTemplates'][number];

export interface Catalog {
  tools: Tool[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  prompts: Prompt[];
}

export const emptyCatalog = (): Catalog => ({ tools: [], resources: [], resourceTemplates: [], prompts: [] });

/**
 * Lists everything the server advertises, following pagination (the SDK's no-cursor list calls
 * walk every page). Only what the server's capabilities announce is asked for.
 */
export async function listCatalog(client: Client, allowsTool: (tool: string) => boolean, timeoutMs: number): Promise<Catalog> {
  const capabilities = client.getServerCapabilities() ?? {};
  const options = { timeout: timeoutMs };
  const [tools, resources, resourceTemplates, prompts] = await Promise.all([
    capabilities.tools ? client.listTools(undefined, options).then((r) => r.tools) : [],
    capabilities.resources ? client.listResources(undefined, options).then((r) => r.resources) : [],
    capabilities.resources ? listTemplates(client, timeoutMs) : [],
    capabilities.prompts ? client.listPrompts(undefined, options).then((r) => r.prompts) : [],
  ]);
  return { tools: tools.filter((tool) => allowsTool(tool.name)), resources, resourceTemplates, prompts };
}

/** Resource templates are optional even for servers with resources; "method not found" means none. */
export async function listTemplates(client: Client, timeoutMs: number): Promise<ResourceTemplate[]> {
  try {
    return (await client.listResourceTemplates(undefined, { timeout: timeoutMs })).resourceTemplates;
  } catch (error) {
    if ((error as { code?: unknown }).code === -32601) return [];
    throw error;
  }
}
