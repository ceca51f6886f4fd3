/**
 * Where an OAuth upstream's credentials live between requests and across restarts.
 *
 * The SDK's `OAuthClientProvider` asks for two kinds of state:
 *
 * - per authorization server (the SDK passes `ctx.issuer`): the registered client and the tokens.
 *   A client id is only meaningful to the server that issued it (RFC 6749 §2.2), so these are
 *   keyed by `{ server, issuer }`;
 * - per upstream, before any issuer is known or with no `ctx` at all: the PKCE code verifier, the
 *   discovery state (both must survive the redirect round trip), and which issuer the last tokens
 *   came from (the transport's per-request `tokens()` read has no `ctx`). These are keyed by
 *   `{ server }` alone.
 *
 * Both kinds are the same {@link StoredOAuthState} shape; a record only uses the fields that fit
 * its key. Keys always include the gateway's server name, so credentials of one upstream are never
 * read for another.
 *
 * {@link FileTokenStore} keeps one JSON file per key under `~/.mcpgate/tokens/` (directory 0700,
 * files 0600, written atomically); {@link MemoryTokenStore} keeps them for the life of the process.
 * Neither logs or reports any stored value: warnings name the file and the problem only.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { OAuthDiscoveryState, StoredOAuthClientInformation, StoredOAuthTokens } from '@modelcontextprotocol/client';
import { isJsonObject } from '../../config/json-path.js';

/** Which record: an upstream's own (`issuer` absent) or its record for one authorization server. */
export interface TokenStoreKey {
  /** The gateway's name of the upstream server (any characters). */
  server: string;
  /** The authorization server's `issuer` identifier (any characters); absent for the upstream's own record. */
  issuer?: string;
}

/** What a provider keeps for an upstream. Every field is optional; absent means "none yet". */
export interface StoredOAuthState {
  /** Per issuer: the client registered with that authorization server. */
  clientInformation?: StoredOAuthClientInformation;
  /** Per issuer: the last tokens it issued. */
  tokens?: StoredOAuthTokens;
  /** Per issuer: when (ms since the epoch) those tokens should be refreshed, a little before they expire. */
  refreshAt?: number;
  /** Per upstream: the PKCE verifier of the authorization in progress. */
  codeVerifier?: string;
  /** Per upstream: what RFC 9728 / RFC 8414 discovery found. */
  discoveryState?: OAuthDiscoveryState;
  /** Per upstream: the issuer whose tokens were saved last (what a request without `ctx` uses). */
  issuer?: string;
  /** Every record: the MCP server URL the state was obtained for (a changed URL must not get old tokens). */
  serverUrl?: string;
}

/**
 * Storage of {@link StoredOAuthState} records. Implementations never throw from `get` for bad
 * data (a corrupt or unreadable record reads as absent, with a warning); writes that fail do throw.
 */
export interface TokenStore {
  /** The record, or `undefined` when there is none (or it could not be read). */
  get(key: TokenStoreKey): Promise<StoredOAuthState | undefined>;
  /** Replaces the record. */
  save(key: TokenStoreKey, state: StoredOAuthState): Promise<void>;
  /**
   * Read-modify-write of one record, serialised with every other write of the same key, so two
   * concurrent updates of different fields both land. Returns what was saved.
   */
  update(key: TokenStoreKey, change: (current: StoredOAuthState | undefined) => StoredOAuthState): Promise<StoredOAuthState>;
  /** Removes the record (nothing happens when there is none). */
  delete(key: TokenStoreKey): Promise<void>;
}

/** Called with a message that names a file and a problem, never a stored value. */
export type TokenStoreWarning = (message: string) => void;

/** `~/.mcpgate/tokens`. */
export function defaultTokenDirectory(): string {
  return join(homedir(), '.mcpgate', 'tokens');
}

/**
 * A readable, safe file name for a key: `<server>-<hash>.json` or `<server>@<issuer>-<hash>.json`.
 * The slugs keep `[a-z0-9._]` (so a directory listing says whose file it is) and are cut at 40
 * characters; the hash of the exact key makes names unique whatever characters the server name
 * or issuer URL hold (`/`, `..`, `:`, spaces, case differences, non-ASCII).
 */
export function tokenFileName(key: TokenStoreKey): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([key.server, key.issuer ?? null]))
    .digest('hex')
    .slice(0, 12);
  const server = slug(key.server) || 'server';
  const issuer = key.issuer === undefined ? '' : `@${slug(key.issuer.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')) || 'issuer'}`;
  return `${server}${issuer}-${hash}.json`;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9._]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
}

/** The file's content: the key is repeated so a file can be checked against the key it is read for. */
interface TokenFile {
  version: 1;
  server: string;
  issuer: string | null;
  state: StoredOAuthState;
}

