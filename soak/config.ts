/**
 * The gateway's config file for a soak run: real stdio servers of each sharing kind.
 *
 * - `scripted`: the scripted test server (plain Node, no dependencies), shared by every client;
 * - `scripted-ps`: the same program with `"sharing": "per-session"`, so each MCP session of
 *   `/scripted-ps/mcp` has a child of its own (REST and the aggregated `/mcp` still use its
 *   shared connection); `maxSessions` leaves room for the clients' sessions plus the ones being
 *   re-opened after a kill;
 * - `everything`: `@modelcontextprotocol/server-everything` over stdio, a real SDK server.
 *
 * Each child gets `SOAK_RUN=<run id>` and `SOAK_SERVER=<name>` in its environment: the chaos loop
 * tells the children apart by them, and at the end a process that outlived the gateway is found
 * by them even if it was never seen in the gateway's process tree.
 *
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
export const scriptedServerPath = join(repoRoot, 'test/fixtures/scripted-server.mjs');
export const everythingServerPath = join(repoRoot, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

/** The environment variables that mark the soak run's children. */
export const RUN_VARIABLE = 'SOAK_RUN';
export const SERVER_VARIABLE = 'SOAK_SERVER';

export const SERVERS = {
  scripted: 'scripted',
  perSession: 'scripted-ps',
  everything: 'everything',
} as const;

/** Most sessions of the per-session server at once. */
export const MAX_SESSIONS = 6;

/** Writes the config file into `dir` and returns its path. */
export async function writeGatewayConfig(dir: string, runId: string): Promise<string> {
  const env = (server: string): Record<string, string> => ({ [RUN_VARIABLE]: runId, [SERVER_VARIABLE]: server });
  const config = {
    mcpServers: {
      [SERVERS.scripted]: { command: process.execPath, args: [scriptedServerPath], env: env(SERVERS.scripted) },
      [SERVERS.perSession]: {
        command: process.execPath,
        args: [scriptedServerPath],
        env: env(SERVERS.perSession),
        sharing: 'per-session',
        maxSessions: MAX_SESSIONS,
      },
      [SERVERS.everything]: { command: process.execPath, args: [everythingServerPath, 'stdio'], env: env(SERVERS.everything) },
    },
  };
  const path = join(dir, 'soak-config.json');
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, 'utf8');
  return path;
}
