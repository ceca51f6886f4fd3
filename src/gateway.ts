/**
 * Composes a running gateway from a validated config: one supervised `Upstream` per enabled
 * server, the HTTP app, and the listening server. The CLI and library users both start here.
 *
 * @module
 */
import type { Hono } from 'hono';
import type { GatewayConfig } from './config/types.js';
import { createApp } from './http/app.js';
import { listen, type RunningServer } from './http/server.js';
import { silentLogger, type Logger } from './log/logger.js';
import { Upstream, type UpstreamOptions } from './upstream/upstream.js';
import { packageVersion } from './version.js';

export interface GatewayOptions {
  /** Where logs go; silent by default for library use. */
  logger?: Logger;
  /** Tuning of upstream supervision (reconnect backoff, connect timeout). */
  upstream?: Pick<UpstreamOptions, 'backoff' | 'connectTimeoutMs' | 'stableAfterMs'>;
}

export interface Gateway {
  readonly config: GatewayConfig;
  readonly app: Hono;
  /** Upstreams by server name, in config order. */
  readonly upstreams: ReadonlyMap<string, Upstream>;
  /** Starts every upstream (concurrently, in the background) and listens. Resolves once listening. */
  start(): Promise<RunningServer>;
  /** Resolves when every upstream has finished its first connection attempt. */
  whenSettled(): Promise<void>;
  /** Stops listening, then closes every upstream (children and their process groups included). */
  close(): Promise<void>;
}

export function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Gateway {
  const logger = options.logger ?? silentLogger();
  const upstreams = new Map<string, Upstream>();
  for (const upstreamConfig of config.upstreams) {
    upstreams.set(
      upstreamConfig.name,
      new Upstream(upstreamConfig, {
        ...options.upstream,
        logger,
        clientInfo: { name: 'mcpgate', version: packageVersion },
      }),
    );
  }
  const app = createApp({
    upstreams: () => upstreams.values(),
    disabledUpstreams: () => config.disabledUpstreams,
    logger,
  });

  let server: RunningServer | undefined;
  let closing: Promise<void> | undefined;

  return {
    config,
    app,
    upstreams,
    async start() {
      for (const upstream of upstreams.values()) upstream.start();
      server = await listen(app, config.host, config.port);
      logger.info({ url: server.url, upstreams: [...upstreams.keys()] }, `mcpgate listening on ${server.url}`);
      return server;
    },
    async whenSettled() {
      await Promise.all([...upstreams.values()].map((upstream) => upstream.whenSettled()));
    },
    close() {
      closing ??= (async () => {
        await server?.close();
        await Promise.all([...upstreams.values()].map((upstream) => upstream.close()));
        logger.info('mcpgate stopped');
      })();
      return closing;
    },
  };
}
