/**
 * What an upstream offers: tools, resources, resource templates and prompts, as last listed,
 * with the server's `disabledTools` / `enabledTools` applied.
 *
 * @module
 */
import type { Client, Prompt, Resource, Tool } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/types.js';

export type ResourceTemplate = Awaited<ReturnType<Client['listResourceTemplates']>>['resourceTemplates'][number];

export interface Catalog {
  tools: Tool[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  prompts: Prompt[];
}

export const emptyCatalog = (): Catalog => ({ tools: [], resources: [], resourceTemplates: [], prompts: [] });

/** Whether the server's configuration lets this tool through (allow-list first, then deny-list). */
export function isToolAllowed(config: Pick<UpstreamConfig, 'enabledTools' | 'disabledTools'>, toolName: string): boolean {
  if (config.enabledTools !== undefined && !config.enabledTools.includes(toolName)) return false;
  return !config.disabledTools.includes(toolName);
}

export function filterTools(config: Pick<UpstreamConfig, 'enabledTools' | 'disabledTools'>, tools: Tool[]): Tool[] {
  return tools.filter((tool) => isToolAllowed(config, tool.name));
}

/**
 * Lists everything the server advertises, following pagination (the SDK's no-cursor list calls
 * walk every page). Only what the server's capabilities announce is asked for.
 */
export async function listCatalog(client: Client, config: UpstreamConfig, timeoutMs: number): Promise<Catalog> {
  const capabilities = client.getServerCapabilities() ?? {};
  const options = { timeout: timeoutMs };
  const [tools, resources, resourceTemplates, prompts] = await Promise.all([
    capabilities.tools ? client.listTools(undefined, options).then((r) => r.tools) : [],
    capabilities.resources ? client.listResources(undefined, options).then((r) => r.resources) : [],
    capabilities.resources ? listTemplates(client, timeoutMs) : [],
    capabilities.prompts ? client.listPrompts(undefined, options).then((r) => r.prompts) : [],
  ]);
  return { tools: filterTools(config, tools), resources, resourceTemplates, prompts };
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
