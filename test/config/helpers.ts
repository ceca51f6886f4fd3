/** Shared helpers for the config tests. */

import { expect } from 'vitest';
import { GatewayError } from '../../src/errors.js';

/** Run `fn`, expect it to throw a CONFIG_INVALID GatewayError, and return that error. */
export function configError(fn: () => unknown): GatewayError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(GatewayError);
  const error = thrown as GatewayError;
  expect(error.code).toBe('CONFIG_INVALID');
  return error;
}

/** The `details.problems` list of a CONFIG_INVALID error. */
export function problemsOf(error: GatewayError): string[] {
  const problems = error.details?.problems;
  expect(Array.isArray(problems)).toBe(true);
  return problems as string[];
}
