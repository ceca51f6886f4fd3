/**
 * The upstream end of the stdio relay: a bare transport (no SDK `Client`) to the one server,
 * so that every JSON-RPC message passes through unchanged, ids and unknown fields included.
 *
 * @module
 */
import type { Transport } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ChildProcessRegistry } from '../upstream/child-registry.js';
import { httpTransport, stdioTransport, type HttpAuthOptions } from '../upstream/connect.js';

/** How the relay reaches the server; `http-auto` is resolved to one of the HTTP kinds on the first POST. */
export type RelayTransportKind = 'stdio' | 'sse' | 'streamable-http';

export interface RelayTransport {
  kind: RelayTransportKind;
  transport: Transport;
  /** Why a child process stopped (stdio only), once it has. */
  exitReason(): string | undefined;
}

/**
 * Builds (but does not start) a transport of `kind` for `config`, with an OAuth server's
 * credentials (`auth`). Callbacks must be installed before `start()`, or messages are lost.
 */
export function createRelayTransport(
  config: UpstreamConfig,
  kind: RelayTransportKind,
  logger: Logger,
  children?: ChildProcessRegistry,
  auth?: HttpAuthOptions,
): RelayTransport {
  if (config.transport === 'stdio') {
    const transport = stdioTransport(config, logger, children);
    return { kind: 'stdio', transport, exitReason: () => transport.exitReason };
  }
  if (kind === 'stdio') throw new Error(`cannot reach ${config.url} over stdio`);
  return { kind, transport: httpTransport(config, kind, auth), exitReason: () => undefined };
}

/** The kind to try first: the configured one, or streamable HTTP for a URL without a type. */
export function initialKind(config: UpstreamConfig): RelayTransportKind {
  return config.transport === 'http-auto' ? 'streamable-http' : config.transport;
}
