import { mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConfigWatcher, type ConfigWatcherOptions, watchConfigFile } from '../../src/cli/config-watcher.js';
import { waitFor } from '../helpers/fixtures.js';

/** Fast enough for tests, slow enough that one `writeFileSync` is one burst even on a loaded machine. */
const FAST: ConfigWatcherOptions = { debounceMs: 50, pollIntervalMs: 200 };
/** The poll out of the way, so a test shows the directory watches alone do the job. */
const EVENTS_ONLY: ConfigWatcherOptions = { debounceMs: 50, pollIntervalMs: 60_000 };
/** How long "did not fire" waits: several debounce periods and two polls. */
const QUIET_MS = 400;

let dir: string;
let watchers: ConfigWatcher[];

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'mcpgate-watch-')));
  watchers = [];
});

afterEach(() => {
  for (const watcher of watchers) watcher.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Start a watcher that counts its calls; closed after the test. */
function watchCounting(path: string, options: ConfigWatcherOptions = FAST, onChange: () => void = () => {}) {
  const seen = { count: 0, warnings: [] as string[] };
  const watcher = watchConfigFile(
    path,
    () => {
      seen.count += 1;
      onChange();
    },
    { ...options, onWarning: (message) => seen.warnings.push(message) },
  );
  watchers.push(watcher);
  return { seen, watcher };
}

/** Wait until the callback has run `count` times, then a quiet period to show it runs no more. */
async function expectCalls(seen: { count: number }, count: number): Promise<void> {
  await waitFor(`${count} change(s)`, () => seen.count >= count);
  await sleep(QUIET_MS);
  expect(seen.count).toBe(count);
}

describe('watchConfigFile', () => {
  it('fires once when the file is written in place', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, '{"a":1}');
    const { seen } = watchCounting(file, EVENTS_ONLY);
    writeFileSync(file, '{"a":2}');
    await expectCalls(seen, 1);
    expect(seen.warnings).toEqual([]);
  });

  it('fires once for several quick writes', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, '{"a":0}');
    // A longer quiet time than the pauses between writes, even when the machine is busy.
    const { seen } = watchCounting(file, { debounceMs: 300, pollIntervalMs: 60_000 });
    for (let i = 1; i <= 5; i++) {
      writeFileSync(file, `{"a":${i}}`);
      await sleep(5);
    }
    await expectCalls(seen, 1);
  });

  it('fires when the file is replaced by a rename (vim, sed -i)', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, '{"a":1}');
    const { seen } = watchCounting(file, EVENTS_ONLY);
    writeFileSync(join(dir, '.config.json.tmp'), '{"a":2}');
    renameSync(join(dir, '.config.json.tmp'), file);
    await expectCalls(seen, 1);
    // The watch follows the name, not the replaced inode: the next save is heard too.
    writeFileSync(join(dir, '.config.json.tmp'), '{"a":3}');
    renameSync(join(dir, '.config.json.tmp'), file);
    await expectCalls(seen, 2);
  });

  it('does not fire when the same content is written again', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, '{"a":1}');
    const { seen } = watchCounting(file);
    writeFileSync(file, '{"a":1}');
    writeFileSync(join(dir, '.tmp'), '{"a":1}');
    renameSync(join(dir, '.tmp'), file);
    await sleep(QUIET_MS);
    expect(seen.count).toBe(0);
    writeFileSync(file, '{"a":2}');
    await expectCalls(seen, 1);
  });

  it('does not fire when the file is deleted, and fires when it comes back with new content', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, '{"a":1}');
    const { seen } = watchCounting(file);
    unlinkSync(file);
    await sleep(QUIET_MS);
    expect(seen.count).toBe(0);
    writeFileSync(file, '{"a":2}');
    await expectCalls(seen, 1);
  });

  it('does not fire when the file is deleted and recreated as it was', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, '{"a":1}');
    const { seen } = watchCounting(file);
    unlinkSync(file);
    await sleep(QUIET_MS);
    writeFileSync(file, '{"a":1}');
    await sleep(QUIET_MS);
    expect(seen.count).toBe(0);
  });

  it('fires when a file missing at start appears', async () => {
    const file = join(dir, 'config.json');
    const { seen } = watchCounting(file, EVENTS_ONLY);
    writeFileSync(file, '{}');
    await expectCalls(seen, 1);
  });

  it('does not let a busy directory hold the look back for ever', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, '{"a":1}');
    const { seen } = watchCounting(file, EVENTS_ONLY);
    // A log file next to the config, written more often than the quiet time.
    let lines = 0;
    const busy = setInterval(() => writeFileSync(join(dir, 'gateway.log'), `${++lines}\n`, { flag: 'a' }), 10);
    try {
      writeFileSync(file, '{"a":2}');
      await waitFor('the change heard while the log is still written', () => seen.count === 1, 5_000);
    } finally {
      clearInterval(busy);
    }
  });

  it('follows a Kubernetes ConfigMap update (double symlink swapped atomically)', async () => {
    // config.json -> ..data/config.json, ..data -> ..2024_01, as the kubelet lays a ConfigMap out.
    const mount = (version: string, content: string) => {
      mkdirSync(join(dir, version));
      writeFileSync(join(dir, version, 'config.json'), content);
      symlinkSync(version, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    };
    mount('..2024_01', '{"v":1}');
    symlinkSync('..data/config.json', join(dir, 'config.json'));
    const { seen } = watchCounting(join(dir, 'config.json'), EVENTS_ONLY);

    mount('..2024_02', '{"v":2}');
    rmSync(join(dir, '..2024_01'), { recursive: true });
    await expectCalls(seen, 1);

    mount('..2024_03', '{"v":3}');
    rmSync(join(dir, '..2024_02'), { recursive: true });
    await expectCalls(seen, 2);

    // The target's directory is watched anew after each swap: an in-place edit there is heard.
    writeFileSync(join(dir, '..2024_03', 'config.json'), '{"v":4}');
    await expectCalls(seen, 3);
  });

  it('hears in-place edits of a symlink target in another directory', async () => {
    mkdirSync(join(dir, 'real'));
    mkdirSync(join(dir, 'link'));
    writeFileSync(join(dir, 'real', 'gateway.json'), '{"a":1}');
    symlinkSync(join(dir, 'real', 'gateway.json'), join(dir, 'link', 'config.json'));
    const { seen } = watchCounting(join(dir, 'link', 'config.json'), EVENTS_ONLY);
    writeFileSync(join(dir, 'real', 'gateway.json'), '{"a":2}');
    await expectCalls(seen, 1);
  });

  it('warns once and falls back on the poll when the directory cannot be watched', async () => {
    const missing = join(dir, 'not-yet');
    const file = join(missing, 'config.json');
    const { seen } = watchCounting(file);
    expect(seen.warnings).toEqual([expect.stringContaining(`cannot watch ${missing}`)]);
    await sleep(QUIET_MS);
    mkdirSync(missing);
    writeFileSync(file, '{"a":1}');
    await expectCalls(seen, 1);
    // Watched properly from the next look on; either way, no second warning.
    writeFileSync(file, '{"a":2}');
    await expectCalls(seen, 2);
    expect(seen.warnings).toHaveLength(1);
  });

  it('stops calling back once closed', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, '{"a":1}');
    const { seen, watcher } = watchCounting(file);
    writeFileSync(file, '{"a":2}');
    await expectCalls(seen, 1);
    watcher.close();
    writeFileSync(file, '{"a":3}');
    await sleep(QUIET_MS);
    expect(seen.count).toBe(1);
    watcher.close(); // Twice is harmless.
  });

  it('closing during the quiet time cancels the pending look', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, '{"a":1}');
    const { seen, watcher } = watchCounting(file, { debounceMs: 200, pollIntervalMs: 200 });
    writeFileSync(file, '{"a":2}');
    watcher.close();
    await sleep(QUIET_MS);
    expect(seen.count).toBe(0);
  });

  it('keeps watching after onChange throws or rejects', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, '{"a":1}');
    let calls = 0;
    const warnings: string[] = [];
    watchers.push(
      watchConfigFile(
        file,
        () => {
          calls += 1;
          if (calls === 1) throw new Error('reload failed');
          if (calls === 2) return Promise.reject(new Error('reload rejected')) as unknown as void;
        },
        { ...FAST, onWarning: (message) => warnings.push(message) },
      ),
    );
    writeFileSync(file, '{"a":2}');
    await waitFor('the first call', () => calls === 1 && warnings.length === 1);
    expect(warnings[0]).toContain('reload failed');
    writeFileSync(file, '{"a":3}');
    await waitFor('the second call', () => calls === 2 && warnings.length === 2);
    expect(warnings[1]).toContain('reload rejected');
    writeFileSync(file, '{"a":4}');
    await waitFor('the third call', () => calls === 3);
    await sleep(QUIET_MS);
    expect(calls).toBe(3);
    expect(warnings).toHaveLength(2);
  });
});
