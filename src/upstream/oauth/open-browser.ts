/**
 * Opens an authorization URL in the user's browser (`"use_loopback": true`), best effort: the
 * URL is also shown in `/readyz` and the log, so a machine without a browser (a server, a
 * container) loses nothing when opening fails; the failure is only reported.
 *
 * The opener is spawned detached with its output ignored and unreferenced, so it never holds
 * the gateway's event loop or its terminal, and it is never given a shell: the URL is one argv
 * entry. On Windows that rules out `cmd /c start`, because cmd re-parses its command line and
 * would cut the URL at the first `&` (every authorization URL has several); `rundll32
 * url.dll,FileProtocolHandler` hands the URL to the default browser without a shell.
 *
 * @module
 */
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface OpenBrowserOptions {
  /** Told why the browser could not be opened. Default: nothing. */
  onError?: (error: Error) => void;
  /** Default `process.platform` (tests pass another). */
  platform?: NodeJS.Platform;
  /** Default `child_process.spawn` (tests pass a fake). */
  spawn?: (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;
}

/** The command that opens `url` on `platform`. */
export function browserCommand(url: string, platform: NodeJS.Platform): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [url] };
  if (platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] };
  return { command: 'xdg-open', args: [url] };
}

/**
 * Asks the desktop to open `url`. Only `http:` and `https:` URLs are opened (an authorization
 * endpoint comes from a server's metadata: it must not make the gateway run a `file:` or custom
 * scheme handler). Never throws; every failure goes to `onError`.
 */
export function openBrowser(url: string | URL, options: OpenBrowserOptions = {}): void {
  const report = (error: Error): void => {
    try {
      options.onError?.(error);
    } catch {
      // A failing reporter must not turn a best-effort action into a crash.
    }
  };
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    report(new Error('cannot open the browser: the authorization URL is not a valid URL'));
    return;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    report(new Error(`cannot open the browser: only http and https URLs are opened, not ${target.protocol}`));
    return;
  }
  const { command, args } = browserCommand(target.href, options.platform ?? process.platform);
  try {
    const child = (options.spawn ?? nodeSpawn)(command, args, { detached: true, stdio: 'ignore', windowsHide: true });
    child.once('error', (error: Error) => report(new Error(`cannot open the browser with ${command}: ${error.message}`, { cause: error })));
    child.once('exit', (code: number | null) => {
      if (code !== null && code !== 0) report(new Error(`cannot open the browser: ${command} exited with code ${code}`));
    });
    child.unref();
  } catch (error) {
    report(new Error(`cannot open the browser with ${command}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
  }
}
