import { describe, expect, it } from 'vitest';
import { InFlightMap } from '../src/in-flight-map.js';

/** The same operations on an InFlightMap and a Map must leave the same entries, in the same order. */
function both(): { map: InFlightMap<string, number>; reference: Map<string, number>; check: () => void } {
  const map = new InFlightMap<string, number>();
  const reference = new Map<string, number>();
  return {
    map,
    reference,
    check: () => {
      expect([...map]).toEqual([...reference]);
      expect([...map.values()]).toEqual([...reference.values()]);
      expect(map.size).toBe(reference.size);
    },
  };
}

describe('InFlightMap', () => {
  it('gets, replaces and deletes the one entry it holds', () => {
    const map = new InFlightMap<string, number>();
    expect(map.has('a')).toBe(false);
    expect(map.get('a')).toBeUndefined();
    map.set('a', 1);
    expect(map.has('a')).toBe(true);
    expect(map.get('a')).toBe(1);
    map.set('a', 2);
    expect(map.get('a')).toBe(2);
    expect(map.size).toBe(1);
    expect(map.delete('a')).toBe(true);
    expect(map.delete('a')).toBe(false);
    expect(map.has('a')).toBe(false);
    expect(map.size).toBe(0);
  });

  it('tells a key undefined from an absent one', () => {
    const map = new InFlightMap<string | undefined, number>();
    map.set('a', 1);
    expect(map.has(undefined)).toBe(false);
    map.set(undefined, 2);
    expect(map.get(undefined)).toBe(2);
    expect([...map]).toEqual([
      ['a', 1],
      [undefined, 2],
    ]);
  });

  it('keeps insertion order through deletes, as a Map does', () => {
    const { map, reference, check } = both();
    const steps: [op: 'set' | 'delete', key: string][] = [
      ['set', 'a'],
      ['set', 'b'],
      ['set', 'c'],
      ['delete', 'a'],
      ['set', 'd'],
      ['delete', 'b'],
      ['delete', 'c'],
      ['delete', 'd'],
      ['set', 'e'],
      ['set', 'f'],
      ['delete', 'e'],
      ['set', 'g'],
      ['set', 'f'],
      ['delete', 'x'],
    ];
    steps.forEach(([op, key], index) => {
      if (op === 'set') {
        map.set(key, index);
        reference.set(key, index);
      } else expect(map.delete(key)).toBe(reference.delete(key));
      check();
      for (const probe of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) {
        expect(map.has(probe)).toBe(reference.has(probe));
        expect(map.get(probe)).toBe(reference.get(probe));
      }
    });
  });

  it('empties on clear, with and without entries beyond the first', () => {
    const { map, reference, check } = both();
    map.set('a', 1);
    map.set('b', 2);
    map.clear();
    check();
    map.set('c', 3);
    reference.set('c', 3);
    check();
    map.clear();
    reference.clear();
    check();
  });
});
