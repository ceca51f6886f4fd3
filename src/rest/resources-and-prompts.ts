/**
 * What mcpo refuses and its users ask for: a server's resources and prompts over REST.
 *
 * - `GET  /resources`              → `{resources, resourceTemplates}` as last listed
 * - `GET  /resources/read?uri=…`   → the MCP `ReadResourceResult` (`{contents: [...]}`)
 * - `GET  /prompts`                → `{prompts}` as last listed
 * - `POST /prompts/{name}`         → the MCP `GetPromptResult`; the body holds the prompt's arguments
 *
 * @module
 */
import type { Context } from 'hono';
import { callerGone } from '../http/caller-gone.js';
import type { Upstream } from '../upstream/upstream.js';
import { failureFromError, validationFailure, type ValidationIssue } from './errors.js';
import { requestThroughHooks, restHookContext } from './hooked-request.js';
import { readJsonBody } from './request-body.js';
import { missingEntryFailure, respond, type RestCallContext } from './tool-call.js';

export function handleListResources(c: Context, upstream: Upstream): Response {
  const { resources, resourceTemplates } = upstream.catalog;
  return c.json({ resources, resourceTemplates });
}

export function handleListPrompts(c: Context, upstream: Upstream): Response {
  return c.json({ prompts: upstream.catalog.prompts });
}

export async function handleReadResource(c: Context, upstream: Upstream, context: RestCallContext): Promise<Response> {
  const uri = c.req.query('uri');
  if (uri === undefined || uri === '') {
    return respond(c, validationFailure([{ type: 'missing', loc: ['query', 'uri'], msg: 'Field required' }]));
  }
  try {
    const result = await requestThroughHooks(context.hooks, restHookContext(c, upstream), 'resources/read', { uri }, (params) =>
      upstream.readResource(String(params.uri), { signal: callerGone(c) }),
    );
    return c.json(result);
  } catch (error) {
    return respond(c, failureFromError(error));
  }
}

export async function handleGetPrompt(c: Context, upstream: Upstream, promptName: string, context: RestCallContext): Promise<Response> {
  const prompt = context.indexes.of(upstream.catalog).prompts.get(promptName);
  if (!prompt) return respond(c, missingEntryFailure(upstream, 'prompt', promptName));
  const body = await readJsonBody(c.req.raw, context.maxBodyBytes);
  if (!body.ok) return respond(c, body.failure);
  const checked = promptArguments(body.value ?? {}, prompt.arguments ?? []);
  if (!checked.ok) return respond(c, validationFailure(checked.issues));
  try {
    const result = await requestThroughHooks(context.hooks, restHookContext(c, upstream), 'prompts/get', { name: prompt.name, arguments: checked.value }, (params) =>
      upstream.getPrompt(String(params.name), params.arguments as Record<string, string> | undefined, { signal: callerGone(c) }),
    );
    return c.json(result);
  } catch (error) {
    return respond(c, failureFromError(error));
  }
}

type PromptArgument = { name: string; required?: boolean };

/**
 * Prompt arguments are strings in MCP. Numbers and booleans are turned into their text (one
 * meaning); objects, arrays and nulls are refused, as are missing required arguments.
 */
function promptArguments(
  body: unknown,
  declared: PromptArgument[],
): { ok: true; value: Record<string, string> } | { ok: false; issues: ValidationIssue[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, issues: [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object', input: body }] };
  }
  const issues: ValidationIssue[] = [];
  const value: Record<string, string> = {};
  for (const [name, given] of Object.entries(body)) {
    if (typeof given === 'string') value[name] = given;
    else if (typeof given === 'number' || typeof given === 'boolean') value[name] = String(given);
    else issues.push({ type: 'string_type', loc: ['body', name], msg: 'Input should be a valid string', input: given });
  }
  for (const argument of declared) {
    if (argument.required && !(argument.name in value) && !issues.some((issue) => issue.loc[1] === argument.name)) {
      issues.push({ type: 'missing', loc: ['body', argument.name], msg: 'Field required', input: body });
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value };
}
