/**
 * The API keys a gateway accepts, from every place a deployment may keep them: `--api-key`
 * (repeatable, as mcpo's single key), `--api-key-file` (one key per line, so a secret mount or a
 * rotated file works without putting keys on the command line, where `ps` shows them), and the
 * `MCPGATE_API_KEYS` variable (comma- or newline-separated, for containers). All of them are
 * accepted at once; a key's value never appears in a message.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { GatewayError } from '../errors.js';

/** The environment variable that lists keys. */
export const API_KEYS_VARIABLE = 'MCPGATE_API_KEYS';

export interface ApiKeySources {
  /** `--api-key` values, in the order given. */
  flags: readonly string[];
  /** `--api-key-file`, as given. */
  file: string | undefined;
  env: NodeJS.ProcessEnv;
}

const invalid = (message: string): GatewayError => new GatewayError('CONFIG_INVALID', message);

/** A bearer token is one run of non-space characters: a key with a space could never be sent. */
function checkKey(key: string, where: string): string {
  if (key === '') throw invalid(`${where}: the key is empty`);
  if (/\s/.test(key)) throw invalid(`${where}: a key cannot contain spaces or tabs`);
  return key;
}

/**
 * Every key from every source, without repeats; empty when none is given (no authentication).
 *
 * @throws GatewayError CONFIG_INVALID naming the source (and the line of the file) that is wrong.
 */
export async function collectApiKeys(sources: ApiKeySources): Promise<string[]> {
  const keys = sources.flags.map((key) => checkKey(key.trim(), '--api-key'));

  if (sources.file !== undefined) {
    let text: string;
    try {
      text = await readFile(sources.file, 'utf8');
    } catch (error) {
      throw invalid(`--api-key-file: cannot read ${sources.file}: ${(error as Error).message}`);
    }
    const before = keys.length;
    text.split(/\r?\n/).forEach((line, index) => {
      const key = line.trim();
      if (key === '' || key.startsWith('#')) return;
      keys.push(checkKey(key, `--api-key-file: ${sources.file}: line ${index + 1}`));
    });
    if (keys.length === before) throw invalid(`--api-key-file: ${sources.file} holds no key (one key per line; lines starting with # are comments)`);
  }

  const listed = sources.env[API_KEYS_VARIABLE];
  if (listed !== undefined && listed.trim() !== '') {
    for (const key of listed.split(/[,\n]/)) {
      if (key.trim() !== '') keys.push(checkKey(key.trim(), API_KEYS_VARIABLE));
    }
  }
  return [...new Set(keys)];
}
