/**
 * The command line: mcpo's flags as they are (so `mcpo … -- cmd` works as `mcpgate … -- cmd`),
 * mcp-proxy's where they do not clash, and mcpgate's own. This file only declares and parses;
 * turning the result into a `GatewayConfig` is `build-config.ts`'s job.
 *
 * @module
 */
import { Command, Option } from 'commander';
import { DEFAULT_SESSION_IDLE_TIMEOUT_MS } from '../config/http-defaults.js';

/** What the command line says, before validation against each other and the config file. */
export interface CliOptions {
  /** Left out when not given, so a config file's `"host"` can apply (default 127.0.0.1). */
  host?: string;
  /** Left out when not given, so a config file's `"port"` can apply (default 8000). */
  port?: string;
  config?: string;
  /** Speak MCP on stdin/stdout and relay it to the one server given (no HTTP listener). */
  stdio?: boolean;
  serverType?: string;
  header?: string;
  env: string[];
  envPath?: string;
  cwd?: string;
  passEnvironment: boolean;
  timeout?: string;
  logLevel: string;
  /** `--version` with a value is mcpo's OpenAPI `info.version`; alone it prints mcpgate's version. */
  version?: string | true;
  /** `--api-key`, repeatable: every key is accepted. */
  apiKey?: string[];
  /** A file of API keys, one per line. */
  apiKeyFile?: string;
  strictAuth?: boolean;
  corsAllowOrigins?: string[];
  /** mcp-proxy's spelling: adds to the same allowed-origins list as `corsAllowOrigins`. */
  allowOrigin?: string[];
  /** `Host` values the MCP endpoints accept besides the loopback names. */
  allowedHosts?: string[];
  sessionIdleTimeout?: string;
  stateless?: boolean;
  /** How MCP sessions share the single server given on the command line. */
  sharing?: string;
  maxSessions?: string;
  rootPath?: string;
  pathPrefix?: string;
  maxBodySize?: string;
  toolsOnly?: boolean;
  name?: string;
  description?: string;
  /** Hook modules, in the order given (after the config file's `"hooks"`). */
  hook?: string[];
  /** The audit log file (over the config file's `"auditLog".path`). */
  auditLog?: string;
  /** Write each call's arguments to the audit log too. */
  auditLogArguments?: boolean;
  /** Watch the config file and apply its changes while running (SIGHUP too). */
  hotReload?: boolean;
  /** The PEM certificate to serve HTTPS with (given together with `sslKeyfile`). */
  sslCertfile?: string;
  /** The certificate's PEM private key (given together with `sslCertfile`). */
  sslKeyfile?: string;
  maxHeaderSize?: string;
  maxConcurrentRequests?: string;
  maxTotalSessions?: string;
  /** False with `--no-metrics`. */
  metrics?: boolean;
  metricsPublic?: boolean;
  shutdownTimeout?: string;
}

export interface ParsedCommandLine {
  options: CliOptions;
  /** The server command and its arguments, or a URL (everything after `--`, or the first positional on). */
  server: string[];
}

/** Where mcpgate listens when neither the command line nor the config file says. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8000;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Repeatable flags that also take comma-separated values (`--x a,b --x c` → `[a, b, c]`). */
const collectList = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
];

export const usageExamples = `
Examples:
  mcpgate                                             serve the bundled demo MCP server
  mcpgate --port 8000 -- npx -y @modelcontextprotocol/server-everything
  mcpgate --server-type streamable-http -- http://127.0.0.1:8002/mcp
  mcpgate --server-type sse --header '{"Authorization":"Bearer t"}' -- http://127.0.0.1:8001/sse
  mcpgate --config ./config.json
  mcpgate --stdio -- https://example.com/mcp          an MCP client's stdio server that relays to a remote one
  mcpgate --ssl-certfile cert.pem --ssl-keyfile key.pem -- npx -y @modelcontextprotocol/server-everything

mcpo binds 0.0.0.0 by default; mcpgate binds 127.0.0.1. Pass --host 0.0.0.0 to listen on every interface.
Exit codes: 0 stopped normally, 1 failed at run time (e.g. the port is taken), 2 bad command line or config file.`;

