/**
 * What changed between the running configuration and a freshly loaded one, so hot reload can
 * restart only the upstreams whose settings moved, leave the others (and their sessions) alone,
 * and say plainly which edits wait for a restart because they are fixed once the gateway listens.
 *
 * Pure: two `GatewayConfig`s in, one `ConfigDiff` out.
 *
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import { formatJsonPath, isJsonObject } from './json-path.js';
import type { GatewayConfig, UpstreamConfig } from './types.js';

export interface ConfigDiff {
  /** Servers in `next` but not in `current`, as configured in `next`, in `next`'s order. */
  added: UpstreamConfig[];
  /** Names of servers in `current` but not in `next` (disabled now counts as removed), in `current`'s order. */
  removed: string[];
  /**
   * Servers in both whose config differs in any field (deep comparison; key order of objects
   * does not matter; array order does), as configured in `next`, in `next`'s order.
   */
  changed: UpstreamConfig[];
  /** Names of servers in both with equal configs, in `next`'s order. */
  unchanged: string[];
  /** `disabledUpstreams` differs (as a set). */
  disabledChanged: boolean;
  /** `hookModules` differs (order matters; undefined and [] are equal). */
  hooksChanged: boolean;
  /** `auditLog` differs (deep). */
  auditLogChanged: boolean;
  /**
   * Settings that differ but cannot be applied to a running gateway (they need a new listener or
   * are fixed at start): every top-level field other than `upstreams`, `disabledUpstreams`,
   * `hookModules`, `auditLog` and `configPath`. One readable line each, naming the setting (the
   * nested path for objects) and both values: `port: 8000 → 9000`, `rest.pathPrefix: "" → "/api"`,
   * `unset` for a value left out. API keys are never written out: `auth.apiKeys: changed (not shown)`.
   */
  restartRequired: string[];
}

/** Fields a running gateway takes over on reload; every other top-level field needs a restart. */
const APPLIED_LIVE: ReadonlySet<string> = new Set(['upstreams', 'disabledUpstreams', 'hookModules', 'auditLog', 'configPath']);

/**
 * Settings whose values are secrets (or whole PEM texts): restart lines name them but never show
 * them (logs are read by many).
 */
const SECRET_PATHS: ReadonlySet<string> = new Set(['auth.apiKeys', 'tls.cert', 'tls.key']);

/**
 * The config a running gateway is in after applying `next`: `next`'s fields that apply live,
 * `current`'s for the rest (those wait for a restart).
 */
export function configInForce(current: GatewayConfig, next: GatewayConfig): GatewayConfig {
  const result: Record<string, unknown> = { ...current };
  for (const field of APPLIED_LIVE) {
    const value = (next as unknown as Record<string, unknown>)[field];
    if (value === undefined) delete result[field];
    else result[field] = value;
  }
  return result as unknown as GatewayConfig;
}

/** Compare `current` (the running config) with `next` (the one just loaded). */
export function diffConfigs(current: GatewayConfig, next: GatewayConfig): ConfigDiff {
  const before = new Map(current.upstreams.map((upstream) => [upstream.name, upstream]));
  const after = new Set(next.upstreams.map((upstream) => upstream.name));

  const added: UpstreamConfig[] = [];
  const changed: UpstreamConfig[] = [];
  const unchanged: string[] = [];
  for (const upstream of next.upstreams) {
    const previous = before.get(upstream.name);
    if (previous === undefined) added.push(upstream);
    else if (sameValue(previous, upstream)) unchanged.push(upstream.name);
    else changed.push(upstream);
  }
  const removed = current.upstreams.map((upstream) => upstream.name).filter((name) => !after.has(name));

  return {
    added,
    removed,
    changed,
    unchanged,
    disabledChanged: !sameSet(current.disabledUpstreams, next.disabledUpstreams),
    hooksChanged: !isDeepStrictEqual(current.hookModules ?? [], next.hookModules ?? []),
    auditLogChanged: !sameValue(current.auditLog, next.auditLog),
    restartRequired: restartLines(current, next),
  };
}

/**
 * True when applying the diff would change nothing at all. Settings that need a restart count as
 * a change: the file no longer says what the gateway runs, and the caller should say so.
 */
export function isEmptyDiff(diff: ConfigDiff): boolean {
  return (
    diff.added.length === 0 &&
    diff.removed.length === 0 &&
    diff.changed.length === 0 &&
    !diff.disabledChanged &&
    !diff.hooksChanged &&
    !diff.auditLogChanged &&
    diff.restartRequired.length === 0
  );
}

function restartLines(current: GatewayConfig, next: GatewayConfig): string[] {
  const before = current as unknown as Record<string, unknown>;
  const after = next as unknown as Record<string, unknown>;
  const lines: string[] = [];
  for (const field of unionOfKeys(before, after)) {
    if (!APPLIED_LIVE.has(field)) describeDifference([field], before[field], after[field], lines);
  }
  return lines;
}

/**
 * Append one line per differing setting under `path`. Objects are walked, and so is a whole
 * section set or left out (`cors` appearing): each line then names one setting, and a secret
 * inside the section stays hidden.
 */
function describeDifference(path: string[], before: unknown, after: unknown, lines: string[]): void {
  if (sameValue(before, after)) return;
  const name = formatJsonPath(path);
  const walkable = (value: unknown) => isJsonObject(value) || value === undefined;
  if (SECRET_PATHS.has(name)) {
    lines.push(`${name}: changed (not shown)`);
  } else if (walkable(before) && walkable(after)) {
    const from = isJsonObject(before) ? before : {};
    const to = isJsonObject(after) ? after : {};
    for (const key of unionOfKeys(from, to)) describeDifference([...path, key], from[key], to[key], lines);
  } else {
    lines.push(`${name}: ${show(before)} → ${show(after)}`);
  }
}

/** Keys of both objects, `a`'s first in its order, then those only `b` has. */
function unionOfKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])];
}

function show(value: unknown): string {
  return value === undefined ? 'unset' : JSON.stringify(dropUndefined(value));
}

/**
 * Deep equality where an optional key set to `undefined` equals the key left out: the config
 * builders write `cwd: undefined` in one path and omit `sharing` in another, and neither is a change.
 */
function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(dropUndefined(a), dropUndefined(b));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((item) => right.has(item));
}

/** A copy without `undefined`-valued object keys, at any depth (array slots are kept: their order is meaning). */
function dropUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropUndefined);
  if (!isJsonObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = dropUndefined(item);
  return out;
}
