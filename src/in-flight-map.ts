/**
 * A `Map` for what is in flight on one session or connection: entries that come and go, rarely
 * more than one at a time.
 *
 * Why not a plain `Map`: V8 shrinks a Map's table on the `delete` that empties it, so a Map that
 * holds one request at a time allocates a new table for every request, and that table lives until
 * the next one. Young objects that live that long are the ones a scavenge must copy, and then
 * promote (decision 65); a session keeps several such maps, and with many sessions they were the
 * largest part of what survived each scavenge. Here the oldest entry is held in fields of its own
 * and only the others go into a Map, which a session with one request in flight never touches.
 *
 * Iteration follows insertion order, as a Map's does: the entry in the fields, when there is one,
 * is older than every entry in the Map, because a new entry goes into the fields only when the
 * Map is empty.
 *
 * @module
 */
export class InFlightMap<K, V> {
  private hasFirst = false;
  private firstKey: K | undefined = undefined;
  private firstValue: V | undefined = undefined;
  private readonly rest = new Map<K, V>();

  get size(): number {
    return (this.hasFirst ? 1 : 0) + this.rest.size;
  }

  has(key: K): boolean {
    return (this.hasFirst && this.firstKey === key) || this.rest.has(key);
  }

  get(key: K): V | undefined {
    return this.hasFirst && this.firstKey === key ? this.firstValue : this.rest.get(key);
  }

  set(key: K, value: V): this {
    if (this.hasFirst && this.firstKey === key) this.firstValue = value;
    else if (!this.hasFirst && this.rest.size === 0) {
      this.hasFirst = true;
      this.firstKey = key;
      this.firstValue = value;
    } else this.rest.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (this.hasFirst && this.firstKey === key) {
      this.hasFirst = false;
      this.firstKey = undefined;
      this.firstValue = undefined;
      return true;
    }
    return this.rest.delete(key);
  }

  clear(): void {
    this.hasFirst = false;
    this.firstKey = undefined;
    this.firstValue = undefined;
    if (this.rest.size > 0) this.rest.clear();
  }

  *entries(): IterableIterator<[K, V]> {
    if (this.hasFirst) yield [this.firstKey as K, this.firstValue as V];
    yield* this.rest.entries();
  }

  *values(): IterableIterator<V> {
    if (this.hasFirst) yield this.firstValue as V;
    yield* this.rest.values();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}
