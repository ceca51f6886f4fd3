/**
 * Serving 2026-07-28 requests (no handshake, no session: every request carries its protocol
 * version, capabilities and log level in `_meta`) through the same session objects legacy clients
 * use. Each request gets a session of its own on an in-process pipe, which lives as long as the
 * request: the request goes in as if a legacy client had sent it, and what the session sends back
 * is turned into the request's answer.
 *
 * - The session's response becomes the handler's result (or its JSON-RPC error).
 * - Progress is re-tagged with the token of the HTTP round now open, and log messages at or above
 *   the request's `_meta` log level go on the same response stream.
 * - A server that speaks 2026-07-28 gets the request in that era (see `Upstream.forward`), and
 *   its answer, `input_required` included, is the result: nothing is parked. The next two points
 *   are for a server reached in the session era.
 * - A request of the server to the client (sampling, elicitation, roots, sent by a 2025-era
 *   server) becomes an `input_required` result, multi round-trip (MRTR) style: the call stays
 *   parked, still running upstream, under a random `requestState` token; the client's retry with
 *   `inputResponses` and that token answers the server's request, and the call carries on. A
 *   token is unguessable and is only good once, so state cannot be forged or replayed; a call the
 *   client never comes back for is cancelled upstream after `parkTimeoutMs`.
 * - The server sees the gateway's capabilities, not the request's, so it may ask for something
 *   the request's `_meta` did not declare. The client is never asked that. When the server asked
 *   for sampling or elicitation and nothing the client can give, the answer is -32021
 *   (MissingRequiredClientCapability, naming what is missing) and the call is cancelled. When it
 *   asked for declared things too, the client is asked those, and the undeclared requests are
 *   refused once the client has answered, as a 2025-era client without the capability would
 *   refuse them. An undeclared `roots/list` alone is refused at once and the call goes on: roots
 *   are context a server can do without, and servers ask for them outside any call (when they
 *   start), so one may reach a call it has nothing to do with.
 * - The client closing its response stream is the cancellation of the 2026-07-28 era: the
 *   session's request is cancelled, and so is the upstream one.
 *
 * The same code serves `--stateless` 2025-era requests: there the SDK turns `input_required` into
 * real server-to-client requests on the POST's stream.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  LOG_LEVEL_META_KEY,
  MissingRequiredClientCapabilityError,
  type InputRequests,
  ProtocolError,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type MessageExtraInfo,
  type Result,
  type ServerContext,
  type Transport,
} from '@modelcontextprotocol/server';
import type { Logger } from '../log/logger.js';
import type { ModernRequestParts } from '../upstream/upstream.js';
import type { BridgeSession } from './bridge-session.js';
import { CLIENT_CAPABILITY_OF, isNotification, isRequest, isResponse, JsonRpcErrorCode } from './json-rpc.js';

/** How long a call waits for the client to come back with the input it asked for (the SDK's own round timeout). */
export const DEFAULT_PARK_TIMEOUT_MS = 600_000;

/** What an exchange's session needs to be told that a legacy client would have said in `initialize` or `logging/setLevel`. */
export interface ExchangeClient {
  capabilities: Record<string, unknown>;
  /**
   * What the SDK took off a 2026-07-28 request (its `_meta` envelope declares its capabilities),
   * to be put back if it is passed on in that era; undefined for a `--stateless` 2025-era request,
   * which declares none.
   */
  modern: ModernRequestParts | undefined;
  logLevel: string | undefined;
}

/** The session that serves one exchange; `betweenRounds` is set while the client is being asked for input. */
export type ExchangeSession = BridgeSession & { betweenRounds?: boolean };

/** Opens the session that serves one exchange, on `transport`. */
export type OpenExchangeSession = (transport: Transport, client: ExchangeClient) => ExchangeSession;