function describe(error: unknown): string {
  if (isJsonObject(error) && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}

export interface FileTokenStoreOptions {
  /** Default `~/.mcpgate/tokens`. */
  directory?: string;
  /** Told about corrupt, unreadable or too-open files. Default: nothing. */
  onWarning?: TokenStoreWarning;
}

/**
 * One JSON file per key in a directory only the user can enter.
 *
 * - The directory is created 0700 and tightened to 0700 if it exists with a looser mode.
 * - Files are written 0600 to a temporary name in the same directory, synced, then renamed over
 *   the old file: a reader (or a crash) sees the old record or the new one, never half of one,
 *   and a file that was looser than 0600 is replaced by a 0600 one. A file found looser than
 *   0600 on read is tightened at once.
 * - Writes of one file are queued one after the other (in this process), so `update`s compose.
 *   Two gateway processes sharing the directory still never see a torn file; the last rename wins.
 */
export class FileTokenStore implements TokenStore {
  readonly directory: string;
  private readonly onWarning: TokenStoreWarning;
  private directoryReady: Promise<void> | undefined;
  /** The tail of each file's write queue. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(options: FileTokenStoreOptions = {}) {
    this.directory = options.directory ?? defaultTokenDirectory();
    this.onWarning = options.onWarning ?? (() => {});
  }

  /** The file that holds `key`'s record. */
  pathOf(key: TokenStoreKey): string {
    return join(this.directory, tokenFileName(key));
  }

  async get(key: TokenStoreKey): Promise<StoredOAuthState | undefined> {
    const path = this.pathOf(key);
    // Wait for writes already queued, so a read after a save sees it.
    await this.queues.get(path)?.catch(() => {});
    return this.read(key, path);
  }

  save(key: TokenStoreKey, state: StoredOAuthState): Promise<void> {
    const path = this.pathOf(key);
    return this.enqueue(path, () => this.write(key, path, state));
  }

  update(key: TokenStoreKey, change: (current: StoredOAuthState | undefined) => StoredOAuthState): Promise<StoredOAuthState> {
    const path = this.pathOf(key);
    return this.enqueue(path, async () => {
      const next = change(await this.read(key, path));
      await this.write(key, path, next);
      return next;
    });
  }

  delete(key: TokenStoreKey): Promise<void> {
    const path = this.pathOf(key);
    return this.enqueue(path, async () => {
      await unlink(path).catch((error: unknown) => {
        if (describe(error) !== 'ENOENT') throw error;
      });
    });
  }

  private enqueue<T>(path: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(path) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(task);
    const tail = run.catch(() => {});
    this.queues.set(path, tail);
    // Forget an idle queue, so the map holds only files being written.
    void tail.then(() => {
      if (this.queues.get(path) === tail) this.queues.delete(path);
    });
    return run;
  }

  private ensureDirectory(): Promise<void> {
    this.directoryReady ??= (async () => {
      await mkdir(this.directory, { recursive: true, mode: 0o700 });
      const { mode } = await stat(this.directory);
      if ((mode & 0o077) !== 0) await chmod(this.directory, 0o700);
    })().catch((error: unknown) => {
      this.directoryReady = undefined;
      throw error;
    });
    return this.directoryReady;
  }

  private async read(key: TokenStoreKey, path: string): Promise<StoredOAuthState | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (describe(error) !== 'ENOENT') this.onWarning(`OAuth token file ${path} could not be read (${describe(error)}); treating it as empty`);
      return undefined;
    }
    await this.tighten(path);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.onWarning(`OAuth token file ${path} is not valid JSON; treating it as empty`);
      return undefined;
    }
    if (!isJsonObject(parsed) || parsed.version !== 1 || !isJsonObject(parsed.state)) {
      this.onWarning(`OAuth token file ${path} does not hold a token record; treating it as empty`);
      return undefined;
    }
    if (parsed.server !== key.server || parsed.issuer !== (key.issuer ?? null)) {
      this.onWarning(`OAuth token file ${path} belongs to another server or issuer; treating it as empty`);
      return undefined;
    }
    return parsed.state as StoredOAuthState;
  }

  private async tighten(path: string): Promise<void> {
    try {
      const { mode } = await stat(path);
      if ((mode & 0o077) === 0) return;
      await chmod(path, 0o600);
      this.onWarning(`OAuth token file ${path} was readable by others (mode ${(mode & 0o777).toString(8)}); changed to 600`);
    } catch (error) {
      this.onWarning(`OAuth token file ${path} could not be made private (${describe(error)})`);
    }
  }

  private async write(key: TokenStoreKey, path: string, state: StoredOAuthState): Promise<void> {
    const file: TokenFile = { version: 1, server: key.server, issuer: key.issuer ?? null, state };
    const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await this.ensureDirectory();
      // 'wx': never follow or reuse an existing path; mode 0600 from the first byte.
      const handle = await open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => {});
      throw new Error(`could not write OAuth token file ${path}: ${describe(error)}`);
    }
  }
}

/**
 * Records in a map, for `"storage_type": "memory"`: gone when the process exits. Values are
 * copied in and out, so a caller changing an object it got does not change the store.
 */
export class MemoryTokenStore implements TokenStore {
  private readonly records = new Map<string, StoredOAuthState>();

  async get(key: TokenStoreKey): Promise<StoredOAuthState | undefined> {
    const state = this.records.get(memoryKey(key));
    return state === undefined ? undefined : structuredClone(state);
  }

  async save(key: TokenStoreKey, state: StoredOAuthState): Promise<void> {
    this.records.set(memoryKey(key), structuredClone(state));
  }

  // Synchronous between read and write, so updates cannot interleave.
  async update(key: TokenStoreKey, change: (current: StoredOAuthState | undefined) => StoredOAuthState): Promise<StoredOAuthState> {
    const current = this.records.get(memoryKey(key));
    const next = change(current === undefined ? undefined : structuredClone(current));
    this.records.set(memoryKey(key), structuredClone(next));
    return next;
  }

  async delete(key: TokenStoreKey): Promise<void> {
    this.records.delete(memoryKey(key));
  }
}

function memoryKey(key: TokenStoreKey): string {
  return JSON.stringify([key.server, key.issuer ?? null]);
}
