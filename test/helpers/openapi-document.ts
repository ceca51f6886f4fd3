/**
 * Checks that an OpenAPI document is one that Open WebUI, Swagger UI and code generators can
 * use: valid OpenAPI 3.1 (by @seriousme/openapi-schema-validator), every `$ref` under
 * `#/components/` and resolving, every schema valid against the JSON Schema 2020-12
 * meta-schema, operationIds fit for LLM function names and unique, component names legal.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import type { JsonSchema } from '../../src/openapi/json-schema.js';

type FormatsPlugin = (ajv: Ajv2020) => Ajv2020;
const addFormats = ((formatsModule as unknown as { default?: FormatsPlugin }).default ?? formatsModule) as unknown as FormatsPlugin;

const metaAjv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

/** Keywords whose values are data, where a `{$ref}` object would be a value, not a reference. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'example']);
/** Keywords whose values map arbitrary names to schemas (a property may be named `default`). */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'dependentSchemas', 'schemas']);

export async function documentProblems(document: Record<string, unknown>): Promise<string[]> {
  const problems: string[] = [];
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document));
  if (!result.valid) problems.push(`not valid OpenAPI: ${JSON.stringify(result.errors).slice(0, 2000)}`);
  else if (validator.version !== '3.1') problems.push(`OpenAPI version ${validator.version}, expected 3.1`);

  for (const { ref, at } of refsIn(document, '', false)) {
    if (!ref.startsWith('#/components/')) problems.push(`${at}: $ref ${ref} is not under #/components/`);
    else if (resolvePointer(document, ref.slice(1)) === undefined) problems.push(`${at}: $ref ${ref} does not resolve`);
  }

  for (const { schema, at } of schemasIn(document)) {
    if (!metaAjv.validateSchema(schema as object | boolean)) {
      problems.push(`${at}: not a valid 2020-12 schema: ${metaAjv.errorsText(metaAjv.errors)}`);
    }
  }

  const ids = operationIds(document);
  for (const id of ids) if (!/^[a-zA-Z0-9_-]{1,64}$/.test(id)) problems.push(`operationId ${JSON.stringify(id)} is not a safe function name`);
  if (new Set(ids).size !== ids.length) problems.push(`duplicate operationIds: ${ids.join(', ')}`);

  const components = (document.components as { schemas?: Record<string, unknown> } | undefined)?.schemas ?? {};
  for (const name of Object.keys(components)) {
    if (!/^[a-zA-Z0-9._-]+$/.test(name)) problems.push(`component name ${JSON.stringify(name)} is not allowed`);
  }
  return problems;
}

export function operationIds(document: Record<string, unknown>): string[] {
  return Object.values(document.paths as Record<string, Record<string, { operationId?: string }>>).flatMap((item) =>
    Object.values(item).flatMap((operation) => (operation.operationId === undefined ? [] : [operation.operationId])),
  );
}

/** Every `$ref` string in the document, outside data keywords. */
export function refsIn(node: unknown, at: string, inSchemaMap: boolean): Array<{ ref: string; at: string }> {
  if (Array.isArray(node)) return node.flatMap((item, index) => refsIn(item, `${at}/${index}`, false));
  if (typeof node !== 'object' || node === null) return [];
  const found: Array<{ ref: string; at: string }> = [];
  for (const [key, value] of Object.entries(node)) {
    if (!inSchemaMap && key === '$ref' && typeof value === 'string') found.push({ ref: value, at });
    else if (inSchemaMap || !DATA_KEYWORDS.has(key)) found.push(...refsIn(value, `${at}/${key}`, !inSchemaMap && SCHEMA_MAPS.has(key)));
  }
  return found;
}

/** The top-level schemas of the document: components, request bodies, responses, parameters. */
function schemasIn(document: Record<string, unknown>): Array<{ schema: unknown; at: string }> {
  const found: Array<{ schema: unknown; at: string }> = [];
  const components = (document.components as { schemas?: Record<string, unknown> } | undefined)?.schemas ?? {};
  for (const [name, schema] of Object.entries(components)) found.push({ schema, at: `#/components/schemas/${name}` });
  for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, Record<string, unknown>>>)) {
    for (const [method, operation] of Object.entries(item)) {
      const at = `${method.toUpperCase()} ${path}`;
      const body = operation.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined;
      for (const [type, media] of Object.entries(body?.content ?? {})) found.push({ schema: media.schema, at: `${at} body ${type}` });
      for (const [status, response] of Object.entries((operation.responses ?? {}) as Record<string, { content?: Record<string, { schema?: unknown }> }>)) {
        for (const [type, media] of Object.entries(response.content ?? {})) found.push({ schema: media.schema, at: `${at} ${status} ${type}` });
      }
      for (const parameter of (operation.parameters ?? []) as Array<{ name: string; schema?: unknown }>) {
        found.push({ schema: parameter.schema, at: `${at} parameter ${parameter.name}` });
      }
    }
  }
  return found.filter((entry) => entry.schema !== undefined);
}

export function resolvePointer(root: unknown, pointer: string): unknown {
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/**
 * A validator for a converted schema that may refer to `#/components/schemas/...`: the
 * components are placed where those refs point, inside the compiled schema itself.
 */
export function compileConverted(schema: JsonSchema, components: Record<string, JsonSchema>): (data: unknown) => boolean {
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  const root = typeof schema === 'boolean' ? { allOf: [schema] } : schema;
  const validate = ajv.compile({ ...root, components: { schemas: components } });
  return (data) => validate(data) as boolean;
}