/** Where exchanges are served: how to open their sessions, and whether the server's own rounds pass through. */
export interface ExchangeTarget {
  open: OpenExchangeSession;
  passesInputRounds(): Promise<boolean>;
}

/**
 * How long to wait, after the server's first request, for others it sends at the same time, so
 * that one `input_required` round asks for all of them.
 */
const INPUT_GATHERING_MS = 10;

export interface ModernExchangesOptions {
  logger: Logger;
  parkTimeoutMs?: number;
}

/** The 2026-07-28 requests of one MCP endpoint, and those of them parked waiting for the client's input. */
export class ModernExchanges {
  private readonly parked = new Map<string, Exchange>();
  private readonly live = new Set<Exchange>();
  private readonly parkTimeoutMs: number;

  constructor(private readonly options: ModernExchangesOptions) {
    this.parkTimeoutMs = options.parkTimeoutMs ?? DEFAULT_PARK_TIMEOUT_MS;
  }

  /** Serves `request` (the SDK has already checked its envelope and headers) with a session from `target.open`. */
  async serve(request: JSONRPCRequest, ctx: ServerContext, target: ExchangeTarget): Promise<Result> {
    const state = ctx.mcpReq.requestState();
    const resumed = typeof state === 'string' ? this.parked.get(state) : undefined;
    let exchange: Exchange;
    if (typeof state === 'string' && resumed !== undefined && resumed.method === request.method) {
      this.parked.delete(state);
      exchange = resumed;
      exchange.resume(ctx.mcpReq.inputResponses ?? {}, ctx);
    } else {
      // A state the gateway did not give is the server's own when its rounds pass through.
      if (typeof state === 'string' && (resumed !== undefined || !(await target.passesInputRounds()))) {
        throw new ProtocolError(JsonRpcErrorCode.InvalidParams, 'Invalid or expired requestState: no call of this gateway is waiting for it (it was answered, timed out, or is from before a restart)');
      }
      exchange = new Exchange(request, ctx, target.open, this.options.logger);
      this.live.add(exchange);
      exchange.onEnded = () => this.live.delete(exchange);
    }
    const outcome = await exchange.run(ctx);
    if (outcome.kind === 'missing') {
      const names = Object.keys(outcome.capabilities).join(', ');
      throw new MissingRequiredClientCapabilityError(
        { requiredCapabilities: outcome.capabilities },
        `The server needs the client's ${names} capability, which this request's _meta does not declare`,
      );
    }
    if (outcome.kind === 'input') {
      const token = randomBytes(24).toString('base64url');
      this.parked.set(token, exchange);
      exchange.park(this.parkTimeoutMs, () => this.parked.delete(token));
      // The server's own requests, as it sent them: the client checks them as it would a 2025-era request.
      return inputRequired({ inputRequests: outcome.requests as InputRequests, requestState: token });
    }
    if ('error' in outcome.response) {
      const { code, message, data } = outcome.response.error;
      throw new ProtocolError(code, message, data);
    }
    return outcome.response.result;
  }

  /** Cancels every exchange (the gateway is stopping). */
  closeAll(): void {
    for (const exchange of this.live) exchange.cancel('the gateway is shutting down');
    this.parked.clear();
  }
}

type SessionResponse = { result: Result } | { error: { code: number; message: string; data?: unknown } };
type Outcome =
  | { kind: 'input'; requests: Record<string, { method: string; params?: Record<string, unknown> }> }
  | { kind: 'missing'; capabilities: Record<string, Record<string, never>> }
  | { kind: 'done'; response: SessionResponse };

