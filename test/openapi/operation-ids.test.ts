/**
 * operationIds: kept when already valid LLM function names, rewritten otherwise; unique,
 * stable and independent of the order names come in.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assignOperationIds, OPERATION_ID_PATTERN, sanitiseName } from '../../src/openapi/operation-ids.js';

const hash8 = (name: string) => createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8);

function expectAllValidAndUnique(ids: Map<string, string>): void {
  const values = [...ids.values()];
  for (const id of values) expect(id).toMatch(OPERATION_ID_PATTERN);
  expect(new Set(values).size).toBe(values.length);
}

describe('assignOperationIds', () => {
  it('keeps names that already fit', () => {
    const names = ['get_current_time', 'dash-name', 'A1', 'x'.repeat(64)];
    const ids = assignOperationIds(names);
    for (const name of names) expect(ids.get(name)).toBe(name);
  });

  it('replaces dots, spaces and other characters with "_"', () => {
    const ids = assignOperationIds(['files.read', 'say hello', 'a/b:c']);
    expect(ids.get('files.read')).toBe('files_read');
    expect(ids.get('say hello')).toBe('say_hello');
    expect(ids.get('a/b:c')).toBe('a_b_c');
  });

  it('shortens names over 64 characters to a prefix and a hash of the whole name', () => {
    const long = `${'very_long_tool_name_'.repeat(5)}end`;
    const id = assignOperationIds([long]).get(long) as string;
    expect(id).toHaveLength(64);
    expect(id).toBe(`${long.slice(0, 55)}_${hash8(long)}`);
  });

  it('gives two long names with the same start different ids', () => {
    const base = 'x'.repeat(70);
    const ids = assignOperationIds([`${base}_one`, `${base}_two`]);
    expectAllValidAndUnique(ids);
    expect(ids.get(`${base}_one`)?.startsWith('x'.repeat(55))).toBe(true);
  });

  it('hashes every name whose sanitised form is shared, rather than favouring one', () => {
    const ids = assignOperationIds(['a.b', 'a b']);
    expect(ids.get('a.b')).toBe(`a_b_${hash8('a.b')}`);
    expect(ids.get('a b')).toBe(`a_b_${hash8('a b')}`);
  });

  it('lets a valid name keep itself when an invalid name would sanitise to it', () => {
    for (const names of [['a_b', 'a.b'], ['a.b', 'a_b']]) {
      const ids = assignOperationIds(names);
      expect(ids.get('a_b')).toBe('a_b');
      expect(ids.get('a.b')).toBe(`a_b_${hash8('a.b')}`);
    }
  });

  it('rewrites names in other scripts, and the empty name', () => {
    const ids = assignOperationIds(['获取时间', '天气', 'café', '']);
    expectAllValidAndUnique(ids);
    // Only "_" left says nothing about the tool: a hash tells such names apart.
    expect(ids.get('获取时间')).toBe(`_____${hash8('获取时间')}`);
    expect(ids.get('天气')).toBe(`___${hash8('天气')}`);
    expect(ids.get('café')).toBe('caf_');
    expect(ids.get('')).toBe(`op_${hash8('')}`);
  });

  it('counts an emoji as one character', () => {
    expect(sanitiseName('rocket🚀launch')).toBe('rocket_launch');
  });

  it('is independent of input order and of duplicates', () => {
    const names = ['files.read', 'files_read', 'files read', 'x'.repeat(80), `${'x'.repeat(80)}y`, 'ok', '工具', 'a.b.c'];
    const reference = assignOperationIds(names);
    expectAllValidAndUnique(reference);
    for (let round = 0; round < 20; round += 1) {
      const shuffled = [...names, ...names.slice(0, 3)].sort(() => Math.random() - 0.5);
      expect(assignOperationIds(shuffled)).toEqual(reference);
    }
  });

  it('gives the same ids on every call (stable across restarts)', () => {
    expect([...assignOperationIds(['files.read', 'x'.repeat(100)])]).toEqual([
      ['files.read', 'files_read'],
      ['x'.repeat(100), `${'x'.repeat(55)}_${hash8('x'.repeat(100))}`],
    ]);
  });

  it('treats reserved ids as taken, even by a valid name', () => {
    const ids = assignOperationIds(['list_resources', 'read.resource'], { reserved: ['list_resources', 'read_resource'] });
    expect(ids.get('list_resources')).toBe(`list_resources_${hash8('list_resources')}`);
    expect(ids.get('read.resource')).toBe(`read_resource_${hash8('read.resource')}`);
  });

  it('settles a hash that collides with a taken id by hashing again', () => {
    const colliding = `a_b_${hash8('a.b')}`;
    const ids = assignOperationIds(['a.b', 'a b', colliding]);
    expect(ids.get(colliding)).toBe(colliding);
    expectAllValidAndUnique(ids);
    expect(ids.get('a.b')).not.toBe(colliding);
  });

  it('produces valid unique ids for many awkward names', () => {
    const names: string[] = [];
    for (let i = 0; i < 300; i += 1) {
      names.push(`tool.${i}`, `tool_${i}`, `${'long'.repeat(20)}${i}`, `名前${i}`, `${i}`, `-${i}-`, ' '.repeat(i % 5));
    }
    expectAllValidAndUnique(assignOperationIds(names));
  });
});
