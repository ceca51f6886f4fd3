/**
 * The hooks a configuration asks for, in the order they run: the gateway's own first (the tool
 * policy, and the audit log, outermost so that it times and records every call as the caller saw
 * it), then the hook modules' in their configured order, then those given in code.
 *
 * @module
 */
import type { GatewayConfig } from '../config/types.js';
import { auditLog } from './audit-log.js';
import { loadHookModules } from './load-modules.js';
import { toolPolicy } from './tool-policy.js';
import type { Hook } from './types.js';

/** The built-in hooks, which need no loading. */
export function builtInHooks(config: Pick<GatewayConfig, 'upstreams' | 'auditLog'>): Hook[] {
  return [toolPolicy(config.upstreams), ...(config.auditLog ? [auditLog(config.auditLog)] : [])];
}

/** Every hook, the modules loaded; rejects with `CONFIG_INVALID` naming a module that cannot be loaded. */
export async function configuredHooks(config: Pick<GatewayConfig, 'upstreams' | 'auditLog' | 'hookModules'>, inCode: readonly Hook[] = []): Promise<Hook[]> {
  const modules = config.hookModules?.length ? await loadHookModules(config.hookModules) : [];
  return [...builtInHooks(config), ...modules, ...inCode];
}
