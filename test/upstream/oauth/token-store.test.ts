/**
 * The token store keeps OAuth credentials private (0700 directory, 0600 files, even when a file
 * was left looser), never half-written (temporary file + rename), apart per server and per
 * issuer, and never throws a bad file into the provider: it reads as empty, with a warning that
 * names the file and not its content. Real files in a temporary directory.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTokenStore, MemoryTokenStore, tokenFileName, type StoredOAuthState, type TokenStore } from '../../../src/upstream/oauth/token-store.js';

let root: string;
let warnings: string[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mcpgate-tokens-'));
  warnings = [];
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function fileStore(directory = join(root, '.mcpgate', 'tokens')): FileTokenStore {
  return new FileTokenStore({ directory, onWarning: (message) => warnings.push(message) });
}

const tokens = (access: string): StoredOAuthState['tokens'] => ({ access_token: access, token_type: 'Bearer', refresh_token: `rt-${access}`, issuer: 'https://auth.example.com' });

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('FileTokenStore', () => {
  it('creates the directory 0700 and files 0600, and reads back what it saved', async () => {
    const store = fileStore();
    const key = { server: 'github', issuer: 'https://auth.example.com' };
    expect(await store.get(key)).toBeUndefined();
    await store.save(key, { tokens: tokens('a1'), clientInformation: { client_id: 'c1', issuer: 'https://auth.example.com' } });

    expect(await modeOf(store.directory)).toBe(0o700);
    expect(await modeOf(join(root, '.mcpgate'))).toBe(0o700);
    expect(await modeOf(store.pathOf(key))).toBe(0o600);
    expect(await store.get(key)).toEqual({ tokens: tokens('a1'), clientInformation: { client_id: 'c1', issuer: 'https://auth.example.com' } });
    // A fresh store on the same directory (a restart) reads the same record.
    expect(await fileStore().get(key)).toMatchObject({ tokens: { access_token: 'a1' } });
    expect(warnings).toEqual([]);
  });

  it('tightens an existing directory and a file left readable by others', async () => {
    const directory = join(root, 'tokens');
    await mkdir(directory, { mode: 0o755 });
    await chmod(directory, 0o755);
    const store = fileStore(directory);
    const key = { server: 'srv' };
    await store.save(key, { codeVerifier: 'v1' });
    expect(await modeOf(directory)).toBe(0o700);

    await chmod(store.pathOf(key), 0o644);
    expect(await store.get(key)).toEqual({ codeVerifier: 'v1' });
    expect(await modeOf(store.pathOf(key))).toBe(0o600);
    expect(warnings).toEqual([expect.stringContaining('was readable by others (mode 644); changed to 600')]);

    // Replacing a loose file also leaves a 0600 one (the rename brings the temporary file's mode).
    await chmod(store.pathOf(key), 0o666);
    await store.save(key, { codeVerifier: 'v2' });
    expect(await modeOf(store.pathOf(key))).toBe(0o600);
  });

  it('writes through a temporary file and rename: no partial file, no temporary file left', async () => {
    const store = fileStore();
    const key = { server: 'srv', issuer: 'https://as.example' };
    await store.save(key, { tokens: tokens('first') });
    const big = 'x'.repeat(256 * 1024);
    // While a large write is under way, every read sees a whole record: the old one or the new one.
    const writing = store.save(key, { tokens: tokens(big) });
    const seen: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const text = await readFile(store.pathOf(key), 'utf8');
      seen.push((JSON.parse(text) as { state: StoredOAuthState }).state.tokens!.access_token);
    }
    await writing;
    expect(seen.every((access) => access === 'first' || access === big)).toBe(true);
    expect((await store.get(key))?.tokens?.access_token).toBe(big);
    expect(await readdir(store.directory)).toEqual([tokenFileName(key)]);
    const file = JSON.parse(await readFile(store.pathOf(key), 'utf8')) as Record<string, unknown>;
    expect(file).toMatchObject({ version: 1, server: 'srv', issuer: 'https://as.example' });
  });

  it('serialises concurrent writes of one file: every update lands, the file always parses', async () => {
    const store = fileStore();
    const key = { server: 'srv' };
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.update(key, (current) => ({ ...current, codeVerifier: `${current?.codeVerifier ?? ''}${i % 10}` })),
      ),
    );
    expect((await store.get(key))?.codeVerifier).toHaveLength(40);
    // Different fields updated at once by different writers are both kept.
    await Promise.all([
      store.update(key, (current) => ({ ...current, discoveryState: { authorizationServerUrl: 'https://as.example' } })),
      store.update(key, (current) => ({ ...current, issuer: 'https://as.example' })),
      store.save({ server: 'other' }, { codeVerifier: 'o' }),
    ]);
    expect(await store.get(key)).toMatchObject({ issuer: 'https://as.example', discoveryState: { authorizationServerUrl: 'https://as.example' } });
    expect((await readdir(store.directory)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps one file per server and issuer, with a safe readable name whatever the characters', async () => {
    const store = fileStore();
    const keys = [
      { server: 'github' },
      { server: 'github', issuer: 'https://github.com/login/oauth' },
      { server: 'github', issuer: 'https://auth.example.com' },
      { server: 'GitHub', issuer: 'https://auth.example.com' },
      { server: '../../etc/passwd', issuer: 'https://evil.example/../x' },
      { server: 'my server/π ✓', issuer: 'http://127.0.0.1:8080/tenant a' },
      { server: '' },
    ];
    for (const [index, key] of keys.entries()) await store.save(key, { codeVerifier: `v${index}` });
    for (const [index, key] of keys.entries()) expect((await store.get(key))?.codeVerifier).toBe(`v${index}`);

    const names = await readdir(store.directory);
    expect(new Set(names).size).toBe(keys.length);
    for (const name of names) expect(name).toMatch(/^[a-z0-9._@-]+-[0-9a-f]{12}\.json$/);
    expect(tokenFileName({ server: 'github', issuer: 'https://auth.example.com' })).toMatch(/^github@auth\.example\.com-[0-9a-f]{12}\.json$/);
    expect(tokenFileName({ server: 'github' })).toMatch(/^github-[0-9a-f]{12}\.json$/);
    expect(tokenFileName({ server: '../../etc/passwd' })).toMatch(/^etc-passwd-[0-9a-f]{12}\.json$/);
    expect(tokenFileName({ server: 'x'.repeat(300), issuer: `https://${'y'.repeat(300)}` }).length).toBeLessThan(110);

    // Per issuer: a server's tokens for one authorization server are not those of another.
    await store.delete({ server: 'github', issuer: 'https://auth.example.com' });
    expect(await store.get({ server: 'github', issuer: 'https://auth.example.com' })).toBeUndefined();
    expect((await store.get({ server: 'github', issuer: 'https://github.com/login/oauth' }))?.codeVerifier).toBe('v1');
    await store.delete({ server: 'nobody' });
  });

  it('reads a corrupt, foreign or unreadable file as empty, with a warning that holds no secret', async () => {
    const store = fileStore();
    const key = { server: 'srv', issuer: 'https://as.example' };
    await store.save(key, { tokens: tokens('secret-access') });
    const path = store.pathOf(key);

    await writeFile(path, '{"version":1,"server":"srv","issuer":"https://as.example","state":{"tokens":{"access_token":"secret-access"', { mode: 0o600 });
    expect(await store.get(key)).toBeUndefined();
    await writeFile(path, JSON.stringify({ hello: 'secret-access' }), { mode: 0o600 });
    expect(await store.get(key)).toBeUndefined();
    // A file renamed onto another key's name is not that key's record.
    await writeFile(path, JSON.stringify({ version: 1, server: 'another', issuer: 'https://as.example', state: { tokens: tokens('secret-access') } }), { mode: 0o600 });
    expect(await store.get(key)).toBeUndefined();
    await rm(path);
    await mkdir(path);
    expect(await store.get(key)).toBeUndefined();

    expect(warnings).toEqual([
      expect.stringContaining('is not valid JSON; treating it as empty'),
      expect.stringContaining('does not hold a token record'),
      expect.stringContaining('belongs to another server or issuer'),
      expect.stringContaining('could not be read (EISDIR)'),
    ]);
    for (const warning of warnings) {
      expect(warning).toContain(path);
      expect(warning).not.toContain('secret-access');
    }

    // A write that cannot happen throws, naming the file; the store stays usable.
    await expect(store.save(key, { tokens: tokens('a') })).rejects.toThrow(`could not write OAuth token file ${path}`);
    await rm(path, { recursive: true });
    await store.save(key, { tokens: tokens('again') });
    expect((await store.get(key))?.tokens?.access_token).toBe('again');
  });
});

describe('MemoryTokenStore', () => {
  it('keeps records per server and issuer, as copies, until deleted', async () => {
    const store: TokenStore = new MemoryTokenStore();
    const a = { server: 'a', issuer: 'https://as.example' };
    const state: StoredOAuthState = { tokens: tokens('t1') };
    await store.save(a, state);
    state.tokens!.access_token = 'changed by the caller';
    expect((await store.get(a))?.tokens?.access_token).toBe('t1');
    (await store.get(a))!.tokens!.access_token = 'changed again';
    expect((await store.get(a))?.tokens?.access_token).toBe('t1');

    expect(await store.get({ server: 'a' })).toBeUndefined();
    expect(await store.get({ server: 'b', issuer: 'https://as.example' })).toBeUndefined();
    expect(await store.get({ server: 'a', issuer: 'https://other.example' })).toBeUndefined();

    await Promise.all(Array.from({ length: 10 }, () => store.update({ server: 'a' }, (current) => ({ codeVerifier: `${current?.codeVerifier ?? ''}x` }))));
    expect((await store.get({ server: 'a' }))?.codeVerifier).toBe('xxxxxxxxxx');
    await store.delete(a);
    expect(await store.get(a)).toBeUndefined();
  });
});
