/**
 * Composes a running gateway from a validated config: one supervised `Upstream` per enabled
 * server, the HTTP app, and the listening server. The CLI and library users both start here.
 *
 * `reload()` applies a new config server by server: added servers start, removed ones stop,
 * changed ones are replaced, and unchanged ones are not touched. The frontends read the one live
 * set of upstreams, so routes, documents and the aggregated endpoint follow it. A changed server
 * keeps serving until its replacement has made its first connection attempt, and what is in
 * flight on a server taken out is let finish (up to `reloadDrainMs`) before it stops.
 *
 * @module
 */
import type { Hono } from 'hono';
import { Bridge } from './bridge/bridge.js';
import type { SessionEntry } from './bridge/session-table.js';
import { configInForce, diffConfigs, type ConfigDiff } from './config/config-diff.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, httpSettings } from './config/http-defaults.js';
import type { GatewayConfig, UpstreamConfig } from './config/types.js';
import { GatewayError } from './errors.js';
import { ConfiguredHooks } from './hooks/configured-hooks.js';
import { HookRunner } from './hooks/hook-runner.js';
import type { Hook } from './hooks/types.js';
import { createApp } from './http/app.js';
import { listen, type RunningServer } from './http/server.js';
import { silentLogger, type Logger } from './log/logger.js';
import { GatewayMetrics } from './metrics/gateway-metrics.js';
import { ChildProcessRegistry } from './upstream/child-registry.js';
import { createOAuthEnvironment, type OAuthEnvironment } from './upstream/oauth/upstream-authorization.js';
import { Upstream, type UpstreamOptions } from './upstream/upstream.js';
import { UpstreamSet } from './upstream/upstream-set.js';
import { packageVersion } from './version.js';

export interface GatewayOptions {
  /** Where logs go; silent by default for library use. */
  logger?: Logger;
  /** Tuning of upstream supervision (reconnect backoff, connect timeout). */
  upstream?: Pick<UpstreamOptions, 'backoff' | 'connectTimeoutMs' | 'stableAfterMs'>;
  /** Hooks on every message and call, run after those of `config.hookModules`, in this order. */
  hooks?: readonly Hook[];
  /**
   * On a reload, how long calls and sessions of a server taken out (removed or changed) may run
   * on before it is stopped and they fail; default 30 s.
   */
  reloadDrainMs?: number;
  /**
   * How long a 2026-07-28 call whose server asked the client for input (sampling, elicitation)
   * waits for the client's next round before it is cancelled upstream; default 10 minutes.
   */
  parkTimeoutMs?: number;
  /**
   * How often the legacy sessions' streams (`/mcp` answers and GET streams, `/sse`) carry a
   * keep-alive comment, and how long a `/mcp` answer may stay silent before it becomes a
   * stream that carries them; default 15 s.
   */
  streamKeepAliveMs?: number;
  /**
   * For OAuth servers: where `"storage_type": "file"` keeps tokens (default `~/.mcpgate/tokens`),
   * and how a browser is opened for `"use_loopback": true` (default the desktop's opener).
   */
  oauth?: Pick<OAuthEnvironment, 'tokenDirectory' | 'openBrowser'>;
}

/** What a reload did, by server name. */
export interface ReloadReport {
  added: string[];
  removed: string[];
  /** Changed servers, replaced by a new connection (a new child for stdio). */
  restarted: string[];
  unchanged: string[];
  /** The hook list was rebuilt with new modules or a new audit log. */
  hooksChanged: boolean;
  /** Settings that changed but apply only after a restart (e.g. `port: 8000 → 9000`); the gateway goes on with the old ones. */
  restartRequired: string[];
}