/** One 2026-07-28 request and the session serving it, across the HTTP rounds of its multi round-trip. */
class Exchange implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: () => void;
  onEnded?: () => void;
  readonly method: string;
  /** The id the request goes by in its session: the client's own (as hooks see it), from its first round. */
  private readonly requestId: JSONRPCRequest['id'];
  private readonly session: ExchangeSession;
  private gathering: NodeJS.Timeout | undefined;
  /** The session's answer, once it came. */
  private response: SessionResponse | undefined;
  /** What the request's `_meta` declares the client can do. */
  private readonly capabilities: Record<string, unknown>;
  /** Requests of the server the client has not answered yet, by the id the session gave them. */
  private readonly awaitingInput = new Map<string, { method: string; params?: Record<string, unknown> }>();
  /** Requests of the server for capabilities the client did not declare: the capability, by id. */
  private readonly undeclared = new Map<string, string>();
  /** The open HTTP round: where progress and log messages go, and who waits for the next outcome. */
  private round: { ctx: ServerContext; wake: () => void } | undefined;
  private parkTimer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    request: JSONRPCRequest,
    ctx: ServerContext,
    open: OpenExchangeSession,
    private readonly logger: Logger,
  ) {
    this.method = request.method;
    this.requestId = request.id;
    const envelope = (ctx.mcpReq.envelope ?? {}) as Record<string, unknown>;
    const logLevel = envelope[LOG_LEVEL_META_KEY];
    const declared = envelope[CLIENT_CAPABILITIES_META_KEY] as Record<string, unknown> | undefined;
    this.capabilities = declared ?? {};
    this.session = open(this, {
      capabilities: this.capabilities,
      modern: declared === undefined ? undefined : modernPartsOf(ctx, envelope),
      logLevel: typeof logLevel === 'string' ? logLevel : undefined,
    });
    // The session starts serving on a later turn, as it would for a message from the network.
    queueMicrotask(() => this.onmessage?.(request as JSONRPCMessage, extraOf(ctx)));
  }

  /** Waits, on the HTTP round of `ctx`, for the answer or for the server to need the client's input. */
  run(ctx: ServerContext): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      const settle = (): boolean => {
        if (this.response) {
          this.end();
          resolve({ kind: 'done', response: this.response });
          return true;
        }
        if (this.awaitingInput.size > 0) {
          this.session.betweenRounds = true;
          resolve({ kind: 'input', requests: Object.fromEntries(this.awaitingInput) });
          return true;
        }
        if (this.undeclared.size > 0) {
          const needed = [...this.undeclared.values()].filter((capability) => capability !== 'roots');
          if (needed.length === 0) {
            this.refuseUndeclared(this.round?.ctx);
            return false;
          }
          this.end();
          resolve({ kind: 'missing', capabilities: Object.fromEntries(needed.map((capability) => [capability, {}])) });
          return true;
        }
        return false;
      };
      if (settle()) return;
      this.session.betweenRounds = false;
      const signal = ctx.mcpReq.signal;
      const onAbort = (): void => {
        // The client closed its response stream: in this era, that cancels the request.
        this.round = undefined;
        this.cancel('the client closed the request');
        reject(new ProtocolError(JsonRpcErrorCode.InternalError, 'the request was cancelled by the client'));
      };
      this.round = {
        ctx,
        wake: () => {
          if (!settle()) return;
          this.round = undefined;
          signal.removeEventListener('abort', onAbort);
        },
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The client came back with `inputResponses`: each answers the server's request of the same key. */
  resume(inputResponses: Record<string, unknown>, ctx: ServerContext): void {
    clearTimeout(this.parkTimer);
    for (const [key, answer] of Object.entries(inputResponses)) {
      if (!this.awaitingInput.delete(key)) continue;
      this.onmessage?.({ jsonrpc: '2.0', id: key, result: answer } as JSONRPCMessage, extraOf(ctx));
    }
    // What the client could not have been asked is refused now that it has answered the rest.
    this.refuseUndeclared(ctx);
  }

  /** Answers the server's requests for capabilities the client did not declare with an error, as such a client would. */
  private refuseUndeclared(ctx: ServerContext | undefined): void {
    for (const [id, capability] of this.undeclared) {
      const error = { code: JsonRpcErrorCode.InternalError, message: `the MCP client does not support ${capability}` };
      this.onmessage?.({ jsonrpc: '2.0', id, error } as JSONRPCMessage, ctx && extraOf(ctx));
    }
    this.undeclared.clear();
  }

  /** Between rounds: the call runs on upstream, and is cancelled if the client does not come back in time. */
  park(timeoutMs: number, forget: () => void): void {
    this.parkTimer = setTimeout(() => {
      forget();
      this.cancel(`the client did not come back with the requested input within ${timeoutMs / 1000} s`);
    }, timeoutMs);
    this.parkTimer.unref();
  }

  /** Ends the session, which cancels its request upstream. */
  cancel(reason: string): void {
    if (this.ended) return;
    this.logger.debug({ method: this.method, reason }, 'a 2026-07-28 request was cancelled');
    this.end();
  }

  // Transport: what the session sends "to the client".
  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.ended) return;
    if (isResponse(message)) {
      if (message.id !== this.requestId) return;
      this.response = 'error' in message ? { error: message.error } : { result: message.result as Result };
      this.round?.wake();
    } else if (isRequest(message)) {
      const capability = CLIENT_CAPABILITY_OF[message.method];
      if (capability !== undefined && this.capabilities[capability] === undefined) this.undeclared.set(String(message.id), capability);
      else this.awaitingInput.set(String(message.id), { method: message.method, ...(message.params === undefined ? {} : { params: message.params }) });
      this.gathering ??= setTimeout(() => {
        this.gathering = undefined;
        this.round?.wake();
      }, INPUT_GATHERING_MS);
    } else if (isNotification(message)) {
      this.relay(message.method, message.params);
    }
  }

  async close(): Promise<void> {
    this.end();
  }

  /** Progress and log messages go on the open round's response stream; change notifications go to listen streams instead. */
  private relay(method: string, params: Record<string, unknown> | undefined): void {
    const round = this.round;
    if (!round) return;
    let notification: { method: string; params?: Record<string, unknown> };
    if (method === 'notifications/progress') {
      const token = round.ctx.mcpReq._meta?.progressToken;
      if (token === undefined) return;
      notification = { method, params: { ...params, progressToken: token } };
    } else if (method === 'notifications/message') {
      notification = { method, ...(params === undefined ? {} : { params }) };
    } else return;
    round.ctx.mcpReq.notify(notification as Parameters<ServerContext['mcpReq']['notify']>[0]).catch((error: unknown) => {
      this.logger.debug({ err: error }, 'a notification could not be sent on a 2026-07-28 response stream');
    });
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.parkTimer);
    clearTimeout(this.gathering);
    void this.session.close();
    this.onEnded?.();
  }
}

/** The parts of a 2026-07-28 request that the SDK's server lifted off it (see `ModernRequestParts`). */
function modernPartsOf(ctx: ServerContext, envelope: Record<string, unknown>): ModernRequestParts {
  const state = ctx.mcpReq.requestState();
  const headers: Record<string, string> = {};
  ctx.http?.req?.headers.forEach((value, name) => {
    if (name.startsWith(MCP_PARAM_HEADER_PREFIX)) headers[name] = value;
  });
  return {
    envelope,
    retry: {
      ...(ctx.mcpReq.inputResponses === undefined ? {} : { inputResponses: ctx.mcpReq.inputResponses as Record<string, unknown> }),
      ...(typeof state === 'string' ? { requestState: state } : {}),
    },
    headers,
  };
}

/** Tool arguments a tool asks to see as headers come as `Mcp-Param-{Name}` (lower-cased by `Headers`). */
const MCP_PARAM_HEADER_PREFIX = 'mcp-param-';

/** What a session's transport is told of the HTTP request a message came in (its headers: the request id). */
function extraOf(ctx: ServerContext): MessageExtraInfo | undefined {
  const request = ctx.http?.req;
  return request === undefined ? undefined : { request };
}
