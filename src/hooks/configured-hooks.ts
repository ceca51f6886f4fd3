/**
 * The hooks a configuration asks for, in the order they run: the gateway's own first (the metrics'
 * counter, the tool policy, and the audit log, outermost so that they time and record every call as
 * the caller saw it), then the hook modules' in their configured order, then those given in code.
 *
 * A reload asks again with the new configuration: what did not change is kept as the same
 * objects (a module listed before is not loaded or started again, the audit log keeps its file
 * open), so the hook runner restarts only the hooks that are new.
 *
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import type { AuditLogConfig, GatewayConfig } from '../config/types.js';
import { auditLog } from './audit-log.js';
import { loadHookModules } from './load-modules.js';
import { toolPolicy } from './tool-policy.js';
import type { Hook } from './types.js';

type HookSettings = Pick<GatewayConfig, 'upstreams' | 'auditLog' | 'hookModules'>;

/** Every hook, the modules loaded; rejects with `CONFIG_INVALID` naming a module that cannot be loaded. */
export async function configuredHooks(config: HookSettings, inCode: readonly Hook[] = []): Promise<Hook[]> {
  return new ConfiguredHooks(inCode).resolve(config);
}

/** The hooks of a configuration that changes over time (see the module comment). */
export class ConfiguredHooks {
  private readonly modules = new Map<string, Hook[]>();
  private audit: { config: AuditLogConfig; hook: Hook } | undefined;

  /**
   * @param inCode hooks given in code, run after every other.
   * @param first hooks of the gateway itself that run before every other (the metrics' counter).
   */
  constructor(
    private readonly inCode: readonly Hook[] = [],
    private readonly first: readonly Hook[] = [],
  ) {}

  /**
   * The hooks `config` asks for. Modules not loaded before are loaded now; rejects with
   * `CONFIG_INVALID` naming a module that cannot be, and then nothing is kept of this call.
   */
  async resolve(config: HookSettings): Promise<Hook[]> {
    const paths = config.hookModules ?? [];
    const loaded = new Map<string, Hook[]>();
    for (const path of paths) loaded.set(path, this.modules.get(path) ?? (await loadHookModules([path])));
    this.modules.clear();
    for (const [path, hooks] of loaded) this.modules.set(path, hooks);
    return [...this.builtIns(config), ...paths.flatMap((path) => loaded.get(path)!), ...this.inCode];
  }

  /**
   * The built-in hooks, which need no loading: the tool policy of `config`'s servers, and the
   * audit log, the same object while its settings stay the same.
   */
  builtIns(config: Pick<GatewayConfig, 'upstreams' | 'auditLog'>): Hook[] {
    if (!config.auditLog) this.audit = undefined;
    else if (!this.audit || !isDeepStrictEqual(this.audit.config, config.auditLog)) {
      this.audit = { config: config.auditLog, hook: auditLog(config.auditLog) };
    }
    return [...this.first, toolPolicy(config.upstreams), ...(this.audit ? [this.audit.hook] : [])];
  }
}
