import { describe, expect, it } from 'vitest';
import { formatJsonPath, jsonTypeOf, problemAt, valueAtPath } from '../../src/config/json-path.js';

describe('json-path', () => {
  it.each([
    [[], ''],
    [['mcpServers', 'time', 'args', 0], 'mcpServers.time.args[0]'],
    [['mcpServers', 'api', 'headers', 'X-Custom-Header'], 'mcpServers.api.headers.X-Custom-Header'],
    [['mcpServers', 'my.server', 'command'], 'mcpServers["my.server"].command'],
    [['a', 0, 1, 'b'], 'a[0][1].b'],
    [['$schema'], '$schema'],
  ])('formats %j as %j', (path, text) => {
    expect(formatJsonPath(path)).toBe(text);
  });

  it.each([
    ['s', 'string'],
    [1, 'number'],
    [false, 'boolean'],
    [null, 'null'],
    [[], 'array'],
    [{}, 'object'],
  ])('names the JSON type of %j as %s', (value, type) => {
    expect(jsonTypeOf(value)).toBe(type);
  });

  it('finds values by path, own properties only', () => {
    const root = { a: [{ b: 'x' }] };
    expect(valueAtPath(root, ['a', 0, 'b'])).toBe('x');
    expect(valueAtPath(root, ['a', 1, 'b'])).toBeUndefined();
    expect(valueAtPath(root, ['constructor'])).toBeUndefined();
  });

  it('writes problems as file: path: message', () => {
    expect(problemAt('c.json', ['a', 0], 'bad')).toBe('c.json: a[0]: bad');
    expect(problemAt('c.json', [], 'bad')).toBe('c.json: top level: bad');
  });
});
