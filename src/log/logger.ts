/**
 * The one logger. JSON lines on stderr (pino): in stdio mode stdout carries the protocol, so
 * nothing else may ever write there. Every part receives a logger (or a child of one) rather
 * than importing a global, so tests and library users can inject their own.
 *
 * @module
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/types.js';

export type { Logger } from 'pino';

/** Keys whose values are never written to logs, wherever they appear in a log record. */
const redactedPaths = [
  'headers.authorization',
  'headers.Authorization',
  'headers["x-api-key"]',
  'apiKey',
  'token',
  'accessToken',
  'refreshToken',
];

/** Creates the gateway's root logger, writing to stderr (fd 2) synchronously so no line is lost at exit. */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino(
    {
      level,
      base: { name: 'mcpgate' },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger that discards everything: the default for library users who pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
