/**
 * The CLI's life: parse, validate, start, wait for a signal, stop. Returns the exit code;
 * only `bin.ts` calls `process.exit`.
 *
 * Exit codes: 0 stopped normally, 1 failed at run time (e.g. the port is taken),
 * 2 bad command line or config file.
 *
 * @module
 */
import { CommanderError } from 'commander';
import { createGateway, type Gateway } from '../gateway.js';
import { GatewayError, describeError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { packageVersion } from '../version.js';
import { buildConfig } from './build-config.js';
import { parseCommandLine, type ParsedCommandLine } from './options.js';

export const EXIT_OK = 0;
export const EXIT_RUNTIME_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface MainIo {
  env: NodeJS.ProcessEnv;
  /** Where messages for the person at the terminal go (stderr: stdout may carry the protocol). */
  writeError: (text: string) => void;
  /** Resolves with the signal name when the process is asked to stop. */
  waitForStopSignal: () => Promise<string>;
}

export async function main(argv: string[], io: MainIo): Promise<number> {
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
    io.writeError(`mcpgate ${packageVersion}\n`);
    return EXIT_OK;
  }

  let built: Awaited<ReturnType<typeof buildConfig>>;
  try {
    built = await buildConfig(parsed, io.env);
  } catch (error) {
    if (error instanceof GatewayError && (error.code === 'CONFIG_INVALID' || error.code === 'NOT_SUPPORTED')) {
      io.writeError(`mcpgate: ${error.message.split('\n').join('\nmcpgate: ')}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }

  const logger = createLogger(built.config.logLevel);
  for (const warning of built.warnings) logger.warn(warning);
  if (built.demo) logger.info('no server given: serving the bundled demo MCP server (see --help to serve your own)');

  const gateway: Gateway = createGateway(built.config, { logger });
  try {
    await gateway.start();
  } catch (error) {
    logger.fatal({ err: error }, `cannot listen on ${built.config.host}:${built.config.port}: ${describeError(error)}`);
    await gateway.close();
    return EXIT_RUNTIME_FAILURE;
  }

  const signal = await io.waitForStopSignal();
  logger.info({ signal }, 'stopping');
  await gateway.close();
  return EXIT_OK;
}
