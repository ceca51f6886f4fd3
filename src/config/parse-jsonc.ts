/**
 * JSON with comments and trailing commas (the format of Claude Desktop, Cline and mcpo
 * configs), parsed with `jsonc-parser` and turned into errors that point at a line and column.
 *
 * @module
 */

import { parse, printParseErrorCode, stripComments, type ParseError } from 'jsonc-parser';
import { configInvalid } from './config-error.js';

/** A 1-based position in a text, as editors show it. */
export interface TextPosition {
  line: number;
  column: number;
}

/** Turn a 0-based character offset into a 1-based line and column. */
export function positionAt(text: string, offset: number): TextPosition {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lastNewline = before.lastIndexOf('\n');
  let line = 1;
  for (let i = 0; i < before.length; i++) if (before.charCodeAt(i) === 10) line++;
  return { line, column: before.length - lastNewline };
}

/** `CommaExpected` → `comma expected`: the parser's code, in words. */
function describeParseError(error: ParseError): string {
  return printParseErrorCode(error.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

/**
 * Parse JSONC text. Comments (`//`, `/* *\/`) and trailing commas are allowed; anything else
 * that is not JSON, and a file with no value at all, throws `GatewayError('CONFIG_INVALID')`
 * whose message reads `<fileLabel>:<line>:<column>: JSON syntax error: <problem>`.
 *
 * Only the first syntax error is reported: later ones are usually echoes of it.
 */
export function parseJsonc(text: string, fileLabel: string): unknown {
  // Editors on Windows may save a byte-order mark, which is not JSON whitespace.
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (stripComments(source).trim() === '') {
    throw configInvalid([`${fileLabel}: file is empty (expected a JSON object with "mcpServers")`]);
  }
  const errors: ParseError[] = [];
  const value: unknown = parse(source, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first !== undefined) {
    const { line, column } = positionAt(source, first.offset);
    throw configInvalid([`${fileLabel}:${line}:${column}: JSON syntax error: ${describeParseError(first)}`]);
  }
  return value;
}
