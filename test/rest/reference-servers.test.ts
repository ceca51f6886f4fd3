/**
 * The REST frontend in front of the four reference MCP servers (everything, filesystem, memory,
 * sequential-thinking), each a real stdio child: every document is valid OpenAPI 3.1, and every
 * tool operation, called with a body built from its own documented schema, reaches its server.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everythingServerPath, stdioConfig } from '../helpers/fixtures.js';
import { compileConverted, documentProblems } from '../helpers/openapi-document.js';
import { sampleFromSchema } from '../helpers/sample-from-schema.js';
import type { JsonSchema } from '../../src/openapi/json-schema.js';
import { post, startRestGateway, type RunningRestGateway } from './rest-gateway.js';

const packages = fileURLToPath(new URL('../../node_modules/@modelcontextprotocol/', import.meta.url));
const SERVERS = ['everything', 'filesystem', 'memory', 'thinking'] as const;

/**
 * Tools not called, by `server/tool`, and not offered: server-everything registers these only for
 * clients that declare task-augmented sampling or elicitation, which the gateway does not.
 */
const SKIPPED: Record<string, string> = {
  'everything/trigger-sampling-request-async': 'asks the client for an LLM completion as a task (sampling)',
  'everything/trigger-elicitation-request-async': 'asks the user for input as a task (elicitation)',
};

/** Arguments laid over the generated body, and why. */
const OVERRIDES: Record<string, Record<string, unknown>> = {
  // It sleeps `duration` seconds (10 by default) in `steps` steps.
  'everything/trigger-long-running-operation': { duration: 0.2, steps: 2 },
  // The request path (not the JSON-RPC error path), so the gateway's refusal is what comes back.
  'everything/trigger-url-elicitation': { errorPath: false },
};

/**
 * Tools whose server answers every call this gateway can make with an error result, and its
 * message. The call reached the server, which is what this test checks; the refusal is the server's.
 * The gateway declares sampling and elicitation upstream so that MCP clients can answer them; a
 * REST caller cannot, and the server reports the gateway's refusal.
 */
const EXPECTED_TOOL_ERRORS: Record<string, RegExp> = {
  'everything/trigger-sampling-request': /no MCP client that supports sampling is waiting/,
  'everything/trigger-elicitation-request': /no MCP client that supports elicitation is waiting/,
  'everything/trigger-url-elicitation': /no MCP client that supports elicitation is waiting/,
};

/**
 * Tools with `execution.taskSupport: "required"` accept only task-augmented calls, which a REST
 * call is not: they are left out of the documents and a call answers 501 naming the reason.
 */
const TASK_ONLY = ['everything/simulate-research-query'];

let gateway: RunningRestGateway;
let sandbox: string;
let files: string;

beforeAll(async () => {
  // realpath: the filesystem server compares resolved paths, and the temp dir may be a symlink.
  sandbox = realpathSync(mkdtempSync(join(tmpdir(), 'mcpgate-reference-')));
  files = join(sandbox, 'files');
  mkdirSync(join(files, 'sub'), { recursive: true });
  writeFileSync(join(files, 'notes.txt'), 'a sample note\nsecond line\n');
  writeFileSync(join(files, 'draft.txt'), 'draft\n');
  writeFileSync(join(files, 'sub', 'deeper.md'), '# sample\n');
  const timeoutMs = 5_000;
  gateway = await startRestGateway(
    [
      stdioConfig({ name: 'everything', args: [everythingServerPath, 'stdio'], timeoutMs }),
      stdioConfig({ name: 'filesystem', args: [join(packages, 'server-filesystem/dist/index.js'), files], timeoutMs }),
      stdioConfig({
        name: 'memory',
        args: [join(packages, 'server-memory/dist/index.js')],
        // Stdio children get a minimal environment; the memory file has to be given explicitly.
        env: { MEMORY_FILE_PATH: join(sandbox, 'memory.jsonl') },
        timeoutMs,
      }),
      stdioConfig({ name: 'thinking', args: [join(packages, 'server-sequential-thinking/dist/index.js')], timeoutMs }),
    ],
    { mode: 'multi' },
  );
  const states = Object.fromEntries([...gateway.gateway.upstreams].map(([name, upstream]) => [name, upstream.currentState]));
  expect(states).toEqual({ everything: 'ready', filesystem: 'ready', memory: 'ready', thinking: 'ready' });
});

afterAll(() => {
  if (sandbox) rmSync(sandbox, { recursive: true, force: true });
});

