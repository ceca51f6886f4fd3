/**
 * Entry point of the demo server as a child process: serves {@link createDemoServer} over stdio.
 *
 * stdout carries the protocol, so nothing here may print to it; diagnostics go to stderr.
 * `serveStdio` (rather than a hand-wired `StdioServerTransport`) lets the opening message pick
 * the protocol era, so both 2025-era clients (`initialize`) and 2026-07-28 clients
 * (`server/discover`) are served from the same factory. When the parent closes stdin the
 * transport closes itself and, with no other handle left open, the process exits.
 *
 * @module
 */

import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { createDemoServer } from './demo-server.js';

serveStdio(() => createDemoServer(), {
  onerror: (error) => process.stderr.write(`mcpgate-demo: ${error.stack ?? error.message}\n`),
});
