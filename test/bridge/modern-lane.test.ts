/**
 * 2026-07-28 requests to a server that speaks that era reach it in that era, so its
 * `input_required` rounds pass through unchanged: its own input keys and `requestState`, the
 * request's own capabilities. The server is the conformance fixture (both eras): over streamable
 * HTTP (the lane beside the session-era connection), over HTTP pinned to the session era
 * (`"protocol": "2025-11-25"`: translated instead), and as a stdio child started in the
 * 2026-07-28 era (`"protocol": "2026-07-28"`). Raw `fetch` requests, so the wire is what is
 * checked.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startConformanceHttpServer } from '../fixtures/conformance-server.js';
import { httpConfig, stdioConfig } from '../helpers/fixtures.js';
import { messagesOf, startBridgeGateway } from './bridge-gateway.js';

const MODERN = '2026-07-28';
const fixturePath = fileURLToPath(new URL('../fixtures/conformance-server.ts', import.meta.url));
const tsxLoaderUrl = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const fixture = await startConformanceHttpServer();
const gateway = await startBridgeGateway(
  [
    httpConfig(fixture.url, { name: 'both' }),
    httpConfig(fixture.url, { name: 'sessions', protocol: '2025-11-25' }),
    stdioConfig({ name: 'child', args: ['--import', tsxLoaderUrl, fixturePath, '--stdio'], protocol: '2026-07-28' }),
  ],
  { mode: 'multi' },
);
afterAll(() => fixture.close());

let nextId = 1;

/** A bare 2026-07-28 `tools/call`, declaring `capabilities`; resolves with its one JSON-RPC answer. */
async function callTool(server: string, name: string, capabilities: Record<string, unknown>, retry: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(`${gateway.url}/${server}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: nextId++,
      method: 'tools/call',
      params: {
        name,
        arguments: {},
        ...retry,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientInfo': { name: 'raw-client', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': capabilities,
        },
      },
    }),
  });
  const messages = await messagesOf(response);
  return messages.find((message) => 'result' in message || 'error' in message);
}

const ELICITATION = { elicitation: {} };
const accept = (content: Record<string, unknown>) => ({ action: 'accept', content });

describe.each(['both', 'child'])('a server that speaks 2026-07-28 (%s)', (server) => {
  it("passes the server's own input keys through, and its answer to the retry", async () => {
    const first = await callTool(server, 'test_input_required_result_elicitation', ELICITATION);
    expect(first.result.resultType).toBe('input_required');
    expect(Object.keys(first.result.inputRequests)).toEqual(['user_name']);
    expect(first.result.inputRequests.user_name.method).toBe('elicitation/create');
    const second = await callTool(server, 'test_input_required_result_elicitation', ELICITATION, { inputResponses: { user_name: accept({ name: 'Ada' }) } });
    expect(second.result.resultType).toBe('complete');
    expect(second.result.content).toEqual([{ type: 'text', text: 'Hello, Ada!' }]);
  });

  it("passes the server's requestState through every round, and the server checks it itself", async () => {
    const tool = 'test_input_required_result_multi_round';
    const first = await callTool(server, tool, ELICITATION);
    expect(Object.keys(first.result.inputRequests)).toEqual(['step1']);
    const second = await callTool(server, tool, ELICITATION, { requestState: first.result.requestState, inputResponses: { step1: accept({ name: 'Ada' }) } });
    expect(Object.keys(second.result.inputRequests)).toEqual(['step2']);
    expect(second.result.requestState).not.toBe(first.result.requestState);
    const third = await callTool(server, tool, ELICITATION, { requestState: second.result.requestState, inputResponses: { step2: accept({ color: 'green' }) } });
    expect(third.result.content).toEqual([{ type: 'text', text: 'Done: "Ada" likes "green"' }]);

    // A state the fixture did not sign is refused by the fixture (the gateway never gave it).
    const tampered = await callTool(server, 'test_input_required_result_tampered_state', ELICITATION, { requestState: 'not-signed-by-the-server', inputResponses: {} });
    expect(tampered.error).toBeDefined();
    expect(tampered.error.message).not.toMatch(/no call of this gateway is waiting/);
  });

  it("lets the server see the request's own capabilities", async () => {
    const samplingOnly = await callTool(server, 'test_input_required_result_capabilities', { sampling: {} });
    expect(Object.keys(samplingOnly.result.inputRequests)).toEqual(['greeting']);
    const rootsAndElicitation = await callTool(server, 'test_input_required_result_capabilities', { roots: {}, elicitation: {} });
    expect(Object.keys(rootsAndElicitation.result.inputRequests).sort()).toEqual(['client_roots', 'user_name']);
  });
});

describe('the same server pinned to the session era ("protocol": "2025-11-25")', () => {
  it('is translated: the input keys and requestState are the gateway\'s, and a state it did not give is refused', async () => {
    const first = await callTool('sessions', 'test_input_required_result_elicitation', ELICITATION);
    expect(first.result.resultType).toBe('input_required');
    const keys = Object.keys(first.result.inputRequests);
    expect(keys).toHaveLength(1);
    expect(keys).not.toContain('user_name');
    const second = await callTool('sessions', 'test_input_required_result_elicitation', ELICITATION, {
      requestState: first.result.requestState,
      inputResponses: { [keys[0]!]: accept({ name: 'Grace' }) },
    });
    expect(second.result.content).toEqual([{ type: 'text', text: 'Hello, Grace!' }]);

    const foreign = await callTool('sessions', 'test_input_required_result_elicitation', ELICITATION, { requestState: 'from-elsewhere', inputResponses: {} });
    expect(foreign.error).toMatchObject({ code: -32602, message: expect.stringContaining('Invalid or expired requestState') });
  });
});
