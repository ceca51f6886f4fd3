/**
 * `--hot-reload`: when the config file changes (or on SIGHUP), the command line is built into a
 * config again, file included, and the running gateway applies it (`Gateway.reload`). A file that
 * does not validate changes nothing: the running servers keep serving, and the log says which
 * file, which JSON path and what is wrong, as a start with that file would.
 *
 * @module
 */
import type { GatewayConfig } from '../config/types.js';
import type { Gateway } from '../gateway.js';
import { describeError, GatewayError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { buildConfig } from './build-config.js';
import { watchConfigFile, type ConfigWatcherOptions } from './config-watcher.js';
import type { ParsedCommandLine } from './options.js';

export interface HotReloadOptions {
  parsed: ParsedCommandLine;
  env: NodeJS.ProcessEnv;
  gateway: Gateway;
  logger: Logger;
  /** The config file's absolute path. */
  configPath: string;
  /** Told every config read before it is applied (the logger learns its secrets). */
  onConfig?: (config: GatewayConfig) => void;
  watcher?: ConfigWatcherOptions;
}

export interface HotReload {
  /** Reads the file again and applies it; never rejects (failures are logged). */
  reload(trigger: string): Promise<void>;
  close(): void;
}

export function startHotReload(options: HotReloadOptions): HotReload {
  const { parsed, env, gateway, logger, configPath } = options;
  // One reload at a time; a trigger during one asks for one more after it, not one each.
  let running: Promise<void> | undefined;
  let again: string | undefined;

  async function apply(trigger: string): Promise<void> {
    logger.info({ trigger, file: configPath }, `reloading ${configPath} (${trigger})`);
    let built: Awaited<ReturnType<typeof buildConfig>>;
    try {
      built = await buildConfig(parsed, env);
    } catch (error) {
      const problems = error instanceof GatewayError ? (error.details?.problems as string[] | undefined) : undefined;
      logger.error(
        { file: configPath, ...(problems ? { problems } : {}) },
        `config reload failed, nothing changed (the running servers keep serving): ${describeError(error)}`,
      );
      return;
    }
    options.onConfig?.(built.config);
    for (const warning of built.warnings) logger.warn(warning);
    try {
      await gateway.reload(built.config);
    } catch (error) {
      logger.error({ err: error, file: configPath }, `config reload failed, nothing changed (the running servers keep serving): ${describeError(error)}`);
    }
  }

  function reload(trigger: string): Promise<void> {
    if (running) {
      again = trigger;
      return running;
    }
    running = apply(trigger).finally(() => {
      running = undefined;
      const next = again;
      again = undefined;
      if (next !== undefined) void reload(next);
    });
    return running;
  }

  const watcher = watchConfigFile(configPath, () => void reload('the file changed'), {
    onWarning: (message) => logger.warn({ file: configPath }, message),
    ...options.watcher,
  });
  logger.info({ file: configPath }, `watching ${configPath} for changes (SIGHUP reloads it too)`);
  return { reload, close: () => watcher.close() };
}
