/**
 * Composes a running gateway from a validated config: one supervised `Upstream` per enabled
 * server, the HTTP app, and the listening server. The CLI and library users both start here.
 *
 * @module
 */
import type { Hono } from 'hono';
import { Bridge } from './bridge/bridge.js';
import { httpSettings } from './config/http-defaults.js';
import type { GatewayConfig } from './config/types.js';
import { builtInHooks, configuredHooks } from './hooks/configured-hooks.js';
import { HookRunner } from './hooks/hook-runner.js';
import type { Hook } from './hooks/types.js';
import { createApp } from './http/app.js';
import { listen, type RunningServer } from './http/server.js';
import { silentLogger, type Logger } from './log/logger.js';
import { ChildProcessRegistry } from './upstream/child-registry.js';
import { Upstream, type UpstreamOptions } from './upstream/upstream.js';
import { packageVersion } from './version.js';

export interface GatewayOptions {
  /** Where logs go; silent by default for library use. */
  logger?: Logger;
  /** Tuning of upstream supervision (reconnect backoff, connect timeout). */
  upstream?: Pick<UpstreamOptions, 'backoff' | 'connectTimeoutMs' | 'stableAfterMs'>;
  /** Hooks on every message and call, run after those of `config.hookModules`, in this order. */
  hooks?: readonly Hook[];
}

export interface Gateway {
  readonly config: GatewayConfig;
  readonly app: Hono;
  /** Upstreams by server name, in config order. */
  readonly upstreams: ReadonlyMap<string, Upstream>;
  /**
   * Loads the hook modules, listens, then starts every upstream (concurrently, in the
   * background) and calls the hooks' `onStart`. Resolves once listening; rejects (having started
   * no child) when a hook module cannot be loaded (`CONFIG_INVALID`) or the address cannot be bound.
   */
  start(): Promise<RunningServer>;
  /** After `start()`: resolves when every upstream has finished its first connection attempt. */
  whenSettled(): Promise<void>;
  /** Stops listening, then closes every upstream (children and their process groups included), then calls the hooks' `onClose`. */
  close(): Promise<void>;
  /** Last resort, synchronous: SIGKILLs every child process group (a second Ctrl-C). */
  kill(): void;
}

export function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Gateway {
  const logger = options.logger ?? silentLogger();
  const children = new ChildProcessRegistry();
  // The modules' hooks join when `start()` has loaded them.
  const hooks = new HookRunner(logger, [...builtInHooks(config), ...(options.hooks ?? [])]);
  const upstreams = new Map<string, Upstream>();
  for (const upstreamConfig of config.upstreams) {
    upstreams.set(
      upstreamConfig.name,
      new Upstream(upstreamConfig, {
        ...options.upstream,
        logger,
        children,
        clientInfo: { name: 'mcpgate', version: packageVersion },
        allowTool: (server, tool) => hooks.allowsTool(server, tool),
      }),
    );
  }
  const settings = httpSettings(config);
  const bridge = new Bridge({ upstreams, settings: settings.mcp, logger, children, hooks });
  const app = createApp({
    config,
    settings,
    upstreams: () => upstreams.values(),
    upstream: (name) => upstreams.get(name),
    disabledUpstreams: () => config.disabledUpstreams,
    bridge,
    singleServer: config.mode === 'single' ? config.upstreams[0]?.name : undefined,
    logger,
    hooks,
  });

  let hooksLoaded: Promise<void> | undefined;
  let listening: Promise<RunningServer> | undefined;
  let closing: Promise<void> | undefined;

  return {
    config,
    app,
    upstreams,
    async start() {
      if (closing) throw new Error('the gateway is closed');
      // Hook modules before anything else: a broken one must stop the start, not half of it.
      hooksLoaded ??= config.hookModules?.length ? configuredHooks(config, options.hooks).then((all) => hooks.use(all)) : Promise.resolve();
      await hooksLoaded;
      // Bind first: a taken port should fail fast, before any child is spawned.
      listening ??= listen(app, config.host, config.port);
      const server = await listening;
      if (closing) throw new Error('the gateway was closed while starting');
      logger.info({ url: server.url, upstreams: [...upstreams.keys()] }, `mcpgate listening on ${server.url}`);
      logger.info(`API docs at ${server.url}${settings.rest.pathPrefix}/docs`);
      if (settings.cors.allowOrigins.length === 0) {
        logger.info(
          'CORS is off, so web pages on other origins cannot call these tools. To let Open WebUI call them from the browser ' +
            '(user-level tool servers), pass --cors-allow-origins with the address you open Open WebUI at, e.g. --cors-allow-origins http://localhost:3000',
        );
      }
      for (const upstream of upstreams.values()) upstream.start();
      await hooks.start({ url: server.url, servers: [...upstreams.keys()] });
      return server;
    },
    async whenSettled() {
      await Promise.all([...upstreams.values()].map((upstream) => upstream.whenSettled()));
    },
    close() {
      closing ??= (async () => {
        const server = await listening?.catch(() => undefined);
        // Ending the sessions ends their open streams, so the listener can finish closing.
        await Promise.all([server?.close(), bridge.close()]);
        await Promise.all([...upstreams.values()].map((upstream) => upstream.close()));
        await hooks.close();
        logger.info('mcpgate stopped');
      })();
      return closing;
    },
    kill() {
      children.killAll();
    },
  };
}
