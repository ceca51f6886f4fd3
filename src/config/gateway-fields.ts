/**
 * The config file's top-level settings of the gateway itself, beside `mcpServers`: `"hooks"`
 * (hook modules, in the order their hooks run), `"auditLog"` (the built-in audit log of tool
 * calls), and `"host"` / `"port"` (where to listen, when the command line does not say). Relative paths are resolved against a base directory (the config file's own). Whether
 * the paths exist is checked on disk by the caller, through the returned {@link PathCheck}s.
 *
 * @module
 */

import { resolve } from 'node:path';
import { z } from 'zod';
import { formatIssues } from './format-issue.js';
import { isJsonObject, locationOf, problemAt, type JsonPathSegment } from './json-path.js';
import type { PathCheck } from './path-checks.js';
import type { AuditLogConfig } from './types.js';

/** `"hooks"`: module paths, each relative to the config file or absolute. */
export const hooksSchema = z.array(z.string().min(1));

/** `"auditLog"`: unknown keys are stripped by the schema and reported apart. */
export const auditLogSchema = z.object({
  path: z.string().min(1),
  includeArguments: z.boolean().optional(),
});

/** `"host"`: the address to bind, as `--host` takes it. */
export const hostSchema = z.string().min(1);

/** `"port"`: the port to listen on, as `--port` takes it (0 picks a free one). */
export const portSchema = z.number().refine((value) => Number.isInteger(value) && value >= 0 && value <= 65535, {
  error: (issue) => `expected a port number from 0 to 65535, got ${String(issue.input)}`,
});

/** The fields of `"auditLog"` this version understands. */
export const KNOWN_AUDIT_LOG_FIELDS: ReadonlySet<string> = new Set(Object.keys(auditLogSchema.shape));

/** Where problems go, and what relative paths are resolved against. */
export interface GatewayFieldsContext {
  fileLabel: string;
  /** Absolute directory that relative paths in the file are resolved against. */
  baseDir: string;
  /** Problems are appended here; a non-empty list fails the whole file. */
  problems: string[];
}

/** The gateway's own settings from the file, and the paths to check on disk. */
export interface GatewayFields {
  /** Absolute paths in file order; undefined when the file lists none. */
  hookModules?: string[];
  auditLog?: AuditLogConfig;
  host?: string;
  port?: number;
  /** One per hook module and one for the audit log, each naming its JSON path. */
  pathChecks: PathCheck[];
}

/** Read the gateway's own fields from the (expanded) top-level object; problems go to the context. */
export function readGatewayFields(root: Record<string, unknown>, context: GatewayFieldsContext): GatewayFields {
  const result: GatewayFields = { pathChecks: [] };
  const { fileLabel, baseDir, problems } = context;

  for (const [key, schema] of [['host', hostSchema], ['port', portSchema]] as const) {
    if (!Object.hasOwn(root, key)) continue;
    const parsed = schema.safeParse(root[key]);
    if (!parsed.success) problems.push(...formatIssues(parsed.error.issues, root[key], [key], fileLabel));
    else if (key === 'host') result.host = parsed.data as string;
    else result.port = parsed.data as number;
  }

  if (Object.hasOwn(root, 'hooks')) {
    const parsed = hooksSchema.safeParse(root.hooks);
    if (!parsed.success) problems.push(...formatIssues(parsed.error.issues, root.hooks, ['hooks'], fileLabel));
    else if (parsed.data.length > 0) {
      result.hookModules = parsed.data.map((entry) => resolve(baseDir, entry));
      result.hookModules.forEach((path, index) => {
        result.pathChecks.push({ kind: 'module', path, where: locationOf(fileLabel, ['hooks', index]) });
      });
    }
  }

  if (Object.hasOwn(root, 'auditLog')) {
    const raw = root.auditLog;
    const at: JsonPathSegment[] = ['auditLog'];
    if (isJsonObject(raw)) {
      for (const key of Object.keys(raw)) {
        if (!KNOWN_AUDIT_LOG_FIELDS.has(key)) {
          problems.push(problemAt(fileLabel, [...at, key], `unknown field (known: ${[...KNOWN_AUDIT_LOG_FIELDS].join(', ')})`));
        }
      }
    }
    const parsed = auditLogSchema.safeParse(raw);
    if (!parsed.success) problems.push(...formatIssues(parsed.error.issues, raw, at, fileLabel));
    else {
      const path = resolve(baseDir, parsed.data.path);
      result.auditLog = { path, includeArguments: parsed.data.includeArguments ?? false };
      result.pathChecks.push({ kind: 'created-file', path, where: locationOf(fileLabel, [...at, 'path']) });
    }
  }
  return result;
}
