/**
 * Turns zod issues into config messages in mcpgate's own words (`expected string, got number`),
 * naming the JSON type a user sees in the file rather than zod's internal names.
 *
 * @module
 */

import type { z } from 'zod';
import { jsonTypeOf, problemAt, valueAtPath, type JsonPathSegment } from './json-path.js';

/** zod's names for expected types, in JSON's words. */
const EXPECTED_NAMES: Readonly<Record<string, string>> = {
  record: 'object',
  object: 'object',
  array: 'array',
  string: 'string',
  number: 'number',
  boolean: 'boolean',
  null: 'null',
};

/** What is wrong, without the location. `actual` is the offending value from the input. */
function describeIssue(issue: z.core.$ZodIssue, actual: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED_NAMES[issue.expected] ?? issue.expected;
      return actual === undefined ? `required ${expected} is missing` : `expected ${expected}, got ${jsonTypeOf(actual)}`;
    }
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'number' && Number(issue.minimum) === 0 && !issue.inclusive) {
        return `must be a positive number, got ${String(actual)}`;
      }
      if (issue.origin === 'number') {
        return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}, got ${String(actual)}`;
      }
      return `must have at least ${String(issue.minimum)} entries`;
    case 'too_big':
      if (issue.origin === 'number') return `must be at most ${String(issue.maximum)}, got ${String(actual)}`;
      return `must have at most ${String(issue.maximum)} ${issue.origin === 'string' ? 'characters' : 'entries'}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}, got ${JSON.stringify(actual)}`;
    case 'invalid_key':
      // The key's own schema says what is wrong with it (e.g. not a header name).
      return issue.issues[0]?.message ?? 'invalid key';
    default:
      return issue.message;
  }
}

/**
 * One `<fileLabel>: <path>: <message>` line per zod issue. `input` is the value that was
 * validated and `basePath` where it sits in the file, so messages name the full JSON path and
 * the actual type found there.
 */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  basePath: readonly JsonPathSegment[],
  fileLabel: string,
): string[] {
  return issues.map((issue) => {
    const relative = issue.path.filter((segment): segment is JsonPathSegment => typeof segment !== 'symbol');
    const actual = valueAtPath(input, relative);
    return problemAt(fileLabel, [...basePath, ...relative], describeIssue(issue, actual));
  });
}
