/**
 * `mcpgate --stdio`: the whole life of the stdio relay in the CLI, with no HTTP listener.
 * Ends when stdin ends (normal), when the server is gone for good, or on SIGINT/SIGTERM; a
 * second signal kills the child's process group at once.
 *
 * A 2025-era client of a 2026-07-28 remote (its first message is `initialize`, and the remote
 * answers `server/discover`) is served by the translating {@link StdioBridge} instead of the relay.
 *
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import type { UpstreamConfig } from '../config/types.js';
import type { HookRunner } from '../hooks/hook-runner.js';
import type { Logger } from '../log/logger.js';
import { ChildProcessRegistry } from '../upstream/child-registry.js';
import { mayServeModernProtocol, speaksModernProtocol, StdioBridge } from './stdio-bridge.js';
import { StdioRelay } from './stdio-relay.js';

export interface StdioModeOptions {
  upstream: UpstreamConfig;
  input: Readable;
  output: Writable;
  logger: Logger;
  /** Settles with the first SIGINT/SIGTERM. */
  stopRequested: Promise<string>;
  /** Settles with the second one. */
  forceRequested: Promise<string>;
  /** Hooks on the client's messages and calls (their `onStart`/`onClose` are the caller's to run). */
  hooks?: HookRunner;
}

export type StdioModeResult =
  /** The client went away, or a signal asked for a stop: a normal end. */
  | { kind: 'stopped' }
  | { kind: 'upstream-gone'; reason: string }
  /** A second signal: the child's process group was killed at once. */
  | { kind: 'forced'; signal: string };

export async function runStdioMode(options: StdioModeOptions): Promise<StdioModeResult> {
  const { logger } = options;
  const children = new ChildProcessRegistry();
  options.input.pause();
  // Only a client of a remote that may speak 2026-07-28 might need translating: read its first message.
  const first = mayServeModernProtocol(options.upstream) ? await firstMessageOf(options.input) : undefined;
  if (first === 'ended') return { kind: 'stopped' };
  const bridged = isInitialize(first) && (await speaksModernProtocol(options.upstream));
  const hooks = options.hooks ? { hooks: options.hooks } : {};
  const relay = bridged
    ? new StdioBridge({ upstream: options.upstream, input: options.input, output: options.output, logger, ...hooks })
    : new StdioRelay({ upstream: options.upstream, input: options.input, output: options.output, logger, children, ...hooks });
  const running = relay.run();
  // Both attached their stdin listeners in run(); the first line, put back, flows to them now.
  options.input.resume();
  const ended = await Promise.race([
    running,
    options.stopRequested.then((signal) => ({ kind: 'signal' as const, signal })),
  ]);
  if (ended.kind === 'signal') logger.info({ signal: ended.signal }, 'stopping (send the signal again to stop at once)');
  else if (ended.kind === 'input-ended') logger.debug('the client closed stdin: stopping');

  const forced = await Promise.race([relay.close().then(() => undefined), options.forceRequested]);
  if (forced !== undefined) {
    children.killAll();
    logger.warn({ signal: forced }, 'stopped at once: the server process group was killed');
    return { kind: 'forced', signal: forced };
  }
  options.input.pause();
  return ended.kind === 'upstream-gone' ? ended : { kind: 'stopped' };
}

function isInitialize(message: unknown): boolean {
  return (message as { method?: unknown } | undefined)?.method === 'initialize';
}

/**
 * The client's first message (undefined when it is not JSON), read off stdin and put back for
 * whoever serves the client; `ended` when stdin ended first.
 */
async function firstMessageOf(input: Readable): Promise<unknown> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    const stop = (): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
    };
    const onData = (chunk: Buffer | string): void => {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'utf8'));
      const all = Buffer.concat(chunks);
      const newline = all.indexOf(10);
      if (newline === -1) return;
      stop();
      input.unshift(all);
      try {
        resolve(JSON.parse(all.subarray(0, newline).toString('utf8')));
      } catch {
        resolve(undefined);
      }
    };
    const onEnd = (): void => {
      stop();
      resolve('ended');
    };
    input.on('data', onData);
    input.once('end', onEnd);
    input.resume();
  });
}
