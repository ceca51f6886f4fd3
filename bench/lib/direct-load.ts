/**
 * The direct path: an SDK client in this process talks to the demo server over stdio, with no
 * gateway in between. This is the baseline every gateway path is compared with.
 *
 * @module
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { runCallLoop } from './call-loop.js';
import { ECHO_CALL, checkEchoResult } from './echo-call.js';
import type { Load } from './paths.js';
import type { RunResult } from './stats.js';

export interface DirectClient {
  client: Client;
  /** Pid of the demo server child, for its CPU time. */
  pid: number;
  close: () => Promise<void>;
}

/** Spawns `node <demoMain>` and connects an SDK client to it (legacy era, as the gateway does for stdio). */
export async function connectDirect(demoMain: string): Promise<DirectClient> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [demoMain], stderr: 'inherit' });
  const client = new Client({ name: 'mcpgate-bench', version: '0.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close().catch(() => undefined);
    throw error;
  }
  const pid = transport.pid;
  if (pid === null) {
    await client.close();
    throw new Error('the demo server started but its pid is unknown');
  }
  return { client, pid, close: () => client.close() };
}

/** `concurrency` workers calling `echo` through `client`, each awaiting its answer before the next call. */
export function runDirect(client: Client, concurrency: number, seconds: number): Promise<RunResult> {
  return runCallLoop('direct', concurrency, seconds, async () => checkEchoResult(await client.callTool(ECHO_CALL)));
}

/** The direct client as a load: every level shares its one connection, as a real client would. */
export function directLoad(client: Client, concurrency: number): Load {
  return { run: (seconds) => runDirect(client, concurrency, seconds), close: async () => undefined };
}
