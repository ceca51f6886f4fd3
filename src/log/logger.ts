/**
 * The one logger. JSON lines on stderr (pino): in stdio mode stdout carries the protocol, so
 * nothing else may ever write there. Every part receives a logger (or a child of one) rather
 * than importing a global, so tests and library users can inject their own.
 *
 * Secrets never reach a line: values under secret-looking keys are masked in every record, and
 * each finished line has the known secret values and `Bearer`/`Basic` credentials masked (see
 * `mask-secrets.ts`).
 *
 * @module
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/types.js';
import { maskSecrets, SecretValues } from './mask-secrets.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Secret values to mask in every line; the caller may add to it later (a config reload). */
  secrets?: SecretValues;
  /** Where the lines go; stderr (fd 2), written synchronously, by default. */
  destination?: DestinationStream;
}

/** Creates the gateway's root logger, writing to stderr (fd 2) synchronously so no line is lost at exit. */
export function createLogger(level: LogLevel = 'info', options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? new SecretValues();
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  return pino(
    {
      level,
      base: { name: 'mcpgate' },
      formatters: { log: (record) => maskSecrets(record) as Record<string, unknown> },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    { write: (line: string) => destination.write(secrets.mask(line)) },
  );
}

/** A logger that discards everything: the default for library users who pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
