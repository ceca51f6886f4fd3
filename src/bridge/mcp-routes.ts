/**
 * Where the MCP endpoints live. One server: `/mcp`, `/sse` and `/messages` at the root. A config
 * file: the same under `/{server}/` for each server, and at the root the aggregated endpoint. They are mounted before the REST routes, so
 * a tool named `mcp`, `sse` or `messages` does not hide them (its REST route is reachable under
 * `--path-prefix`).
 *
 * @module
 */
import { Hono, type Context } from 'hono';
import { answersEveryRequest } from '../http/remembering-router.js';
import { remoteAddressOf } from '../http/remote-address.js';
import { AGGREGATE_SERVER, type Bridge } from './bridge.js';
import { jsonRpcHttpError } from './http-answers.js';
import { JsonRpcErrorCode } from './json-rpc.js';
import { openSseSession, postSseMessage } from './sse-endpoint.js';
import { serveStreamableHttp } from './streamable-http-endpoint.js';

export interface McpRoutesOptions {
  bridge: Bridge;
  /** `single`: the endpoints of `singleServer` at the root; `multi`: one set per server. */
  mode: 'single' | 'multi';
  singleServer: string | undefined;
  maxBodyBytes: number;
  /**
   * Checks every MCP request passes first (Host/Origin, API key): each answers the refusal, or
   * undefined to let the request through. Run by the endpoints' handlers rather than mounted as
   * middleware: each middleware layer costs every request an async step of Hono's.
   */
  checks: Array<(c: Context) => Response | undefined>;
}

export function mcpRoutes(options: McpRoutesOptions): Hono {
  const app = new Hono();
  const { bridge, checks } = options;
  const endpointOptions = { bridge, maxBodyBytes: options.maxBodyBytes };

  const mount = (prefix: string, serverOf: (param: string | undefined) => string | undefined): void => {
    const withServer = (serve: (request: Request, server: string, address: string | undefined) => Response | Promise<Response>) =>
      answersEveryRequest((c: Context) => {
        for (const check of checks) {
          const refusal = check(c);
          if (refusal !== undefined) return refusal;
        }
        const server = serverOf(c.req.param('server'));
        if (server === undefined || !bridge.hasServer(server)) {
          return jsonRpcHttpError(404, JsonRpcErrorCode.ServerError, `no MCP server named "${c.req.param('server')}"`);
        }
        return serve(c.req.raw, server, remoteAddressOf(c));
      });
    app.all(`${prefix}/mcp`, withServer((request, server, address) => serveStreamableHttp(request, server, endpointOptions, address)));
    app.get(`${prefix}/sse`, withServer((_request, server, address) => openSseSession(server, endpointOptions, address)));
    app.post(`${prefix}/messages`, withServer((request, server) => postSseMessage(request, server, endpointOptions)));
  };

  if (options.mode === 'single') mount('', () => options.singleServer);
  else {
    // Every server's tools, prompts and resources as one MCP server.
    mount('', () => AGGREGATE_SERVER);
    mount('/:server', (name) => name);
  }
  return app;
}