export interface Gateway {
  /** The config in force: the one given, or the last one reloaded. */
  readonly config: GatewayConfig;
  readonly app: Hono;
  /** Upstreams by server name, in config order; follows reloads. */
  readonly upstreams: ReadonlyMap<string, Upstream>;
  /**
   * Loads the hook modules, listens, then starts every upstream (concurrently, in the
   * background) and calls the hooks' `onStart`. Resolves once listening; rejects (having started
   * no child) when a hook module cannot be loaded (`CONFIG_INVALID`) or the address cannot be bound.
   */
  start(): Promise<RunningServer>;
  /** After `start()`: resolves when every upstream has finished its first connection attempt. */
  whenSettled(): Promise<void>;
  /**
   * Stops the gateway: stops taking connections (new requests on open ones get 503), lets the
   * calls in flight finish for up to `config.shutdownTimeoutMs` (10 s), then cancels what is still
   * running (its callers get 503 naming the shutdown), closes every upstream (children and their
   * process groups included) and session, and calls the hooks' `onClose`.
   */
  close(): Promise<void>;
  /** Last resort, synchronous: SIGKILLs every child process group (a second Ctrl-C). */
  kill(): void;
  /**
   * Applies `next` (a config file read again) to the running gateway; see the module comment.
   * Reloads run one at a time, in the order asked. Resolves once every changed server has been
   * replaced; servers taken out finish draining in the background. Rejects, having changed
   * nothing, when a hook module of `next` cannot be loaded (`CONFIG_INVALID`), or when the
   * gateway serves one server from the command line (`NOT_SUPPORTED`: there is no file to reload).
   */
  reload(next: GatewayConfig): Promise<ReloadReport>;
}

const DEFAULT_RELOAD_DRAIN_MS = 30_000;

