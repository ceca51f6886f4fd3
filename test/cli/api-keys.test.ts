/**
 * Where API keys come from: `--api-key` (repeatable), `--api-key-file` and `MCPGATE_API_KEYS`,
 * all at once, and the refusals that name the source without showing a key.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectApiKeys } from '../../src/cli/api-keys.js';
import { GatewayError } from '../../src/errors.js';
import { baseEnv, pollReadyz, startCli, stopCleanly, useCliLifecycle } from './run-cli.js';

const temp = useCliLifecycle();

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  expect((error as GatewayError).code).toBe('CONFIG_INVALID');
  return (error as GatewayError).message;
}

describe('collectApiKeys', () => {
  it('takes the flags, the file and the variable together, in that order, without repeats', async () => {
    const file = await temp.write('keys.txt', '# team keys\n\nalpha\n  beta  \r\n# old: gamma\nalpha\n');
    const keys = await collectApiKeys({ flags: ['one', 'two'], file, env: { MCPGATE_API_KEYS: 'three, four\nbeta,' } });
    expect(keys).toEqual(['one', 'two', 'alpha', 'beta', 'three', 'four']);
  });

  it('gives no key when none is set, an empty variable included', async () => {
    expect(await collectApiKeys({ flags: [], file: undefined, env: {} })).toEqual([]);
    expect(await collectApiKeys({ flags: [], file: undefined, env: { MCPGATE_API_KEYS: ' ' } })).toEqual([]);
  });

  it('refuses, naming the source and never the key', async () => {
    expect(await refusal(collectApiKeys({ flags: [' '], file: undefined, env: {} }))).toBe('--api-key: the key is empty');
    expect(await refusal(collectApiKeys({ flags: ['has space'], file: undefined, env: {} }))).toBe('--api-key: a key cannot contain spaces or tabs');

    const missing = join(temp.dir, 'nope.txt');
    expect(await refusal(collectApiKeys({ flags: [], file: missing, env: {} }))).toMatch(new RegExp(`^--api-key-file: cannot read ${missing}: ENOENT`));
    const empty = await temp.write('empty.txt', '# nothing yet\n\n');
    expect(await refusal(collectApiKeys({ flags: [], file: empty, env: {} }))).toBe(`--api-key-file: ${empty} holds no key (one key per line; lines starting with # are comments)`);
    const spaced = await temp.write('spaced.txt', 'good\nsecret with space\n');
    const message = await refusal(collectApiKeys({ flags: [], file: spaced, env: {} }));
    expect(message).toBe(`--api-key-file: ${spaced}: line 2: a key cannot contain spaces or tabs`);
    expect(message).not.toContain('secret');

    expect(await refusal(collectApiKeys({ flags: [], file: undefined, env: { MCPGATE_API_KEYS: 'a,b c' } }))).toBe('MCPGATE_API_KEYS: a key cannot contain spaces or tabs');
  });
});

describe('mcpgate with keys from every source', () => {
  it('accepts each key (flags, file, variable) and refuses any other with 403', async ({ task }) => {
    const file = await temp.write('gateway-keys.txt', '# rotated weekly\nfrom-file\n');
    const cli = startCli(['--port', '0', '--api-key', 'flag-1', '-k', 'flag-2', '--api-key-file', file], {
      owner: task,
      env: baseEnv({ MCPGATE_API_KEYS: 'from-env-1,from-env-2' }),
    });
    const url = await cli.waitForListening();
    await pollReadyz(url);
    const call = (key?: string) =>
      fetch(`${url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ message: 'hi' }),
      });
    for (const key of ['flag-1', 'flag-2', 'from-file', 'from-env-1', 'from-env-2']) expect((await call(key)).status, key).toBe(200);
    expect((await call('rotated-out')).status).toBe(403);
    const missing = await call();
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    // No key's value is ever logged.
    for (const key of ['flag-1', 'flag-2', 'from-file', 'from-env-1']) expect(cli.stderr + cli.stdout).not.toContain(key);
    await stopCleanly(cli);
  });
});