async function getDocument(path: string): Promise<Record<string, any>> {
  const response = await fetch(`${gateway.url}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as Record<string, any>;
}

interface ToolOperation {
  path: string;
  tool: string;
  operation: Record<string, any>;
}

function toolOperations(document: Record<string, any>): ToolOperation[] {
  return Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.values(item)
      .filter((operation) => typeof operation['x-mcp-tool'] === 'string')
      .map((operation) => ({ path, tool: operation['x-mcp-tool'] as string, operation })),
  );
}

describe('documents', () => {
  it('the aggregated document and every server document are valid OpenAPI 3.1 with resolving refs and safe, unique operationIds', async () => {
    for (const path of ['/openapi.json', ...SERVERS.map((server) => `/${server}/openapi.json`)]) {
      expect(await documentProblems(await getDocument(path)), path).toEqual([]);
    }
  });

  it("the aggregated document holds every server's tools at /{server}/{tool}", async () => {
    const aggregated = await getDocument('/openapi.json');
    for (const server of SERVERS) {
      const tools = toolOperations(await getDocument(`/${server}/openapi.json`));
      expect(tools.length, server).toBeGreaterThan(0);
      for (const { path, tool } of tools) {
        expect(aggregated.paths[`/${server}${path}`]?.post?.['x-mcp-tool'], `/${server}${path}`).toBe(tool);
      }
    }
  });
});

/** Path arguments of the filesystem server, inside its sandbox; a directory for the tools that take one. */
function sandboxPaths(tool: string): (property: string) => string | undefined {
  return (property) => {
    switch (property) {
      case 'path':
        if (tool === 'create_directory') return join(files, 'made');
        return /director|tree|search/.test(tool) ? files : join(files, 'notes.txt');
      case 'paths':
        return join(files, 'notes.txt');
      case 'source':
        return join(files, 'draft.txt');
      case 'destination':
        return join(files, 'moved.txt');
      default:
        return undefined;
    }
  };
}

/**
 * What is wrong with the answer to a call, or undefined when it shows the call reached the
 * server: 200 with a body that matches the documented result schema, or 500 with the tool's own
 * message (an `isError` result); for the tools in `EXPECTED_TOOL_ERRORS`, that error. Every answer's body
 * must also match what the operation documents for its status.
 */
function problemWith(
  key: string,
  operation: Record<string, any>,
  document: Record<string, any>,
  response: { status: number; body: any },
): string | undefined {
  const { status, body } = response;
  const documented = operation.responses?.[String(status)]?.content?.['application/json']?.schema as JsonSchema | undefined;
  if (documented === undefined) return `answered ${status}, which the operation does not document: ${JSON.stringify(body)}`;
  if (!compileConverted(documented, document.components?.schemas ?? {})(body)) {
    return `answered ${status} with a body its documented schema rejects: ${JSON.stringify(body).slice(0, 500)}`;
  }
  const detail = body?.detail;
  // A tool's isError result carries only its message (no gateway code, no JSON-RPC code).
  const toolError = status === 500 && typeof detail?.message === 'string' && detail.message !== '' && !('code' in detail) && !('error' in detail);
  const expectedError = EXPECTED_TOOL_ERRORS[key];
  if (expectedError) {
    return toolError && expectedError.test(detail.message) ? undefined : `expected the tool's error ${expectedError}, got ${status}: ${JSON.stringify(body)}`;
  }
  if (status === 200) return undefined;
  if (toolError) return undefined;
  return `did not reach the tool: ${status} ${JSON.stringify(body).slice(0, 500)}`;
}

describe('every tool, called with a body built from its documented schema, reaches its server', () => {
  it.each(SERVERS)('%s', async (server) => {
    const document = await getDocument(`/${server}/openapi.json`);
    const operations = toolOperations(document);
    expect(operations.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const { path, tool, operation } of operations) {
      const key = `${server}/${tool}`;
      if (SKIPPED[key]) continue;
      const schema = operation.requestBody?.content?.['application/json']?.schema;
      // Required properties and the top-level optional ones, so more of each schema is sent through
      // the gateway's validation. Some combinations are refused by the tool itself (the filesystem's
      // read tools take `head` or `tail`, not both): an error result, and the call did reach it.
      const generated =
        schema === undefined
          ? undefined
          : (sampleFromSchema(schema, { root: document, stringFor: server === 'filesystem' ? sandboxPaths(tool) : undefined }) as Record<string, unknown>);
      const body = OVERRIDES[key] ? { ...generated, ...OVERRIDES[key] } : generated;
      const response = await post(`${gateway.url}/${server}${path}`, body);
      const problem = problemWith(key, operation, document, response);
      if (problem) problems.push(`POST /${server}${path} ${JSON.stringify(body)}: ${problem}`);
    }
    expect(problems).toEqual([]);
  });

  it('the exception lists match what is offered: no skipped tool offered, every overridden or erring tool present', async () => {
    const offered = toolOperations(await getDocument('/everything/openapi.json')).map(({ tool }) => `everything/${tool}`);
    expect(offered.filter((key) => SKIPPED[key])).toEqual([]);
    for (const key of [...Object.keys(OVERRIDES), ...Object.keys(EXPECTED_TOOL_ERRORS)]) expect(offered).toContain(key);
  });

  it('task-only tools are not documented, and a call to one answers 501 saying why', async () => {
    const offered = toolOperations(await getDocument('/everything/openapi.json')).map(({ tool }) => `everything/${tool}`);
    for (const key of TASK_ONLY) {
      expect(offered).not.toContain(key);
      const response = await post(`${gateway.url}/${key}`, {});
      expect(response.status).toBe(501);
      expect(response.body.detail.message).toContain('runs only as a task');
    }
  });
});
