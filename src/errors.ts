/**
 * The one error type of mcpgate. Every failure the gateway reports carries a string `code`;
 * one table maps each code to the HTTP status a frontend answers with, so the mapping lives in
 * a single place rather than in each route.
 *
 * @module
 */

export const errorStatus = {
  /** The config file or the command line is invalid. Not an HTTP error; the CLI exits with 2. */
  CONFIG_INVALID: 500,
  /** A feature that is parsed and documented but not built yet. */
  NOT_SUPPORTED: 501,
  /** The upstream is starting, restarting or down; the caller may retry later. */
  UPSTREAM_UNAVAILABLE: 503,
  /** Every MCP session the gateway allows is open and busy (`--max-total-sessions`); the caller may retry later. */
  TOO_MANY_SESSIONS: 503,
  /** The caller has as many requests in flight as `--max-concurrent-requests` allows. */
  TOO_MANY_REQUESTS: 429,
  /** The gateway is stopping and takes no new requests. */
  SHUTTING_DOWN: 503,
  /** The upstream closed the connection (a child died) while the call was in flight. */
  UPSTREAM_CLOSED: 502,
  /** The call outlived the server's `timeout`; the upstream request was cancelled. */
  UPSTREAM_TIMEOUT: 504,
  /** The upstream answered with a JSON-RPC error. */
  UPSTREAM_ERROR: 502,
  /** The caller went away (or aborted) before the upstream answered. */
  CALL_ABORTED: 499,
  /** No upstream of that name. */
  UNKNOWN_UPSTREAM: 404,
  /** The tool is not in the upstream's catalog (or is filtered out by disabledTools/enabledTools). */
  UNKNOWN_TOOL: 404,
  /** The prompt is not in the upstream's catalog. */
  UNKNOWN_PROMPT: 404,
  /** A hook refused the message or call (or dropped a request, which would otherwise never be answered). */
  FORBIDDEN: 403,
  /** A hook threw while handling the message or call; the hook's name and error are in the message. */
  HOOK_FAILED: 500,
} as const;

export type GatewayErrorCode = keyof typeof errorStatus;

export interface GatewayErrorOptions {
  cause?: unknown;
  /** Extra facts for the caller, e.g. the JSON-RPC error's `code` and `data`. */
  details?: Record<string, unknown>;
  /** Seconds after which a retry may succeed (sent as `Retry-After`). */
  retryAfterSeconds?: number;
}

/**
 * Marks a gateway error whichever copy of mcpgate made it: a hook module may import another copy
 * than the one running it (a checkout's `dist/` beside its `src/`, a global install beside a
 * local one), and its refusal must still be taken for one.
 */
const GATEWAY_ERROR = Symbol.for('mcpgate.GatewayError');

export class GatewayError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [GATEWAY_ERROR]?: unknown })[GATEWAY_ERROR] === true;
  }

  readonly [GATEWAY_ERROR] = true;
  readonly code: GatewayErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: GatewayErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The HTTP status a frontend answers with for this error. */
  get status(): number {
    return errorStatus[this.code];
  }
}

/**
 * A server's JSON-RPC error (or one a hook answered with in its place) as the `UPSTREAM_ERROR`
 * carrying its `code` and `data`, which each frontend maps further (`gatewayErrorResponse` gives
 * the same JSON-RPC error back; the REST table maps the code to a status).
 */
export function upstreamJsonRpcError(error: { code: number; message: string; data?: unknown }, cause?: unknown): GatewayError {
  return new GatewayError('UPSTREAM_ERROR', error.message, {
    ...(cause === undefined ? {} : { cause }),
    details: { code: error.code, ...(error.data === undefined ? {} : { data: error.data }) },
  });
}

export function isGatewayError(error: unknown, code?: GatewayErrorCode): error is GatewayError {
  return error instanceof GatewayError && (code === undefined || error.code === code);
}

/** A readable one-line message for anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
