/**
 * `${VAR}` and `${VAR:-default}` in config string values, so secrets such as tokens can stay
 * out of the file. The environment is a parameter: the caller decides what the file may see,
 * and tests need no process-wide state.
 *
 * @module
 */

import { configInvalid } from './config-error.js';
import { isJsonObject, problemAt, type JsonPathSegment } from './json-path.js';

/** The environment variables a config file may refer to. */
export type EnvSource = Record<string, string | undefined>;

/** The result of expanding one string: the text, and what stopped a reference from expanding. */
export interface StringExpansion {
  value: string;
  /** One message per reference that could not be expanded (unset variable, bad syntax). */
  problems: string[];
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Expand one string. `${VAR}` is VAR's value; `${VAR:-default}` is `default` when VAR is unset
 * or empty (as in the shell); `$${` is a literal `${`. A `$` not followed by `{` is kept as is.
 * A reference that cannot be expanded is left in the text unchanged and reported in `problems`.
 */
export function expandString(text: string, env: EnvSource): StringExpansion {
  const problems: string[] = [];
  let value = '';
  let index = 0;
  while (index < text.length) {
    const dollar = text.indexOf('$', index);
    if (dollar < 0) {
      value += text.slice(index);
      break;
    }
    value += text.slice(index, dollar);
    if (text.startsWith('$${', dollar)) {
      value += '${';
      index = dollar + 3;
      continue;
    }
    if (text[dollar + 1] !== '{') {
      value += '$';
      index = dollar + 1;
      continue;
    }
    const close = text.indexOf('}', dollar + 2);
    if (close < 0) {
      problems.push(`unterminated "\${" (write $\${ for a literal \${)`);
      value += text.slice(dollar);
      break;
    }
    const reference = text.slice(dollar, close + 1);
    value += expandReference(text.slice(dollar + 2, close), reference, env, problems);
    index = close + 1;
  }
  return { value, problems };
}

/** The replacement for the inside of one `${...}`; on a problem, the reference itself. */
function expandReference(inner: string, reference: string, env: EnvSource, problems: string[]): string {
  const separator = inner.indexOf(':-');
  const name = separator < 0 ? inner : inner.slice(0, separator);
  if (!VARIABLE_NAME.test(name)) {
    problems.push(
      `invalid variable reference "${reference}" (write \${NAME} or \${NAME:-default}, or $\${ for a literal \${)`,
    );
    return reference;
  }
  const current = env[name];
  if (separator >= 0) {
    // Shell semantics: an empty value is as good as unset for `:-`.
    return current === undefined || current === '' ? inner.slice(separator + 2) : current;
  }
  if (current === undefined) {
    problems.push(`environment variable ${name} is not set (write \${${name}:-value} to give a default)`);
    return reference;
  }
  return current;
}

/** The expanded tree, with every problem found in it as `<fileLabel>: <path>: <message>`. */
export interface TreeExpansion {
  value: unknown;
  problems: string[];
}

/**
 * Expand variables in every string value of a parsed JSON tree, through objects and arrays.
 * Object keys are never expanded: they are names (servers, headers), not data. Returns a new
 * tree; the input is not modified. Problems are collected, not thrown, so the caller can report
 * them with the rest of the file's problems.
 */
export function expandEnvInTree(tree: unknown, env: EnvSource, fileLabel: string): TreeExpansion {
  const problems: string[] = [];
  const walk = (node: unknown, path: JsonPathSegment[]): unknown => {
    if (typeof node === 'string') {
      const expansion = expandString(node, env);
      for (const message of expansion.problems) problems.push(problemAt(fileLabel, path, message));
      return expansion.value;
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (isJsonObject(node)) {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        // defineProperty, not assignment: a key named "__proto__" must stay an ordinary key.
        Object.defineProperty(out, key, {
          value: walk(child, [...path, key]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return node;
  };
  const value = walk(tree, []);
  return { value, problems };
}

/**
 * Like {@link expandEnvInTree}, but throws `GatewayError('CONFIG_INVALID')` listing every
 * problem, e.g. `config.json: mcpServers.api.headers.Authorization: environment variable
 * API_TOKEN is not set (write ${API_TOKEN:-value} to give a default)`.
 */
export function expandEnv(tree: unknown, env: EnvSource, fileLabel: string): unknown {
  const { value, problems } = expandEnvInTree(tree, env, fileLabel);
  if (problems.length > 0) throw configInvalid(problems);
  return value;
}
