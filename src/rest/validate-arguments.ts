/**
 * Checks a REST call's arguments against the tool's own `inputSchema` before the call, so the
 * caller gets a 422 naming each bad field instead of an upstream error it cannot act on.
 *
 * The schema is compiled with ajv in the dialect it declares: draft-07 (and older) with the
 * draft-07 validator, everything else (MCP's default, 2020-12) with the 2020-12 one. Values that
 * mcpo's lax mode accepts and that have one meaning are converted (a numeric string where a number
 * is expected, "true"/"false" where a boolean is); nothing the schema forbids is let through.
 *
 * @module
 */
import type { Tool } from '@modelcontextprotocol/client';
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import type { Logger } from '../log/logger.js';
import type { ValidationIssue } from './errors.js';

type AddFormats = (ajv: Ajv | Ajv2020) => unknown;
// ajv-formats is CommonJS: its default export is `module.exports.default` under NodeNext.
const addFormats = ((formatsModule as unknown as { default?: AddFormats }).default ?? formatsModule) as AddFormats;

export type ArgumentsCheck =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; issues: ValidationIssue[] };

const ajvOptions: Options = {
  strict: false,
  allErrors: true,
  // Tools' schemas often carry an `$id` or an unknown `$schema`; neither may break validation.
  addUsedSchema: false,
  validateSchema: false,
};

/**
 * Compiles and caches one validator per tool. Build one per catalog: when the catalog is
 * refreshed, the old checker (and ajv's cache of compiled schemas) goes with it.
 */
export class ArgumentsChecker {
  private draft07: Ajv | undefined;
  private draft2020: Ajv2020 | undefined;
  private readonly validators = new Map<string, ValidateFunction | null>();

  constructor(private readonly logger: Logger) {}

  check(tool: Tool, args: unknown): ArgumentsCheck {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      return {
        ok: false,
        issues: [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object', input: args }],
      };
    }
    const value = args as Record<string, unknown>;
    const validate = this.validatorFor(tool);
    if (!validate || validate(value)) return { ok: true, value };
    if (coerceUnambiguous(value, validate.errors ?? []) && validate(value)) return { ok: true, value };
    return { ok: false, issues: (validate.errors ?? []).map((error) => toIssue(error, value)) };
  }

  private validatorFor(tool: Tool): ValidateFunction | null {
    let validate = this.validators.get(tool.name);
    if (validate === undefined) {
      validate = this.compile(tool);
      this.validators.set(tool.name, validate);
    }
    return validate;
  }

  /** A schema ajv cannot compile is not checked here; the upstream still validates the call. */
  private compile(tool: Tool): ValidateFunction | null {
    const { $schema, ...schema } = tool.inputSchema as Record<string, unknown>;
    try {
      return this.ajvFor($schema).compile(schema);
    } catch (error) {
      this.logger.warn({ tool: tool.name, err: error }, 'the tool\'s inputSchema cannot be compiled; its arguments are not checked');
      return null;
    }
  }

  private ajvFor($schema: unknown): Ajv | Ajv2020 {
    if (typeof $schema === 'string' && /draft-0[3-7]/.test($schema)) {
      return (this.draft07 ??= withFormats(new Ajv(ajvOptions)));
    }
    return (this.draft2020 ??= withFormats(new Ajv2020(ajvOptions)));
  }
}

function withFormats<T extends Ajv | Ajv2020>(ajv: T): T {
  addFormats(ajv);
  return ajv;
}

const numericString = /^\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/**
 * Converts, in place, the values whose only fault is being a string that spells a number or a
 * boolean the schema asks for. Returns whether anything changed (then the caller validates again).
 */
function coerceUnambiguous(root: Record<string, unknown>, errors: ErrorObject[]): boolean {
  let changed = false;
  for (const error of errors) {
    if (error.keyword !== 'type') continue;
    const path = pointerSegments(error.instancePath);
    const key = path.at(-1);
    if (key === undefined) continue;
    const parent = valueAt(root, path.slice(0, -1));
    if (parent === null || typeof parent !== 'object') continue;
    const current = (parent as Record<string, unknown>)[key];
    const coerced = coerceScalar(current, String(error.params.type).split(','));
    if (coerced !== undefined) {
      (parent as Record<string, unknown>)[key] = coerced;
      changed = true;
    }
  }
  return changed;
}

function coerceScalar(value: unknown, types: string[]): unknown {
  if (typeof value !== 'string') return undefined;
  if ((types.includes('number') || types.includes('integer')) && numericString.test(value)) {
    const number = Number(value);
    if (Number.isFinite(number) && (types.includes('number') || Number.isInteger(number))) return number;
  }
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return undefined;
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(root: unknown, path: string[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** An ajv error as FastAPI's `{type, loc, msg, input}`, with the field's full location. */
function toIssue(error: ErrorObject, root: Record<string, unknown>): ValidationIssue {
  const path = pointerSegments(error.instancePath);
  const loc: Array<string | number> = ['body', ...path.map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment))];
  const input = valueAt(root, path);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { type: 'missing', loc: [...loc, String(params.missingProperty)], msg: 'Field required', input };
    case 'additionalProperties':
      return {
        type: 'extra_forbidden',
        loc: [...loc, String(params.additionalProperty)],
        msg: 'Extra inputs are not permitted',
        input: valueAt(input, [String(params.additionalProperty)]),
      };
    case 'type':
      return { type: `${String(params.type).split(',')[0]}_type`, loc, msg: `Input should be of type ${String(params.type)}`, input };
    case 'enum':
      return {
        type: 'enum',
        loc,
        msg: `Input should be ${(params.allowedValues as unknown[]).map((allowed) => JSON.stringify(allowed)).join(', ')}`,
        input,
        ctx: { expected: params.allowedValues },
      };
    default:
      return { type: error.keyword, loc, msg: `Input ${error.message ?? 'is invalid'}`, input, ctx: params };
  }
}
