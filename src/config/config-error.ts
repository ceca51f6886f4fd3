/**
 * Builds the single CONFIG_INVALID error that carries every problem found in a config file, so
 * a user fixes them all in one round instead of one per start-up.
 *
 * @module
 */

import { GatewayError } from '../errors.js';

/**
 * One `GatewayError('CONFIG_INVALID')` for a non-empty list of problems: the message is the
 * problems one per line (so its first line is the first problem) and `details.problems` holds
 * the list.
 */
export function configInvalid(problems: readonly string[], cause?: unknown): GatewayError {
  return new GatewayError('CONFIG_INVALID', problems.join('\n'), {
    details: { problems: [...problems] },
    ...(cause === undefined ? {} : { cause }),
  });
}
