/**
 * Opening the browser picks the platform's opener, passes the URL as one argv entry (never
 * through a shell), detaches and forgets the child, refuses non-web URLs, and reports every
 * failure instead of throwing. No browser is started: the spawn function is a recording fake.
 */
import { EventEmitter } from 'node:events';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { browserCommand, openBrowser } from '../../../src/upstream/oauth/open-browser.js';

interface Spawned {
  command: string;
  args: readonly string[];
  options: SpawnOptions;
  child: EventEmitter & { unrefCalled: boolean };
}

function fakeSpawn(): { spawned: Spawned[]; spawn: (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess } {
  const spawned: Spawned[] = [];
  return {
    spawned,
    spawn: (command, args, options) => {
      const child = Object.assign(new EventEmitter(), {
        unrefCalled: false,
        unref() {
          child.unrefCalled = true;
        },
      });
      spawned.push({ command, args, options, child });
      return child as unknown as ChildProcess;
    },
  };
}

const url = 'https://auth.example.com/authorize?response_type=code&client_id=c&state=s&redirect_uri=http%3A%2F%2F127.0.0.1%3A3030%2Fcb';

describe('openBrowser', () => {
  it('uses xdg-open, open, or rundll32 (no cmd: it would cut the URL at "&")', () => {
    expect(browserCommand(url, 'linux')).toEqual({ command: 'xdg-open', args: [url] });
    expect(browserCommand(url, 'freebsd')).toEqual({ command: 'xdg-open', args: [url] });
    expect(browserCommand(url, 'darwin')).toEqual({ command: 'open', args: [url] });
    expect(browserCommand(url, 'win32')).toEqual({ command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] });
  });

  it('spawns detached, ignoring output, and unreferences the child', () => {
    const { spawned, spawn } = fakeSpawn();
    const errors: Error[] = [];
    openBrowser(new URL(url), { platform: 'linux', spawn, onError: (error) => errors.push(error) });
    expect(spawned).toHaveLength(1);
    expect(spawned[0]).toMatchObject({ command: 'xdg-open', args: [url], options: { detached: true, stdio: 'ignore' } });
    expect(spawned[0]!.options.shell).toBeUndefined();
    expect(spawned[0]!.child.unrefCalled).toBe(true);
    spawned[0]!.child.emit('exit', 0, null);
    expect(errors).toEqual([]);
  });

  it('reports a missing opener, a failing one, and a spawn that throws, without throwing', () => {
    const { spawned, spawn } = fakeSpawn();
    const errors: Error[] = [];
    const onError = (error: Error): void => {
      errors.push(error);
    };
    openBrowser(url, { platform: 'linux', spawn, onError });
    spawned[0]!.child.emit('error', Object.assign(new Error('spawn xdg-open ENOENT'), { code: 'ENOENT' }));
    openBrowser(url, { platform: 'darwin', spawn, onError });
    spawned[1]!.child.emit('exit', 1, null);
    openBrowser(url, {
      platform: 'linux',
      spawn: () => {
        throw new Error('EAGAIN');
      },
      onError,
    });
    expect(errors.map((error) => error.message)).toEqual([
      'cannot open the browser with xdg-open: spawn xdg-open ENOENT',
      'cannot open the browser: open exited with code 1',
      'cannot open the browser with xdg-open: EAGAIN',
    ]);
    // A reporter that throws is not the caller's problem either.
    expect(() => openBrowser('not a url', { spawn, onError: () => { throw new Error('reporter'); } })).not.toThrow();
  });

  it('opens only http and https URLs', () => {
    const { spawned, spawn } = fakeSpawn();
    const errors: string[] = [];
    for (const target of ['file:///etc/passwd', 'javascript:alert(1)', 'ms-settings:x', 'not a url']) openBrowser(target, { spawn, onError: (error) => errors.push(error.message) });
    expect(spawned).toEqual([]);
    expect(errors).toEqual([
      'cannot open the browser: only http and https URLs are opened, not file:',
      'cannot open the browser: only http and https URLs are opened, not javascript:',
      'cannot open the browser: only http and https URLs are opened, not ms-settings:',
      'cannot open the browser: the authorization URL is not a valid URL',
    ]);
  });
});
