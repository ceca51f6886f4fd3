/**
 * `mcpgate --stdio`: the whole life of the stdio relay in the CLI, with no HTTP listener.
 * Ends when stdin ends (normal), when the server is gone for good, or on SIGINT/SIGTERM; a
 * second signal kills the child's process group at once.
 *
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import type { UpstreamConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { ChildProcessRegistry } from '../upstream/child-registry.js';
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
  const relay = new StdioRelay({ upstream: options.upstream, input: options.input, output: options.output, logger, children });
  const ended = await Promise.race([
    relay.run(),
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
