/**
 * The fixed parts of every document's `components`: the error bodies the REST frontend answers
 * with, the MCP result shapes of the resource and prompt operations, and the security schemes.
 *
 * The error shapes are FastAPI's, as mcpo sends them, because OpenAPI clients of mcpo already
 * parse those. None of these names contains `_`, and every hoisted tool schema's name does
 * (`<operationId>_<def>`), so the two can never clash.
 *
 * @module
 */
import type { JsonSchema } from './json-schema.js';

export type SecurityMode = 'none' | 'bearer' | 'bearer-or-basic';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** A fresh object each time: documents are handed out and must not share mutable parts. */
const string = () => ({ type: 'string' });

/** Error bodies: always present, every operation refers to some of them. */
export function errorSchemas(security: SecurityMode): Record<string, JsonSchema> {
  const schemas: Record<string, JsonSchema> = {
    ValidationError: {
      title: 'ValidationError',
      type: 'object',
      required: ['loc', 'msg', 'type'],
      properties: {
        loc: { title: 'Location', type: 'array', items: { anyOf: [string(), { type: 'integer' }] } },
        msg: { title: 'Message', type: 'string' },
        type: { title: 'Error Type', type: 'string' },
        input: { title: 'Input' },
        ctx: { title: 'Context', type: 'object' },
      },
    },
    HTTPValidationError: {
      title: 'HTTPValidationError',
      type: 'object',
      properties: { detail: { title: 'Detail', type: 'array', items: ref('ValidationError') } },
    },
    ErrorResponse: {
      title: 'ErrorResponse',
      type: 'object',
      required: ['detail'],
      properties: {
        detail: {
          type: 'object',
          required: ['message'],
          properties: {
            message: { type: 'string', description: 'What went wrong, in words.' },
            // A gateway error code (UPSTREAM_TIMEOUT, ...) or the upstream's JSON-RPC error code.
            code: { type: ['string', 'integer'], description: 'The gateway error code, or the JSON-RPC error code of the upstream.' },
            data: { description: "The upstream error's data, or a failing tool's structuredContent." },
          },
        },
      },
    },
    PlainError: {
      title: 'PlainError',
      type: 'object',
      required: ['detail'],
      properties: { detail: { type: 'string' } },
    },
  };
  if (security !== 'none') {
    schemas.AuthError = {
      title: 'AuthError',
      type: 'object',
      required: ['detail'],
      properties: { detail: { type: 'string', description: 'Why the credentials were refused.' } },
    };
  }
  return schemas;
}

/** Shapes of the resource operations' results (MCP `Resource`, `ResourceTemplate`, `ReadResourceResult`). */
export function resourceSchemas(): Record<string, JsonSchema> {
  return {
    McpResource: {
      type: 'object',
      required: ['uri', 'name'],
      properties: {
        uri: string(),
        name: string(),
        title: string(),
        description: string(),
        mimeType: string(),
        size: { type: 'integer', description: 'Size in bytes, when the server knows it.' },
      },
    },
    McpResourceTemplate: {
      type: 'object',
      required: ['uriTemplate', 'name'],
      properties: {
        uriTemplate: { type: 'string', description: 'An RFC 6570 URI template.' },
        name: string(),
        title: string(),
        description: string(),
        mimeType: string(),
      },
    },
    McpResourceList: {
      type: 'object',
      required: ['resources', 'resourceTemplates'],
      properties: {
        resources: { type: 'array', items: ref('McpResource') },
        resourceTemplates: { type: 'array', items: ref('McpResourceTemplate') },
      },
    },
    McpResourceContents: {
      type: 'object',
      required: ['uri'],
      properties: {
        uri: string(),
        mimeType: string(),
        text: { type: 'string', description: 'The contents, for a text resource.' },
        blob: { type: 'string', contentEncoding: 'base64', description: 'The contents, base64, for a binary resource.' },
      },
    },
    McpReadResourceResult: {
      type: 'object',
      required: ['contents'],
      properties: { contents: { type: 'array', items: ref('McpResourceContents') } },
    },
  };
}

/** Shapes of the prompt operations' results (MCP `Prompt`, `GetPromptResult`). */
export function promptSchemas(): Record<string, JsonSchema> {
  return {
    McpPromptArgument: {
      type: 'object',
      required: ['name'],
      properties: { name: string(), title: string(), description: string(), required: { type: 'boolean' } },
    },
    McpPrompt: {
      type: 'object',
      required: ['name'],
      properties: { name: string(), title: string(), description: string(), arguments: { type: 'array', items: ref('McpPromptArgument') } },
    },
    McpPromptList: {
      type: 'object',
      required: ['prompts'],
      properties: { prompts: { type: 'array', items: ref('McpPrompt') } },
    },
    McpPromptMessage: {
      type: 'object',
      required: ['role', 'content'],
      properties: {
        role: { type: 'string', enum: ['user', 'assistant'] },
        content: {
          type: 'object',
          required: ['type'],
          description: 'An MCP content block: text, image, audio, resource_link or resource.',
          properties: { type: string() },
        },
      },
    },
    McpGetPromptResult: {
      type: 'object',
      required: ['messages'],
      properties: { description: string(), messages: { type: 'array', items: ref('McpPromptMessage') } },
    },
  };
}

/** `components.securitySchemes` and the `security` requirement of every operation. */
export function securityOf(security: SecurityMode): {
  schemes: Record<string, unknown> | undefined;
  requirement: Array<Record<string, string[]>> | undefined;
} {
  if (security === 'none') return { schemes: undefined, requirement: undefined };
  if (security === 'bearer') {
    return { schemes: { HTTPBearer: { type: 'http', scheme: 'bearer' } }, requirement: [{ HTTPBearer: [] }] };
  }
  return {
    schemes: { HTTPBearer: { type: 'http', scheme: 'bearer' }, HTTPBasic: { type: 'http', scheme: 'basic' } },
    requirement: [{ HTTPBearer: [] }, { HTTPBasic: [] }],
  };
}