export function createGateway(initialConfig: GatewayConfig, options: GatewayOptions = {}): Gateway {
  let config = initialConfig;
  const logger = options.logger ?? silentLogger();
  const children = new ChildProcessRegistry();
  // One per gateway: OAuth servers share callback ports, and a reload keeps their memory tokens.
  const oauth = createOAuthEnvironment(options.oauth);
  const settings = httpSettings(config);
  // Read at scrape time; `upstreams` and `bridge` exist by then.
  const metrics: GatewayMetrics | undefined = settings.metrics.enabled
    ? new GatewayMetrics({
        upstreams: () => upstreams.values(),
        upstream: (name) => upstreams.get(name),
        sessions: (): Iterable<SessionEntry> => bridge.sessions.values(),
        childProcesses: () => children.size,
      })
    : undefined;
  // The modules' hooks join when `start()` has loaded them.
  const hookSet = new ConfiguredHooks(options.hooks, metrics ? [metrics.hook] : []);
  const hooks = new HookRunner(logger, [...hookSet.builtIns(config), ...(options.hooks ?? [])], (hook) => metrics?.hookFailed(hook));
  const newUpstream = (upstreamConfig: UpstreamConfig): Upstream =>
    new Upstream(upstreamConfig, {
      ...options.upstream,
      logger,
      children,
      oauth,
      clientInfo: { name: 'mcpgate', version: packageVersion },
      allowTool: (server, tool) => hooks.allowsTool(server, tool),
    });
  const upstreams = new UpstreamSet(config.upstreams.map(newUpstream));
  const bridge = new Bridge({
    upstreams,
    settings: settings.mcp,
    logger,
    children,
    hooks,
    maxSessions: settings.limits.maxSessions,
    ...(options.parkTimeoutMs === undefined ? {} : { parkTimeoutMs: options.parkTimeoutMs }),
    ...(options.streamKeepAliveMs === undefined ? {} : { keepAliveMs: options.streamKeepAliveMs }),
  });
  let closing: Promise<void> | undefined;
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
    metrics,
    stopping: () => closing !== undefined,
  });

  let hooksLoaded: Promise<void> | undefined;
  let listening: Promise<RunningServer> | undefined;
  let url: string | undefined;
  let reloads: Promise<unknown> = Promise.resolve();
  /** Upstreams a reload started that are not yet in the set, and servers taken out still draining. */
  const pending = new Set<Upstream>();
  const draining = new Set<Promise<void>>();

  /** Takes `upstream` out of service in the background: its calls finish, then it stops. */
  const retire = (upstream: Upstream, reason: string): void => {
    const done = bridge
      .retire(upstream, options.reloadDrainMs ?? DEFAULT_RELOAD_DRAIN_MS, reason)
      .catch((error: unknown) => logger.error({ err: error, server: upstream.name }, 'a server taken out by a reload did not stop cleanly'))
      .finally(() => draining.delete(done));
    draining.add(done);
  };

  const applyReload = async (next: GatewayConfig): Promise<ReloadReport> => {
    if (closing) throw new Error('the gateway is closed');
    if (config.mode !== 'multi' || next.mode !== 'multi') {
      throw new GatewayError('NOT_SUPPORTED', 'only a gateway started with a config file can reload its servers');
    }
    const diff = diffConfigs(config, next);
    // The one step that can fail comes first, so that a failure changes nothing.
    const nextHooks = await hookSet.resolve(next);
    // `close()` may have run while the modules loaded: nothing started from here on would be stopped.
    if (closing) throw new Error('the gateway was closed during the reload');
    const hooksChanged = diff.hooksChanged || diff.auditLogChanged;
    const live = new Map(upstreams);
    const order = next.upstreams.map((upstream) => upstream.name);
    const publish = (): void => upstreams.replace(order.map((name) => live.get(name)!));

    const removed = diff.removed.map((name) => live.get(name)!);
    for (const name of diff.removed) live.delete(name);
    const replacements = diff.changed.map((changed) => ({ old: live.get(changed.name)!, next: newUpstream(changed) }));
    const added = diff.added.map(newUpstream);
    for (const upstream of [...added, ...replacements.map((r) => r.next)]) {
      bridge.prepare(upstream);
      pending.add(upstream);
      upstream.start();
    }
    for (const upstream of added) live.set(upstream.name, upstream);
    config = configInForce(config, next);
    await hooks.replace(nextHooks, { url, servers: order });
    publish();
    for (const upstream of added) pending.delete(upstream);
    for (const upstream of removed) retire(upstream, `server "${upstream.name}" was removed from the config`);
    await Promise.all(
      replacements.map(async ({ old, next: replacement }) => {
        // The old connection serves until the new one has tried to connect once.
        await replacement.whenSettled();
        if (closing) {
          await replacement.close();
          pending.delete(replacement);
          return;
        }
        pending.delete(replacement);
        live.set(replacement.name, replacement);
        publish();
        retire(old, `server "${old.name}" was changed in the config and restarted`);
      }),
    );
    const report = reportOf(diff, hooksChanged);
    logReload(logger, report);
    return report;
  };

  return {
    get config() {
      return config;
    },
    app,
    upstreams,
    async start() {
      if (closing) throw new Error('the gateway is closed');
      // Hook modules before anything else: a broken one must stop the start, not half of it.
      hooksLoaded ??= hookSet.resolve(config).then((all) => hooks.use(all));
      await hooksLoaded;
      // Bind first: a taken port should fail fast, before any child is spawned.
      listening ??= listen(app, config.host, config.port, { tls: config.tls, maxHeaderBytes: settings.limits.maxHeaderBytes });
      const server = await listening;
      if (closing) throw new Error('the gateway was closed while starting');
      url = server.url;
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
    reload(next) {
      const applied = reloads.then(() => applyReload(next));
      reloads = applied.catch(() => undefined);
      return applied;
    },
    close() {
      closing ??= (async () => {
        const server = await listening?.catch(() => undefined);
        server?.stopAccepting();
        const deadlineMs = config.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
        if (!(await bridge.drain(deadlineMs))) {
          logger.warn({ shutdownTimeoutMs: deadlineMs }, 'calls still running at the shutdown timeout are cancelled');
        }
        const reason = 'the gateway is shutting down';
        // Upstreams first, so that a call still running fails with the reason; ending the sessions
        // then ends their open streams, so the listener can finish closing.
        await Promise.all([...upstreams.values(), ...pending].map((upstream) => upstream.close(reason)));
        await Promise.all([bridge.close(reason), server?.close()]);
        await Promise.all(draining);
        await oauth.callbackServers.closeAll();
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

function reportOf(diff: ConfigDiff, hooksChanged: boolean): ReloadReport {
  return {
    added: diff.added.map((upstream) => upstream.name),
    removed: diff.removed,
    restarted: diff.changed.map((upstream) => upstream.name),
    unchanged: diff.unchanged,
    hooksChanged,
    restartRequired: diff.restartRequired,
  };
}

function logReload(logger: Logger, report: ReloadReport): void {
  const { added, removed, restarted, unchanged, hooksChanged, restartRequired } = report;
  if (restartRequired.length > 0) {
    logger.warn({ restartRequired }, `restart required to apply: ${restartRequired.join('; ')} (the gateway goes on with the settings it started with)`);
  }
  if (added.length + removed.length + restarted.length === 0 && !hooksChanged) {
    logger.info({ unchanged }, 'config reloaded: no server changed');
    return;
  }
  const parts = [
    added.length > 0 ? `added ${added.join(', ')}` : undefined,
    removed.length > 0 ? `removed ${removed.join(', ')}` : undefined,
    restarted.length > 0 ? `restarted ${restarted.join(', ')}` : undefined,
    hooksChanged ? 'hooks reloaded' : undefined,
  ].filter((part) => part !== undefined);
  logger.info({ added, removed, restarted, unchanged, hooksChanged }, `config reloaded: ${parts.join('; ')}`);
}
