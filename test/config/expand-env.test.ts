import { describe, expect, it } from 'vitest';
import { expandEnv, expandEnvInTree, expandString } from '../../src/config/expand-env.js';
import { configError, problemsOf } from './helpers.js';

const env = { HOME: '/home/me', EMPTY: '', TOKEN: 's3cret' };

describe('expandString', () => {
  it.each([
    ['plain text', 'plain text'],
    ['${HOME}', '/home/me'],
    ['${HOME}/bin:${HOME}/.local', '/home/me/bin:/home/me/.local'],
    ['Bearer ${TOKEN}', 'Bearer s3cret'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${HOME:-fallback}', '/home/me'],
    ['${MISSING:-}', ''],
    ['${MISSING:-a:-b}', 'a:-b'],
    ['${EMPTY}', ''],
    ['$${HOME}', '${HOME}'],
    ['$${MISSING}', '${MISSING}'],
    ['a $${X} and ${TOKEN}', 'a ${X} and s3cret'],
    ['cost: $5, $HOME', 'cost: $5, $HOME'],
    ['trailing $', 'trailing $'],
  ])('%j → %j', (input, output) => {
    expect(expandString(input, env)).toEqual({ value: output, problems: [] });
  });

  it('reports an unset variable and keeps the reference', () => {
    expect(expandString('x ${API_TOKEN} y', env)).toEqual({
      value: 'x ${API_TOKEN} y',
      problems: ['environment variable API_TOKEN is not set (write ${API_TOKEN:-value} to give a default)'],
    });
  });

  it('reports bad references', () => {
    expect(expandString('${1X}', env).problems).toEqual([
      'invalid variable reference "${1X}" (write ${NAME} or ${NAME:-default}, or $${ for a literal ${)',
    ]);
    expect(expandString('${}', env).problems).toHaveLength(1);
    expect(expandString('${HOME', env).problems).toEqual(['unterminated "${" (write $${ for a literal ${)']);
  });

  it('does not look at anything but the given environment', () => {
    expect(expandString('${PATH:-none}', {})).toEqual({ value: 'none', problems: [] });
  });
});

describe('expandEnvInTree', () => {
  it('expands string values through objects and arrays, not keys or other types', () => {
    const tree = {
      '${HOME}': 'key stays',
      list: ['${TOKEN}', 1, true, null, { deep: ['${HOME}'] }],
      n: 3,
    };
    const { value, problems } = expandEnvInTree(tree, env, 'config.json');
    expect(problems).toEqual([]);
    expect(value).toEqual({
      '${HOME}': 'key stays',
      list: ['s3cret', 1, true, null, { deep: ['/home/me'] }],
      n: 3,
    });
    // The input is left alone.
    expect(tree.list[0]).toBe('${TOKEN}');
  });

  it('keeps a "__proto__" key as an ordinary key', () => {
    const tree = JSON.parse('{"__proto__": {"polluted": "${TOKEN}"}}') as unknown;
    const { value } = expandEnvInTree(tree, env, 'c.json');
    expect(Object.keys(value as object)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names the JSON path of every unset variable', () => {
    const tree = {
      mcpServers: {
        api: { headers: { Authorization: 'Bearer ${API_TOKEN}' }, args: ['${A}', '${B:-b}'] },
      },
    };
    expect(expandEnvInTree(tree, env, 'config.json').problems).toEqual([
      'config.json: mcpServers.api.headers.Authorization: environment variable API_TOKEN is not set (write ${API_TOKEN:-value} to give a default)',
      'config.json: mcpServers.api.args[0]: environment variable A is not set (write ${A:-value} to give a default)',
    ]);
  });
});

describe('expandEnv', () => {
  it('returns the expanded tree', () => {
    expect(expandEnv({ a: '${TOKEN}' }, env, 'config.json')).toEqual({ a: 's3cret' });
  });

  it('throws one CONFIG_INVALID error listing every problem', () => {
    const error = configError(() => expandEnv({ a: '${X}', b: ['${Y}'] }, {}, 'config.json'));
    expect(problemsOf(error)).toEqual([
      'config.json: a: environment variable X is not set (write ${X:-value} to give a default)',
      'config.json: b[0]: environment variable Y is not set (write ${Y:-value} to give a default)',
    ]);
    expect(error.message).toBe(problemsOf(error).join('\n'));
  });
});
