/**
 * The gateway's upstreams by server name, in config order: the one live view every frontend
 * reads (REST routes, documents, MCP endpoints, `/readyz`). A config reload replaces its members;
 * a frontend that follows each member (the aggregated endpoint watches every catalog) registers
 * through {@link UpstreamSet.watch}, so members that join later are followed too, and members
 * that leave are let go.
 *
 * @module
 */
import type { Upstream } from './upstream.js';

/** Attaches to one member; returns how to detach. */
export type MemberWatch = (upstream: Upstream) => () => void;

interface Watcher {
  attach: MemberWatch;
  onMembersChanged: (() => void) | undefined;
  detachers: Map<Upstream, () => void>;
}

export class UpstreamSet implements ReadonlyMap<string, Upstream> {
  private members = new Map<string, Upstream>();
  private readonly watchers = new Set<Watcher>();

  constructor(upstreams: Iterable<Upstream> = []) {
    for (const upstream of upstreams) this.members.set(upstream.name, upstream);
  }

  get size(): number {
    return this.members.size;
  }

  get(name: string): Upstream | undefined {
    return this.members.get(name);
  }

  has(name: string): boolean {
    return this.members.has(name);
  }

  keys(): MapIterator<string> {
    return this.members.keys();
  }

  values(): MapIterator<Upstream> {
    return this.members.values();
  }

  entries(): MapIterator<[string, Upstream]> {
    return this.members.entries();
  }

  forEach(callback: (value: Upstream, key: string, map: ReadonlyMap<string, Upstream>) => void, thisArg?: unknown): void {
    for (const [name, upstream] of this.members) callback.call(thisArg, upstream, name, this);
  }

  [Symbol.iterator](): MapIterator<[string, Upstream]> {
    return this.members.entries();
  }

  /**
   * Makes `upstreams` the members, in this order. Members left out are only let go here: the
   * caller stops them (after their calls in flight have finished).
   */
  replace(upstreams: Iterable<Upstream>): void {
    const next = new Map<string, Upstream>();
    for (const upstream of upstreams) next.set(upstream.name, upstream);
    const kept = new Set(next.values());
    const before = [...this.members.values()];
    const changed = next.size !== before.length || [...next.values()].some((upstream, i) => upstream !== before[i]);
    this.members = next;
    if (!changed) return;
    for (const watcher of this.watchers) {
      for (const [upstream, detach] of watcher.detachers) {
        if (kept.has(upstream)) continue;
        watcher.detachers.delete(upstream);
        detach();
      }
      for (const upstream of next.values()) {
        if (!watcher.detachers.has(upstream)) watcher.detachers.set(upstream, watcher.attach(upstream));
      }
    }
    for (const watcher of [...this.watchers]) watcher.onMembersChanged?.();
  }

  /**
   * Runs `attach` on every member now and on each member that joins later, and its detacher when
   * the member leaves; `onMembersChanged` runs after members came or went. Returns how to stop.
   */
  watch(attach: MemberWatch, onMembersChanged?: () => void): () => void {
    const watcher: Watcher = { attach, onMembersChanged, detachers: new Map() };
    for (const upstream of this.members.values()) watcher.detachers.set(upstream, attach(upstream));
    this.watchers.add(watcher);
    return () => {
      if (!this.watchers.delete(watcher)) return;
      for (const detach of watcher.detachers.values()) detach();
      watcher.detachers.clear();
    };
  }
}
