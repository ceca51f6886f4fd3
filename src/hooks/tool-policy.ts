/**
 * The built-in tool policy: each server's `disabledTools` / `enabledTools` as a hook's
 * `allowTool`, so the gateway's own filtering goes through the same API as anyone's. A tool it
 * refuses is missing from every list and refused on call, on every frontend.
 *
 * @module
 */
import type { UpstreamConfig } from '../config/types.js';
import type { Hook } from './types.js';

type ToolFilter = Pick<UpstreamConfig, 'name' | 'enabledTools' | 'disabledTools'>;

/** Whether a server's configuration lets a tool through: the allow-list first, then the deny-list. */
function isToolAllowed(config: ToolFilter, tool: string): boolean {
  if (config.enabledTools !== undefined && !config.enabledTools.includes(tool)) return false;
  return !config.disabledTools.includes(tool);
}

export function toolPolicy(servers: Iterable<ToolFilter>): Hook {
  const byName = new Map<string, ToolFilter>();
  for (const server of servers) byName.set(server.name, server);
  return {
    name: 'tool-policy',
    allowTool(server, tool) {
      const config = byName.get(server);
      return config === undefined || isToolAllowed(config, tool);
    },
  };
}
