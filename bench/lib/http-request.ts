/**
 * The HTTP the lean MCP clients speak: `node:http` on keep-alive connections, the cheapest client
 * Node has, so that the benchmark process (which shares the machine with the gateway) spends as
 * little CPU per call as it can and the figures show the gateway's own cost.
 *
 * @module
 */
import { Agent, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { CallTimeoutError } from './call-loop.js';

/** How long a call may wait for its answer before it counts as a timeout (autocannon's default too). */
export const CALL_TIMEOUT_MS = 10_000;

/** One pool of kept-alive sockets for every lean session: N calls in flight use N sockets, reused call after call. */
const agent = new Agent({ keepAlive: true });

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends one request and reads the whole answer (a POST's SSE body ends once its answers are sent). */
export function httpRequest(url: URL, method: string, headers: Record<string, string>, body?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const sent = request(
      url,
      { method, agent, timeout: CALL_TIMEOUT_MS, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (response) => {
        response.setEncoding('utf8');
        let text = '';
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
        response.on('error', reject);
      },
    );
    sent.on('timeout', () => sent.destroy(new CallTimeoutError(`no answer within ${CALL_TIMEOUT_MS} ms to ${method} ${url.pathname}`)));
    sent.on('error', reject);
    sent.end(body);
  });
}

/** Opens a long-lived response (an event stream) and resolves once its headers have arrived. */
export function openStream(url: URL, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method: 'GET', agent, headers }, resolve);
    sent.on('error', reject);
    sent.end();
  });
}
