/**
 * Notices when the config file's content changes, for `--hot-reload`.
 *
 * Watching the file itself is not enough: editors and tools replace the file rather than write
 * into it (vim, `sed -i`, most atomic writers: write a temp file, rename it over the old one), and
 * a watch on the old inode hears nothing after the first save. Kubernetes mounts a ConfigMap as
 * `config.json -> ..data/config.json` with `..data` a symlink swapped to a new directory on each
 * update. So this watches directories: the one holding the path (where renames and the `..data`
 * swap happen) and the one holding the symlink's resolved target (where in-place edits of the
 * target happen), re-resolving after every event. Some filesystems send no events at all
 * (network mounts, some container bind mounts), so a slow stat poll runs underneath as a safety net.
 *
 * Every trigger only schedules a look: after a quiet moment the file is read and compared with the
 * content last seen, and `onChange` runs only when it really differs. Events are thus free to be
 * noisy, duplicated or about other files in the same directory.
 *
 * @module
 */
import { type FSWatcher, type StatsListener, readFileSync, realpathSync, statSync, unwatchFile, watch, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export interface ConfigWatcherOptions {
  /** Quiet time after the last event before the file is read (editors write in several steps). Default 200 ms. */
  debounceMs?: number;
  /** Stat-polling interval of the safety net for filesystems without inotify (network mounts, some container bind mounts). Default 2000 ms. */
  pollIntervalMs?: number;
  /** Told about watcher problems (e.g. the directory cannot be watched); default: ignore. */
  onWarning?: (message: string) => void;
}

export interface ConfigWatcher {
  /** Stop watching: no callback runs afterwards, and nothing here keeps the process alive. */
  close(): void;
}

const DEFAULT_DEBOUNCE_MS = 200;
const DEFAULT_POLL_INTERVAL_MS = 2000;

/**
 * A directory with a steady stream of events (a log file written next to the config) would
 * otherwise push the read back for ever: after this many quiet periods, read anyway.
 */
const MAX_WAIT_FACTOR = 10;

/** A directory being watched, and which directory it was (one deleted and recreated under the same name is another). */
interface DirectoryWatch {
  watcher: FSWatcher;
  identity: string;
}

/**
 * Calls `onChange()` whenever the content of the file at `path` changes, compared with the
 * content last seen (read now, at start).
 *
 * A missing or unreadable file never fires and is not remembered as content: a file being
 * replaced is briefly missing, so deleting and recreating it with the same content is no change,
 * and with other content fires once the new content is there. A file missing at start fires when
 * it first appears.
 *
 * An exception thrown by `onChange` (or a rejected promise it returns) is reported through
 * `onWarning` and watching goes on.
 */
export function watchConfigFile(path: string, onChange: () => void, options: ConfigWatcherOptions = {}): ConfigWatcher {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const maxWaitMs = debounceMs * MAX_WAIT_FACTOR;
  const file = resolve(path);

  let closed = false;
  let lastContent: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let burstStartedAt: number | undefined;
  let checking = false;
  let checkAgain = false;
  let warned = false;
  const directories = new Map<string, DirectoryWatch>();

  function warn(message: string): void {
    try {
      options.onWarning?.(message);
    } catch {
      // A failing warning sink must not stop the watcher it reports on.
    }
  }

  /** Only the first watch problem is told: the poll covers for every later one the same way. */
  function warnWatchFailedOnce(directory: string, error: unknown): void {
    if (warned) return;
    warned = true;
    warn(`cannot watch ${directory} for changes to ${file} (${messageOf(error)}); checking it every ${pollIntervalMs} ms instead`);
  }

  function trigger(): void {
    if (closed) return;
    const now = Date.now();
    burstStartedAt ??= now;
    const delay = Math.max(0, Math.min(debounceMs, burstStartedAt + maxWaitMs - now));
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      burstStartedAt = undefined;
      void check();
    }, delay);
    timer.unref();
  }

  async function check(): Promise<void> {
    // One read at a time; a trigger arriving meanwhile asks for one more round.
    if (checking) {
      checkAgain = true;
      return;
    }
    checking = true;
    try {
      do {
        checkAgain = false;
        watchDirectories();
        const content = await readContent(file);
        if (closed) return;
        if (content === undefined || content === lastContent) continue;
        lastContent = content;
        notify();
      } while (checkAgain && !closed);
    } finally {
      checking = false;
    }
  }

  function notify(): void {
    try {
      const result: unknown = onChange();
      if (isPromiseLike(result)) result.then(undefined, (error: unknown) => warn(`config change handler failed: ${messageOf(error)}`));
    } catch (error) {
      warn(`config change handler failed: ${messageOf(error)}`);
    }
  }

  /** Watch the directories that matter now, dropping those that no longer do (a swapped `..data`). */
  function watchDirectories(): void {
    if (closed) return;
    const wanted = new Set([realDirectory(dirname(file))]);
    const target = realPath(file);
    if (target !== undefined) wanted.add(dirname(target));

    for (const [directory, watched] of directories) {
      if (wanted.has(directory) && identityOf(directory) === watched.identity) continue;
      watched.watcher.close();
      directories.delete(directory);
    }
    for (const directory of wanted) if (!directories.has(directory)) watchDirectory(directory);
  }

  function watchDirectory(directory: string): void {
    // Taken before the watch starts: a directory replaced in between then differs at the next look.
    const identity = identityOf(directory) ?? 'missing';
    try {
      // Not persistent: the gateway's listener keeps the process alive, the watcher must not.
      const watcher = watch(directory, { persistent: false }, trigger);
      watcher.on('error', (error) => {
        warnWatchFailedOnce(directory, error);
        watcher.close();
        if (directories.get(directory)?.watcher === watcher) directories.delete(directory);
      });
      directories.set(directory, { watcher, identity });
    } catch (error) {
      warnWatchFailedOnce(directory, error);
    }
  }

  // watchFile stats through symlinks, so it also sees a swapped `..data`; any stat change only triggers a look.
  const poll: StatsListener = () => trigger();
  watchFile(file, { interval: pollIntervalMs, persistent: false }, poll);
  watchDirectories();
  // Read after the watches are in place: a write in between is then either in this content or heard.
  lastContent = readContentSync(file);

  return {
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      unwatchFile(file, poll);
      for (const { watcher } of directories.values()) watcher.close();
      directories.clear();
    },
  };
}

async function readContent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readContentSync(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The directory with symlinks resolved, so a swapped directory link is watched anew; as given when it cannot be resolved. */
function realDirectory(directory: string): string {
  return realPath(directory) ?? directory;
}

/** Device, inode and birth time: inode numbers alone are soon reused after a delete. */
function identityOf(directory: string): string | undefined {
  try {
    const stats = statSync(directory);
    return `${stats.dev}:${stats.ino}:${stats.birthtimeMs}`;
  } catch {
    return undefined;
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