export function createProgram(): Command {
  const program = new Command('mcpgate')
    .description('Put any MCP server behind HTTP: one supervised gateway for one or many MCP servers.')
    .usage('[options] -- <command> [args...]  |  [options] --server-type <type> -- <url>  |  [options] --config <file>  |  --stdio -- <url or command>')
    .argument('[server...]', 'the MCP server command and its arguments, or its URL (after --)')
    // mcpo uses -h for --host, so help is --help only.
    .helpOption('--help', 'show this help')
    .passThroughOptions()
    .allowExcessArguments(true)
    .showHelpAfterError('(run mcpgate --help for usage)')
    .addHelpText('after', usageExamples)
    .exitOverride()
    .configureOutput({ writeOut: (text) => process.stdout.write(text), writeErr: (text) => process.stderr.write(text) });

  program
    .addOption(new Option('-h, --host <host>', `address to bind (default: config file's "host", else ${DEFAULT_HOST})`))
    .addOption(new Option('-p, --port <port>', `port to listen on (default: config file's "port", else ${DEFAULT_PORT})`))
    .addOption(new Option('-c, --config <file>', 'Claude-Desktop-style config file with "mcpServers" (multi-server mode)'))
    .addOption(
      new Option(
        '--stdio',
        'stdio client mode: speak MCP on stdin/stdout and relay every message to the server after -- (a URL, or a command); no HTTP listener',
      ),
    )
    .addOption(
      new Option('--server-type <type>', 'how to reach a single server: stdio, sse, streamable-http (default: stdio, or auto-detect for a URL); alias --type'),
    )
    .addOption(new Option('--type <type>', 'alias of --server-type (mcpo)').hideHelp())
    .addOption(new Option('--transport <type>', 'alias of --server-type (mcp-proxy)').hideHelp())
    .addOption(new Option('-H, --header <json>', 'headers for a single sse/streamable-http server, as a JSON object'))
    .addOption(
      new Option('-e, --env <KEY=VALUE...>', 'environment variable for stdio servers (repeatable; "KEY=VALUE" or "KEY VALUE")')
        .argParser(collect)
        .default([]),
    )
    .addOption(new Option('--env-path <file>', 'dotenv file whose variables are given to stdio servers and to ${VAR} in the config'))
    .addOption(new Option('--cwd <dir>', 'working directory of a single stdio server'))
    .addOption(new Option('--pass-environment', 'give stdio servers the whole environment, not the minimal default').default(false))
    .addOption(new Option('--no-pass-environment', 'give stdio servers only the minimal default environment (default)'))
    .addOption(new Option('--timeout <seconds>', 'per-call timeout of a single server (config files use "timeout" per server)'))
    .addOption(
      new Option('--log-level <level>', 'trace, debug, info, warning, error, critical or silent (logs go to stderr)').default('info'),
    )
    .addOption(new Option('-v, --version [value]', 'alone: print the version; with a value: OpenAPI info.version (mcpo)'))
    .addOption(
      new Option('-k, --api-key <key>', 'require this API key (Authorization: Bearer) on every route that can call a tool; repeatable: each key is accepted').argParser(collect),
    )
    .addOption(
      new Option('--api-key-file <file>', 'accept the API keys in this file, one per line (# starts a comment); with --api-key and MCPGATE_API_KEYS (comma-separated) all are accepted'),
    )
    .addOption(new Option('--strict-auth', 'with an API key: guard every route, documents and docs too, and accept HTTP Basic with the key as password'))
    .addOption(
      new Option('--cors-allow-origins <origin>', 'allow this browser origin (CORS), e.g. http://localhost:3000; repeatable or comma-separated; "*" allows any (default: no CORS)')
        .argParser(collectList),
    )
    .addOption(
      new Option('--allow-origin <origin>', 'mcp-proxy\'s spelling of --cors-allow-origins (same list; both may be given): browser origin allowed by CORS and by the MCP endpoints\' Origin check; repeatable or comma-separated')
        .argParser(collectList),
    )
    .addOption(
      new Option('--allowed-hosts <host>', 'Host header accepted by the MCP endpoints besides localhost, 127.0.0.1 and [::1] (against DNS rebinding), e.g. gateway.lan or gateway.lan:8000; repeatable or comma-separated; "*" turns the check off')
        .argParser(collectList),
    )
    .addOption(new Option('--session-idle-timeout <seconds>', `close an MCP session idle for this long; 0 never (default: ${DEFAULT_SESSION_IDLE_TIMEOUT_MS / 1000})`))
    .addOption(
      new Option('--sharing <mode>', 'how MCP sessions use a single server: shared (one connection for all, default) or per-session (a connection each); config files use "sharing" per server'),
    )
    .addOption(new Option('--max-sessions <n>', 'with --sharing per-session: most sessions with a connection of their own; config files use "maxSessions" per server'))
    .addOption(new Option('--root-path <path>', 'the path a reverse proxy serves mcpgate under (shown in documents and docs)'))
    .addOption(new Option('--path-prefix <path>', 'URL prefix of the REST routes, documents and docs (default: /)'))
    .addOption(new Option('--max-body-size <bytes>', 'largest accepted request body in bytes; larger bodies get 413 (default: 10485760)'))
    .addOption(new Option('--max-header-size <bytes>', 'largest request head (request line and headers) in bytes; larger ones get 431 (default: 16384)'))
    .addOption(
      new Option('--max-concurrent-requests <n>', 'most requests in flight at once per API key (per client address when no key is set); more get 429 with Retry-After (default: 0, no limit)'),
    )
    .addOption(
      new Option('--max-total-sessions <n>', 'most MCP sessions open at once over every server; at the limit the session idle longest is closed, or 503 when none is idle (default: 1000; 0: no limit)'),
    )
    .addOption(new Option('--no-metrics', 'do not count calls and do not serve /metrics'))
    .addOption(new Option('--metrics-public', 'serve /metrics (Prometheus) without the API key'))
    .addOption(new Option('--shutdown-timeout <seconds>', 'on SIGTERM/SIGINT: how long calls in flight may finish before they are cancelled (default: 10)'))
    .addOption(new Option('--tools-only', 'do not expose resources and prompts as REST routes'))
    .addOption(new Option('-n, --name <title>', 'OpenAPI info.title (single server: instead of the server\'s name)'))
    .addOption(new Option('-d, --description <text>', 'OpenAPI info.description'))
    .addOption(
      new Option('--hook <file>', 'load a hook module (a path relative to the working directory); repeatable: hooks run in the order given, after the config file\'s "hooks"')
        .argParser(collect),
    )
    .addOption(new Option('--audit-log <file>', 'append every tool call to this JSON-lines file (created if missing; its directory must exist); overrides the config file\'s "auditLog" path'))
    .addOption(new Option('--audit-log-arguments', 'with an audit log: write each call\'s arguments too (secret-looking values masked)'))
    .addOption(
      new Option('--hot-reload', 'with --config: watch the file and apply its changes while running: only the servers that changed restart (SIGHUP reloads too)'),
    )
    .addOption(new Option('-t, --ssl-certfile <file>', 'serve HTTPS with this PEM certificate (its chain may follow it); needs --ssl-keyfile'))
    .addOption(new Option('-K, --ssl-keyfile <file>', 'the certificate\'s PEM private key, unencrypted; needs --ssl-certfile'))
    .addOption(new Option('--stateless', 'serve 2025-era streamable HTTP without sessions: each request stands alone (2026-07-28 requests always do)'));

  return program;
}

/**
 * mcp-proxy writes `-e KEY VALUE`, mcpo `-e KEY=VALUE`. Rewrites the first form into the second
 * before parsing, so both work and neither swallows the server command.
 */
export function normaliseEnvPairs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    const following = argv[i + 2];
    if ((token === '-e' || token === '--env') && next !== undefined && !next.includes('=') && following !== undefined && following !== '--') {
      out.push(token, `${next}=${following}`);
      i += 2;
      continue;
    }
    out.push(token);
  }
  return out;
}

/**
 * Parses argv (without the node and script entries). Throws commander's error for unknown flags
 * and missing values; `--help` throws with code `commander.helpDisplayed`.
 */
export function parseCommandLine(argv: string[]): ParsedCommandLine {
  const program = createProgram();
  program.parse(normaliseEnvPairs(argv), { from: 'user' });
  const { type, transport, ...options } = program.opts<CliOptions & { type?: string; transport?: string }>();
  const serverType = options.serverType ?? type ?? transport;
  return { options: serverType === undefined ? options : { ...options, serverType }, server: program.args };
}
