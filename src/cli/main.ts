/**
 * The CLI's life: parse, validate, start, wait for a signal, stop. Returns the exit code;
 * only `bin.ts` calls `process.exit`.
 *
 * Exit codes: 0 stopped normally, 1 failed at run time (e.g. the port is taken),
 * 2 bad command line or config file; 129/130/143 when a second SIGHUP/SIGINT/SIGTERM forced the stop.
 *
 * SIGHUP reloads the config file with `--hot-reload`; otherwise it stops the gateway like SIGTERM
 * (a closed terminal must not leave the servers' children behind).
 *
 * @module
 */
import { format } from 'node:util';
import type { Readable, Writable } from 'node:stream';
import { CommanderError } from 'commander';
import { runStdioMode } from '../bridge/stdio-mode.js';
import { createGateway } from '../gateway.js';
import { configuredHooks } from '../hooks/configured-hooks.js';
import { HookRunner } from '../hooks/hook-runner.js';
import { GatewayError, describeError } from '../errors.js';
import { configSecrets } from '../config/config-secrets.js';
import { createLogger } from '../log/logger.js';
import { SecretValues } from '../log/mask-secrets.js';
import { packageVersion } from '../version.js';
import { buildConfig } from './build-config.js';
import { startHotReload, type HotReload } from './hot-reload.js';
import { parseCommandLine, type ParsedCommandLine } from './options.js';

export const EXIT_OK = 0;
export const EXIT_RUNTIME_FAILURE = 1;
export const EXIT_USAGE = 2;
const EXIT_FORCED: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

export interface MainIo {
  env: NodeJS.ProcessEnv;
  /** Answers asked for (help, version). */
  writeOut: (text: string) => void;
  /** Messages for the person at the terminal (stdout may carry the protocol). */
  writeError: (text: string) => void;
  /** Calls `listener` on every SIGINT/SIGTERM, from the moment main starts. */
  onStopSignal: (listener: (signal: string) => void) => void;
  /** Calls `listener` on every SIGHUP, from the moment main starts (left out: SIGHUP is not handled). */
  onHangUpSignal?: (listener: () => void) => void;
  /** The protocol's input in `--stdio` mode (default: this process's stdin). */
  input?: Readable;
  /** The protocol's output in `--stdio` mode (default: this process's stdout). */
  output?: Writable;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export async function main(argv: string[], io: MainIo): Promise<number> {
  // Signals are ours from the start: one asks for a clean stop, a second forces it.
  const stopRequested = deferred<string>();
  const forceRequested = deferred<string>();
  let signals = 0;
  const stop = (signal: string): void => {
    signals += 1;
    (signals === 1 ? stopRequested : forceRequested).resolve(signal);
  };
  io.onStopSignal(stop);
  // A hang-up stops the gateway until hot reload, once running, makes it a reload.
  let onHangUp = (): void => stop('SIGHUP');
  io.onHangUpSignal?.(() => onHangUp());

  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (or the help text).
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' ? EXIT_OK : EXIT_USAGE;
    }
    throw error;
  }
  if (parsed.options.version === true) {
    io.writeOut(`mcpgate ${packageVersion}\n`);
    return EXIT_OK;
  }

  let built: Awaited<ReturnType<typeof buildConfig>>;
  try {
    built = await buildConfig(parsed, io.env);
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'CONFIG_INVALID') {
      io.writeError(`mcpgate: ${error.message.split('\n').join('\nmcpgate: ')}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }

  // Every secret of the config (and of each config reloaded) is masked in every log line.
  const secrets = new SecretValues();
  secrets.learn(configSecrets(built.config));
  const logger = createLogger(built.config.logLevel, { secrets });
  // The SDK tells some events (an OAuth credential it discards and why) with console.warn and
  // console.error: they become log lines like any other, JSON and masked, instead of stray text.
  console.warn = (...args: unknown[]) => logger.warn(format(...args));
  console.error = (...args: unknown[]) => logger.error(format(...args));
  for (const warning of built.warnings) logger.warn(warning);
  if (built.demo) logger.info('no server given: serving the bundled demo MCP server (see --help to serve your own)');

  if (built.stdio) {
    let hooks: HookRunner;
    try {
      hooks = new HookRunner(logger, await configuredHooks(built.config));
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      io.writeError(`mcpgate: ${error.message}\n`);
      return EXIT_USAGE;
    }
    await hooks.start({ url: undefined, servers: built.config.upstreams.map((upstream) => upstream.name) });
    const result = await runStdioMode({
      hooks,
      upstream: built.config.upstreams[0]!,
      input: io.input ?? process.stdin,
      output: io.output ?? process.stdout,
      logger,
      stopRequested: stopRequested.promise,
      forceRequested: forceRequested.promise,
    });
    await hooks.close();
    if (result.kind === 'forced') return EXIT_FORCED[result.signal] ?? EXIT_RUNTIME_FAILURE;
    if (result.kind === 'upstream-gone') {
      io.writeError(`mcpgate: ${result.reason}\n`);
      return EXIT_RUNTIME_FAILURE;
    }
    return EXIT_OK;
  }

  const gateway = createGateway(built.config, { logger });
  let badHookModule = false;
  const started = gateway.start().then(
    () => true,
    (error: unknown) => {
      if (error instanceof GatewayError && error.code === 'CONFIG_INVALID') {
        // A hook module that cannot be loaded is a bad config, found only when loading it.
        badHookModule = true;
        io.writeError(`mcpgate: ${error.message}\n`);
      } else if (signals === 0) {
        logger.fatal({ err: error }, `cannot listen on ${built.config.host}:${built.config.port}: ${describeError(error)}`);
      }
      return false;
    },
  );
  const running = await Promise.race([started, stopRequested.promise.then(() => true)]);
  let hotReload: HotReload | undefined;
  if (running && built.hotReload && signals === 0 && built.config.configPath !== undefined) {
    hotReload = startHotReload({
      parsed,
      env: io.env,
      gateway,
      logger,
      configPath: built.config.configPath,
      onConfig: (config) => secrets.learn(configSecrets(config)),
    });
    const reloading = hotReload;
    onHangUp = () => void reloading.reload('SIGHUP');
  }
  const signal = running ? await stopRequested.promise : undefined;
  hotReload?.close();
  if (signal) logger.info({ signal }, 'stopping (send the signal again to stop at once)');

  const forced = await Promise.race([gateway.close().then(() => undefined), forceRequested.promise]);
  if (forced !== undefined) {
    gateway.kill();
    logger.warn({ signal: forced }, 'stopped at once: every child process group was killed');
    return EXIT_FORCED[forced] ?? EXIT_RUNTIME_FAILURE;
  }
  // Stopped on request (even mid-start) is a normal stop; otherwise start-up failed.
  if (signal !== undefined || (await started)) return EXIT_OK;
  return badHookModule ? EXIT_USAGE : EXIT_RUNTIME_FAILURE;
}
