/**
 * The load: the clients, half REST and half MCP, calling until the phase's time is up; and the
 * probe before it, one call of each kind on each frontend, which must all succeed (nothing is
 * being killed yet), so that a broken setup is reported as such instead of as a thousand failures.
 *
 * @module
 */
import { oneCallOfEachKind } from './calls.js';
import { closeSession, MCP_ENDPOINTS, mcpCall, mcpClientLoop, openSession, type McpClientStats, type McpEndpoint } from './mcp-client.js';
import type { Tally } from './outcomes.js';
import { restCall, restClientLoop } from './rest-client.js';

export interface LoadSettings {
  baseUrl: string;
  clients: number;
  timeoutMs: number;
}

/** How the clients are split: the first half (rounded up) REST, the others MCP, spread over the endpoints in order. */
export function clientPlan(clients: number): { rest: number; mcp: McpEndpoint[] } {
  const rest = Math.ceil(clients / 2);
  const mcp = Array.from({ length: clients - rest }, (_, index) => MCP_ENDPOINTS[index % MCP_ENDPOINTS.length]!);
  return { rest, mcp };
}

/** Runs every client for `seconds`; resolves when each has finished its last call and ended its session. */
export async function runLoad(settings: LoadSettings, seconds: number, tally: Tally, mcpStats: McpClientStats): Promise<void> {
  const endAt = Date.now() + seconds * 1000;
  const running = (): boolean => Date.now() < endAt;
  const plan = clientPlan(settings.clients);
  await Promise.all([
    ...Array.from({ length: plan.rest }, (_, id) => restClientLoop(id, settings.baseUrl, tally, settings.timeoutMs, running)),
    ...plan.mcp.map((endpoint, index) => mcpClientLoop(index, settings.baseUrl, endpoint, tally, mcpStats, settings.timeoutMs, running)),
  ]);
}

/** One call of each kind on REST and on every MCP endpoint; returns what went wrong (empty when all is well). */
export async function probe(settings: LoadSettings): Promise<string[]> {
  const problems: string[] = [];
  for (const call of oneCallOfEachKind('probe')) {
    const outcome = await restCall(settings.baseUrl, call, settings.timeoutMs);
    if (outcome.kind !== 'ok') problems.push(`REST ${call.kind}: ${outcome.kind}: ${outcome.detail ?? ''}`);
  }
  for (const endpoint of MCP_ENDPOINTS) {
    let session;
    try {
      session = await openSession(`${settings.baseUrl}${endpoint.path}`, settings.timeoutMs);
    } catch (error) {
      problems.push(`${endpoint.path}: cannot open a session: ${(error as Error).message}`);
      continue;
    }
    for (const call of oneCallOfEachKind('probe', endpoint.server)) {
      const { outcome } = await mcpCall(session, endpoint, call, settings.timeoutMs);
      if (outcome.kind !== 'ok') problems.push(`${endpoint.path} ${call.kind}: ${outcome.kind}: ${outcome.detail ?? ''}`);
    }
    await closeSession(session);
  }
  return problems;
}
