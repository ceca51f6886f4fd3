/**
 * The flags of running the gateway for others: limits (`--max-header-size`,
 * `--max-concurrent-requests`, `--max-total-sessions`), metrics (`--no-metrics`,
 * `--metrics-public`) and the stop deadline (`--shutdown-timeout`). Each bad value is refused
 * naming the flag and what it expects; unset flags are left out, for the defaults.
 *
 * @module
 */
import { MAX_TIMEOUT_SECONDS } from '../config/server-schema.js';
import type { GatewayConfig, LimitsConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { CliOptions } from './options.js';

type OperationsConfig = Pick<GatewayConfig, 'limits' | 'metrics' | 'shutdownTimeoutMs'>;

const invalid = (message: string): GatewayError => new GatewayError('CONFIG_INVALID', message);

/** Node refuses a `maxHeaderSize` it cannot parse with; 1 MiB is more than any proxy forwards. */
const MAX_HEADER_BYTES = 1024 * 1024;

export function operationsFlags(options: CliOptions): OperationsConfig {
  const limits: Partial<LimitsConfig> = {};
  if (options.maxHeaderSize !== undefined) {
    limits.maxHeaderBytes = wholeNumber('--max-header-size', options.maxHeaderSize, 1024, MAX_HEADER_BYTES, 'bytes');
  }
  if (options.maxConcurrentRequests !== undefined) {
    limits.maxConcurrentRequests = wholeNumber('--max-concurrent-requests', options.maxConcurrentRequests, 0, 1_000_000, 'requests (0: no limit)');
  }
  if (options.maxTotalSessions !== undefined) {
    limits.maxSessions = wholeNumber('--max-total-sessions', options.maxTotalSessions, 0, 10_000_000, 'sessions (0: no limit)');
  }
  const result: OperationsConfig = {};
  if (Object.keys(limits).length > 0) result.limits = limits;
  if (options.metrics === false || options.metricsPublic === true) {
    if (options.metrics === false && options.metricsPublic === true) throw invalid('--metrics-public serves /metrics, which --no-metrics turns off: give one of them');
    result.metrics = { enabled: options.metrics !== false, public: options.metricsPublic === true };
  }
  if (options.shutdownTimeout !== undefined) result.shutdownTimeoutMs = secondsFlag('--shutdown-timeout', options.shutdownTimeout, 'cancel at once');
  return result;
}

/**
 * A duration flag given in seconds, from 0 (which means `zeroMeans`) to the longest timeout, as
 * milliseconds. A tiny positive value does not round to 0, which means something else.
 */
export function secondsFlag(flag: string, text: string, zeroMeans: string): number {
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_TIMEOUT_SECONDS) {
    throw invalid(`${flag}: expected a number of seconds from 0 (${zeroMeans}) to ${MAX_TIMEOUT_SECONDS}, got "${text}"`);
  }
  return seconds === 0 ? 0 : Math.max(1, Math.round(seconds * 1000));
}

function wholeNumber(flag: string, text: string, min: number, max: number, unit: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw invalid(`${flag}: expected a whole number of ${unit} from ${min} to ${max}, got "${text}"`);
  return value;
}
