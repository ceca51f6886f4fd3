/**
 * Hook modules (`"hooks"` in the config file, `--hook`): ES modules whose default export is a
 * hook object, an array of them, or a function returning either (it may be async); a module
 * without a default export may name its hooks `hooks` (an array) or `hook`. The function is given
 * `{ GatewayError }`, so a module that does not import mcpgate can still refuse with a status.
 *
 * A member a hook does not know (a misspelt `onToolcall`, say) is an error, not silently nothing:
 * a hook meant to guard calls must not quietly guard none. A hook without a name is named after
 * its file, so logs and errors say which one failed.
 *
 * @module
 */
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeError, GatewayError } from '../errors.js';
import type { Hook } from './types.js';

/** What a hook module's exported function is given. */
export interface HookModuleHelpers {
  GatewayError: typeof GatewayError;
}

const HOOK_MEMBERS: ReadonlySet<string> = new Set([
  'name',
  'onStart',
  'onClose',
  'onClientMessage',
  'onServerMessage',
  'onToolCall',
  'onToolResult',
  'observeToolCall',
  'allowTool',
]);

/** Loads every module in order; its hooks keep their order in it. Rejects with `CONFIG_INVALID` naming the module. */
export async function loadHookModules(paths: readonly string[]): Promise<Hook[]> {
  const hooks: Hook[] = [];
  for (const path of paths) hooks.push(...(await loadHookModule(path)));
  return hooks;
}

async function loadHookModule(path: string): Promise<Hook[]> {
  const fail = (problem: string): never => {
    throw new GatewayError('CONFIG_INVALID', `hook module ${path}: ${problem}`);
  };
  let exported: Record<string, unknown>;
  try {
    exported = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    return fail(`cannot be loaded: ${describeError(error)}`);
  }
  let value = exported.default ?? exported.hooks ?? exported.hook;
  if (value === undefined) return fail('exports no hook: export default a hook object, an array of them, or a function returning them');
  if (typeof value === 'function') {
    try {
      value = await (value as (helpers: HookModuleHelpers) => unknown)({ GatewayError });
    } catch (error) {
      return fail(`its exported function failed: ${describeError(error)}`);
    }
  }
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  const fileName = basename(path);
  return list.map((hook, index) => checkedHook(hook, list.length === 1 ? fileName : `${fileName}#${index + 1}`, fail));
}

function checkedHook(value: unknown, defaultName: string, fail: (problem: string) => never): Hook {
  if (typeof value !== 'object' || value === null) return fail(`a hook must be an object, got ${value === null ? 'null' : typeof value}`);
  const hook = value as Record<string, unknown>;
  for (const member of memberNames(hook)) {
    if (!HOOK_MEMBERS.has(member)) {
      return fail(`hook "${String(hook.name ?? defaultName)}" has an unknown member "${member}" (a hook may have ${[...HOOK_MEMBERS].join(', ')})`);
    }
    if (member !== 'name' && typeof hook[member] !== 'function') return fail(`hook member "${member}" must be a function`);
  }
  if (hook.name !== undefined && typeof hook.name !== 'string') return fail('a hook\'s "name" must be a string');
  if (typeof hook.name === 'string') return hook as Hook;
  // Named after its file, without touching the module's own object (a class instance keeps its methods).
  return Object.assign(Object.create(hook) as Hook, { name: defaultName });
}

/** A plain object's own keys; a class instance's methods, from its prototypes below Object. */
function memberNames(hook: Record<string, unknown>): string[] {
  const names = new Set(Object.keys(hook));
  for (let proto = Object.getPrototypeOf(hook); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor') names.add(name);
  }
  return [...names];
}
