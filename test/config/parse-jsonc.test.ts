import { describe, expect, it } from 'vitest';
import { parseJsonc, positionAt } from '../../src/config/parse-jsonc.js';
import { configError, problemsOf } from './helpers.js';

describe('parseJsonc', () => {
  it('accepts line and block comments and trailing commas', () => {
    const text = `{
      // a line comment
      "a": [1, 2, 3,], /* a block
      comment */
      "b": { "c": "// not a comment", },
    }`;
    expect(parseJsonc(text, 'config.json')).toEqual({ a: [1, 2, 3], b: { c: '// not a comment' } });
  });

  it('ignores a leading byte-order mark', () => {
    expect(parseJsonc('\uFEFF{"a": 1}', 'config.json')).toEqual({ a: 1 });
  });

  it('names file, line, column and the problem in words', () => {
    const text = '{\n  "a": 1\n  "b": 2\n}';
    const error = configError(() => parseJsonc(text, 'config.json'));
    expect(error.message).toBe('config.json:3:3: JSON syntax error: comma expected');
    expect(problemsOf(error)).toEqual([error.message]);
  });

  it('points at the token where the comma is missing', () => {
    const text = '{\n  "mcpServers": {\n    "a": {"x": 1 "y": 2}\n  }\n}';
    expect(configError(() => parseJsonc(text, 'config.json')).message).toBe(
      'config.json:3:18: JSON syntax error: comma expected',
    );
  });

  it.each([
    ['{"a": 1', 'config.json:1:8: JSON syntax error: close brace expected'],
    ['{"a": 1}}', 'config.json:1:9: JSON syntax error: end of file expected'],
    ['{"a": }', 'config.json:1:7: JSON syntax error: value expected'],
    ['{a: 1}', 'config.json:1:2: JSON syntax error: invalid symbol'],
    ['{"a": "x', 'config.json:1:7: JSON syntax error: unexpected end of string'],
    ['{"a": 1 /* open', 'config.json:1:9: JSON syntax error: unexpected end of comment'],
  ])('reports %j', (text, message) => {
    expect(configError(() => parseJsonc(text, 'config.json')).message).toBe(message);
  });

  it.each([[''], ['   \n\t'], ['// only a comment\n/* and another */']])('refuses an empty file %j', (text) => {
    expect(configError(() => parseJsonc(text, 'my.json')).message).toBe(
      'my.json: file is empty (expected a JSON object with "mcpServers")',
    );
  });

  it('counts columns after CRLF line ends', () => {
    const text = '{\r\n"a": 1\r\n"b": 2}';
    expect(configError(() => parseJsonc(text, 'c.json')).message).toBe('c.json:3:1: JSON syntax error: comma expected');
  });
});

describe('positionAt', () => {
  it('is 1-based', () => {
    expect(positionAt('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(positionAt('ab\ncd', 2)).toEqual({ line: 1, column: 3 });
    expect(positionAt('ab\ncd', 3)).toEqual({ line: 2, column: 1 });
    expect(positionAt('ab\ncd', 5)).toEqual({ line: 2, column: 3 });
  });
});
