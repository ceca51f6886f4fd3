/**
 * The soak test's command line (`npm run soak -- [options]`), parsed with `node:util`'s
 * `parseArgs`: strict, so a misspelt option stops the run instead of being ignored.
 *
 * @module
 */
import { parseArgs } from 'node:util';

export interface SoakOptions {
  /** Seconds of measured load (after the warm-up). */
  durationSeconds: number;
  /** Concurrent clients: the first half REST, the rest MCP SDK clients. */
  clients: number;
  /** Seconds between two kills of a child process; 0 turns the chaos loop off. */
  chaosIntervalSeconds: number;
  /** Seconds of the same load before the baseline is read (lazy initialisation done). */
  warmupSeconds: number;
  /** The longest quiet after the warm-up before the baseline is read (it ends once V8 has given back its spare heap). */
  idleSeconds: number;
  /** The longest wait, after the load, for memory and descriptors to come back. */
  settleSeconds: number;
  /** A request unanswered after this long counts as a hang. */
  requestTimeoutSeconds: number;
  /** Print the summary as JSON too (after the text, on stdout). */
  json: boolean;
  /** Keep the gateway's log and config even when the run passes. */
  keepLogs: boolean;
}

export const USAGE = `usage: npm run soak -- [options]

  --duration <seconds>        measured load (default 180)
  --clients <n>               concurrent clients, half REST and half MCP (default 16)
  --chaos-interval <seconds>  SIGKILL a child of the gateway this often; 0 = never (default 10)
  --warmup <seconds>          load before the baseline is read (default 15)
  --idle <seconds>            longest quiet before the baseline is read; it ends sooner once
                              V8 has given back its spare heap (default 90, at least 5)
  --settle <seconds>          longest wait for memory and descriptors after the load (default 90)
  --timeout <seconds>         a request past this is a hang (default 15)
  --json                      print the summary as JSON too
  --keep-logs                 keep the gateway's log and config after a passing run
  --help                      this text

Exit code: 0 PASS, 1 FAIL, 2 the soak test could not run.`;

/** Thrown for a bad command line; the message is meant for the user. */
export class UsageError extends Error {}

function number(raw: string | undefined, name: string, fallback: number, check: (value: number) => boolean, what: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || !check(value)) throw new UsageError(`--${name} must be ${what}, got '${raw}'`);
  return value;
}

/** Parses the arguments; returns undefined when `--help` was asked for. */
export function parseSoakOptions(argv: readonly string[]): SoakOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string' },
        clients: { type: 'string' },
        'chaos-interval': { type: 'string' },
        warmup: { type: 'string' },
        idle: { type: 'string' },
        settle: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean', default: false },
        'keep-logs': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return undefined;
  const positive = (value: number): boolean => value > 0;
  const nonNegative = (value: number): boolean => value >= 0;
  return {
    durationSeconds: number(values.duration, 'duration', 180, positive, 'a positive number of seconds'),
    clients: number(values.clients, 'clients', 16, (value) => Number.isInteger(value) && value >= 2, 'an integer of at least 2 (one REST, one MCP)'),
    chaosIntervalSeconds: number(values['chaos-interval'], 'chaos-interval', 10, nonNegative, 'a number of seconds (0 turns chaos off)'),
    warmupSeconds: number(values.warmup, 'warmup', 15, positive, 'a positive number of seconds'),
    idleSeconds: number(values.idle, 'idle', 90, (value) => value >= 5, 'a number of seconds, at least 5'),
    settleSeconds: number(values.settle, 'settle', 90, positive, 'a positive number of seconds'),
    requestTimeoutSeconds: number(values.timeout, 'timeout', 15, positive, 'a positive number of seconds'),
    json: values.json ?? false,
    keepLogs: values['keep-logs'] ?? false,
  };
}
