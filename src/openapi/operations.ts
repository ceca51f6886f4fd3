/**
 * One OpenAPI operation object per tool, prompt and resource endpoint.
 *
 * What LLM bridges read from an operation (Open WebUI: `operationId` as the function name,
 * `description` or else `summary` as its description, the JSON body's top-level `properties` as
 * its parameters) is filled with care; the `x-mcp-*` extensions let any other client map an
 * operation back to the MCP tool or prompt it calls.
 *
 * @module
 */
import type { Prompt, Tool } from '@modelcontextprotocol/client';
import { isJsonObject, setKey, type JsonObject, type JsonSchema } from './json-schema.js';
import { requestBodyPolicy } from './request-body.js';
import { cachedListResponses, toolResponses, upstreamCallResponses } from './responses.js';
import { toOpenApiSchema } from './schema.js';
import { titleCase } from './title-case.js';
import type { SecurityMode } from './components.js';

type Operation = Record<string, unknown>;

export interface OperationContext {
  server: string;
  operationId: string;
  security: SecurityMode;
  securityRequirement: Array<Record<string, string[]>> | undefined;
  /** Tag the operation with its server (aggregated documents). */
  tagged: boolean;
  /** The document's `components.schemas`, where hoisted recursive schemas go. */
  components: Record<string, JsonSchema>;
}

export function toolOperation(tool: Tool, context: OperationContext): Operation {
  // Servers are not trusted to send what the MCP types promise: read everything defensively.
  const loose = tool as Partial<Tool>;
  const inputSchema: unknown = loose.inputSchema;
  const body = requestBodyPolicy(inputSchema);
  const outputSchema =
    isJsonObject(loose.outputSchema) || typeof loose.outputSchema === 'boolean'
      ? toOpenApiSchema(loose.outputSchema as JsonSchema, { componentPrefix: `${context.operationId}_output_`, components: context.components })
      : undefined;
  const operation = head(context, nonEmpty(loose.title) ?? nonEmpty(loose.annotations?.title) ?? titleCase(String(loose.name ?? '')), loose.description);
  if (body.present) {
    operation.requestBody = {
      required: body.required,
      content: {
        'application/json': {
          schema: toOpenApiSchema(inputSchema as JsonSchema, { componentPrefix: `${context.operationId}_`, components: context.components }),
        },
      },
    };
  }
  // The route reads and checks whatever body is sent, even to a tool without parameters.
  operation.responses = toolResponses(outputSchema, { security: context.security, readsBody: true, validatesInput: true });
  return tail(operation, context, { 'x-mcp-tool': loose.name, 'x-mcp-annotations': isJsonObject(loose.annotations) ? { ...loose.annotations } : undefined });
}

export function promptOperation(prompt: Prompt, context: OperationContext): Operation {
  const loose = prompt as Partial<Prompt>;
  const args = (Array.isArray(loose.arguments) ? loose.arguments : []).filter((argument) => typeof argument?.name === 'string');
  const operation = head(context, nonEmpty(loose.title) ?? titleCase(String(loose.name ?? '')), loose.description);
  if (args.length > 0) {
    const properties: JsonObject = {};
    for (const argument of args) {
      setKey(properties, argument.name, typeof argument.description === 'string' ? { type: 'string', description: argument.description } : { type: 'string' });
    }
    const required = [...new Set(args.filter((argument) => argument.required === true).map((argument) => argument.name))];
    const schema: JsonObject = { type: 'object', properties };
    if (required.length > 0) schema.required = required;
    operation.requestBody = { required: required.length > 0, content: { 'application/json': { schema } } };
  }
  operation.responses = upstreamCallResponses(
    'McpGetPromptResult',
    'The prompt, as the MCP GetPromptResult: its messages with the arguments filled in.',
    { security: context.security, readsBody: true, validatesInput: true },
    { '404': 'The prompt is not (or no longer) offered by the server.', '500': 'The server answered with an error.' },
  );
  return tail(operation, context, { 'x-mcp-prompt': loose.name });
}

export function listResourcesOperation(context: OperationContext): Operation {
  const operation = head(context, 'List Resources', `Lists the resources and resource templates that the MCP server "${context.server}" offers.`);
  operation.responses = cachedListResponses('McpResourceList', 'The resources and resource templates, as last listed.', context.security);
  return tail(operation, context, {});
}

export function readResourceOperation(context: OperationContext): Operation {
  const operation = head(context, 'Read Resource', `Reads one resource of the MCP server "${context.server}" by its URI.`);
  operation.parameters = [
    {
      name: 'uri',
      in: 'query',
      required: true,
      description: 'The URI of the resource: one from the resource list, or one built from a resource template.',
      schema: { type: 'string' },
    },
  ];
  operation.responses = upstreamCallResponses(
    'McpReadResourceResult',
    "The resource's contents, as the MCP ReadResourceResult.",
    { security: context.security, readsBody: false, validatesInput: true },
    {
      '404': 'The server does not serve resources (JSON-RPC method not found).',
      '500': 'The server answered with an error, for example that no resource has that URI.',
    },
  );
  return tail(operation, context, {});
}

export function listPromptsOperation(context: OperationContext): Operation {
  const operation = head(context, 'List Prompts', `Lists the prompts that the MCP server "${context.server}" offers.`);
  operation.responses = cachedListResponses('McpPromptList', 'The prompts, as last listed.', context.security);
  return tail(operation, context, {});
}

function head(context: OperationContext, summary: string, description: unknown): Operation {
  const operation: Operation = {};
  if (context.tagged) operation.tags = [context.server];
  operation.summary = summary;
  if (typeof description === 'string' && description !== '') operation.description = description;
  operation.operationId = context.operationId;
  return operation;
}

function tail(operation: Operation, context: OperationContext, extensions: Record<string, unknown>): Operation {
  if (context.securityRequirement) operation.security = context.securityRequirement.map((requirement) => ({ ...requirement }));
  operation['x-mcp-server'] = context.server;
  for (const [key, value] of Object.entries(extensions)) if (value !== undefined) operation[key] = value;
  return operation;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
