/**
 * The `responses` of each kind of operation: the success body, and every error status the REST
 * frontend can answer with for it, each pointing at its body shape in `components`.
 *
 * @module
 */
import type { JsonSchema } from './json-schema.js';
import type { SecurityMode } from './components.js';

type Responses = Record<string, unknown>;

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

export const TOOL_RESULT_DESCRIPTION =
  "The tool's result: its structuredContent when it sends one; otherwise its content, with text parsed as JSON " +
  'when it is JSON, images and audio as data: URLs, embedded resources as their text or a data: URL, and resource ' +
  'links as objects. A single content item is returned bare, several as a list.';

export const STRUCTURED_RESULT_DESCRIPTION = "The tool's structuredContent, as its outputSchema describes it.";

const STREAM_DESCRIPTION =
  ' When the request sends `Accept: text/event-stream`, the answer is instead a stream of progress and log events, ' +
  'then the result.';

export interface ResponseOptions {
  security: SecurityMode;
  /** The route reads a JSON body when one is sent (even where none is documented), so its size (413),
   *  media type (415) and syntax (422) are checked. */
  readsBody: boolean;
  /** The operation's input (body or query) is validated, so it can be refused as invalid (422). */
  validatesInput: boolean;
}

export interface ErrorTexts {
  '404': string;
  '500': string;
}

/** 200 for a tool: JSON (or a progress stream), then the errors of a tool call. */
export function toolResponses(outputSchema: JsonSchema | undefined, options: ResponseOptions): Responses {
  return {
    '200': {
      description: (outputSchema === undefined ? TOOL_RESULT_DESCRIPTION : STRUCTURED_RESULT_DESCRIPTION) + STREAM_DESCRIPTION,
      content: {
        ...json(outputSchema ?? {}),
        'text/event-stream': { schema: { type: 'string' } },
      },
    },
    ...upstreamErrorResponses(options, {
      '404': 'The tool is not (or no longer) offered by the server.',
      '500':
        'The tool reported an error (isError: detail.message holds its text, detail.data its structuredContent), ' +
        'or the server answered with a JSON-RPC error (detail.code and detail.data hold its code and data).',
    }),
  };
}

/** 200 with an MCP result shape, then the errors of a request the gateway forwards upstream. */
export function upstreamCallResponses(resultSchema: string, description: string, options: ResponseOptions, texts: ErrorTexts): Responses {
  return {
    '200': { description, content: json(schemaRef(resultSchema)) },
    ...upstreamErrorResponses(options, texts),
  };
}

/** 200 with a list the gateway keeps (as last listed), so no upstream failure can occur. */
export function cachedListResponses(resultSchema: string, description: string, security: SecurityMode): Responses {
  return { '200': { description, content: json(schemaRef(resultSchema)) }, ...authResponses(security) };
}

function authResponses(security: SecurityMode): Responses {
  if (security === 'none') return {};
  return {
    '401': { description: 'Missing or wrong credentials.', content: json(schemaRef('AuthError')) },
    '403': { description: 'The credentials do not allow this.', content: json(schemaRef('AuthError')) },
  };
}

function upstreamErrorResponses(options: ResponseOptions, texts: ErrorTexts): Responses {
  const error = (description: string) => ({ description, content: json(schemaRef('ErrorResponse')) });
  const plain = (description: string) => ({ description, content: json(schemaRef('PlainError')) });
  const responses: Responses = {
    '400': error('The server refused the request as malformed (a JSON-RPC parse error or invalid request).'),
    ...authResponses(options.security),
    '404': error(texts['404']),
  };
  if (options.readsBody) {
    responses['413'] = plain('The request body is larger than the limit.');
    responses['415'] = plain("The request's Content-Type is not JSON.");
  }
  if (options.readsBody || options.validatesInput) {
    responses['422'] = {
      description: 'The body is not valid JSON, or the input does not match the schema; each entry of detail names a field (FastAPI shape).',
      content: json(schemaRef('HTTPValidationError')),
    };
  }
  responses['500'] = error(texts['500']);
  responses['502'] = error('The server closed the connection during the call (a stdio server died); it is being restarted.');
  responses['503'] = {
    ...error('The server is starting, restarting or down; retry after the number of seconds in Retry-After.'),
    headers: { 'Retry-After': { description: 'Seconds after which a retry may succeed.', schema: { type: 'integer' } } },
  };
  responses['504'] = error('The server did not answer within its timeout; the request was cancelled.');
  return responses;
}
