/**
 * Hooks on an MCP session: a wrapper around the client's transport, so every kind of session
 * (shared, per-session pipe, aggregated, a 2026-07-28 request's) gets them the same way.
 *
 * - What the client sends runs through `onClientMessage` before the session sees it; what the
 *   session sends runs through `onServerMessage` before it leaves. Each direction keeps its order
 *   (a hook that takes its time holds back the messages behind it, never reorders them).
 * - A `tools/call` the message hooks let through runs through `onToolCall` / `onToolResult`: the
 *   wrapper passes the (possibly rewritten) request to the session and waits for the session's
 *   response to it, which goes to the client only once the result hooks have seen it. Calls run
 *   concurrently, so a slow tool hook holds back nothing else.
 * - When hooks only observe calls (`observeToolCall`, the built-in metrics), a `tools/call` goes
 *   to the session as it came: the observers are told it starts, and how it ended when the
 *   session's answer passes (or when the client cancels it or the session ends).
 * - Nothing is left waiting: a request a hook drops or refuses is answered with an error naming
 *   the hook (to the client, or to the server for its own requests), and a dropped response is
 *   replaced by an error response with the same id. A notification a hook drops is simply gone.
 *
 * @module
 */
import type { JSONRPCMessage, MessageExtraInfo, Transport, TransportSendOptions } from '@modelcontextprotocol/server';
import { copyWith } from '../copy-with.js';
import { GatewayError, upstreamJsonRpcError } from '../errors.js';
import { isJsonObject } from '../config/json-path.js';
import { rememberedAddressOf } from '../http/remote-address.js';
import { InFlightMap } from '../in-flight-map.js';
import { httpRequestIdOf } from '../http/request-id.js';
import type { Direction, HookRunner, MessageOutcome } from '../hooks/hook-runner.js';
import type { Caller, Frontend, HookContext, JsonRpcMessage, ToolCall, ToolCallEnded, ToolResult } from '../hooks/types.js';
import {
  errorResponse,
  gatewayErrorResponse,
  isNotification,
  isRequest,
  isResponse,
  resultResponse,
  type RequestId,
} from './json-rpc.js';
import { malformedArguments } from './tool-policy.js';

export interface SessionHooks {
  runner: HookRunner;
  /** The configured server, or `*` for the aggregated endpoint. */
  server: string;
  frontend: Frontend;
  address?: string;
  /** The server and the server's own name a `tools/call` name stands for; undefined when there is none (the session answers that). */
  resolveTool: (name: string) => { server: string; tool: string } | undefined;
}

/** The transport with the hooks on it, or the transport itself when no hook handles messages or calls. */
export function withHooks(transport: Transport, hooks: SessionHooks): Transport {
  if (!hooks.runner.hasMessageHooks && !hooks.runner.hasToolHooks && !hooks.runner.hasToolObservers) return transport;
  return new HookedTransport(transport, hooks);
}

type ToolCallRequest = JSONRPCMessage & { id: RequestId; params?: Record<string, unknown> };

interface PendingCall {
  cancelled: boolean;
  settle?: { resolve: (result: ToolResult) => void; reject: (error: unknown) => void };
  /**
   * Settles once the call's final answer (after `onToolResult`) has been handed to the client's
   * transport. The session's `send` of its answer waits for it: a session that answers and then
   * closes its transport (a per-session server going away) must not close it before the answer
   * has gone out through the hooks.
   */
  answered: Promise<void>;
}

class HookedTransport implements Transport {
  onmessage?: Transport['onmessage'];
  private clientQueue: Promise<void> = Promise.resolve();
  private serverQueue: Promise<void> = Promise.resolve();
  private readonly calls = new InFlightMap<RequestId, PendingCall>();
  /** Calls only observed (no hook takes part in calls), by request id, until their answer passes. */
  private readonly observed = new InFlightMap<RequestId, ToolCallEnded>();
  private client: Caller['client'];
  private closeListener: (() => void) | undefined;

  constructor(
    private readonly inner: Transport,
    private readonly hooks: SessionHooks,
  ) {
    inner.onmessage = (message, extra) => this.fromClient(message, extra);
    const previous = inner.onclose;
    inner.onclose = () => {
      this.abandonCalls('the session ended');
      previous?.();
      this.closeListener?.();
    };
  }

  get onclose(): (() => void) | undefined {
    return this.closeListener;
  }

  set onclose(listener: (() => void) | undefined) {
    this.closeListener = listener;
  }

  get onerror(): Transport['onerror'] {
    return this.inner.onerror;
  }

  set onerror(listener: Transport['onerror']) {
    this.inner.onerror = listener;
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  async close(): Promise<void> {
    this.abandonCalls('the session ended');
    await this.inner.close();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (isResponse(message) && message.id !== null) {
      const call = this.calls.get(message.id);
      if (call?.settle) {
        // The session's answer to a hooked call: the call's hooks see it before the client does.
        if ('result' in message) call.settle.resolve(message.result as ToolResult);
        else call.settle.reject(upstreamJsonRpcError(message.error as { code: number; message: string; data?: unknown }));
        return call.answered;
      }
      const ended = this.observed.size > 0 ? this.observed.get(message.id) : undefined;
      if (ended) {
        this.observed.delete(message.id);
        ended('result' in message ? { result: message.result as ToolResult } : { error: upstreamJsonRpcError(message.error as { code: number; message: string; data?: unknown }) });
      }
    }
    if (!this.hooks.runner.hasMessageHooksFor('server')) return this.inner.send(message, options);
    const sent = this.serverQueue.then(() => this.runServerHooks(message, options));
    this.serverQueue = sent.catch(() => undefined);
    return sent;
  }

  /** The hooks' context; a message from the client carries the id of the HTTP request it came in. */
  private context(extra?: MessageExtraInfo): HookContext {
    // A session lives on one connection's address; a 2026-07-28 request brings its own.
    const request = extra?.request;
    const address = this.hooks.address ?? (request === undefined ? undefined : rememberedAddressOf(request));
    const { client } = this;
    const caller: Caller = address === undefined ? (client ? { client } : {}) : client ? { address, client } : { address };
    const { server, frontend } = this.hooks;
    const session = this.inner.sessionId;
    const requestId = request === undefined ? undefined : httpRequestIdOf(request);
    // Literals that list every property: not a copy of one with the id spread in (see copy-with.ts).
    return requestId === undefined ? { server, frontend, session, caller } : { server, frontend, session, caller, requestId };
  }

  private fromClient(message: JSONRPCMessage, extra: MessageExtraInfo | undefined): void {
    if (isRequest(message) && message.method === 'initialize') {
      const info = message.params?.clientInfo as { name?: unknown; version?: unknown } | undefined;
      if (typeof info?.name === 'string') this.client = { name: info.name, version: typeof info.version === 'string' ? info.version : '' };
    }
    if (!this.hooks.runner.hasMessageHooksFor('client')) return this.toSession(message, extra);
    this.clientQueue = this.clientQueue.then(() => this.runClientHooks(message, extra)).catch(() => undefined);
  }

  private async runClientHooks(message: JSONRPCMessage, extra: MessageExtraInfo | undefined): Promise<void> {
    const outcome = await this.run('client', message, (passed) => this.toSession(passed, extra), extra);
    if (outcome.kind === 'delivered') return;
    const id = requestIdOf(message);
    if (isRequest(message) && id !== undefined) {
      // The client waits for an answer: the hook's own, or an error saying why there is none.
      await this.inner.send(answerOf(id, message.method, outcome), { relatedRequestId: id }).catch(() => undefined);
    } else if (isResponse(message) && message.id !== null) {
      // The client's answer to the server's request never arrives: the server gets an error instead.
      this.onmessage?.(failedAnswer(message.id, 'the client\'s answer', outcome), extra);
    }
  }

  private async runServerHooks(message: JSONRPCMessage, options: TransportSendOptions | undefined): Promise<void> {
    let sending: Promise<void> | undefined;
    const outcome = await this.run('server', message, (passed) => {
      sending = this.inner.send(passed, options);
    });
    if (outcome.kind === 'delivered') return sending;
    const id = requestIdOf(message);
    if (isRequest(message) && id !== undefined) {
      // A request of the server (sampling, elicitation) the client will not see: the session gets the answer.
      this.onmessage?.(answerOf(id, message.method, outcome));
    } else if (isResponse(message) && message.id !== null) {
      await this.inner.send(failedAnswer(message.id, 'the answer', outcome), options);
    }
  }

  private run(direction: Direction, message: JSONRPCMessage, deliver: (message: JSONRPCMessage) => void, extra?: MessageExtraInfo): Promise<MessageOutcome> {
    return this.hooks.runner.runMessage(direction, message as JsonRpcMessage, this.context(extra), (passed) => deliver(passed as JSONRPCMessage));
  }

  /**
   * A message past the client hooks: a `tools/call` goes through the tool hooks, or is observed on
   * its way to the session when hooks only observe calls; anything else goes straight on.
   */
  private toSession(message: JSONRPCMessage, extra: MessageExtraInfo | undefined): void {
    const { runner } = this.hooks;
    if (isRequest(message) && message.method === 'tools/call') {
      if (runner.hasToolHooks) return void this.callTool(message, extra);
      if (runner.hasToolObservers) this.observe(message, extra);
    } else if (isNotification(message) && message.method === 'notifications/cancelled') {
      this.cancelCall(message.params?.requestId);
    }
    this.onmessage?.(message, extra);
  }

  /** The observers are told that the call starts; `send` tells them how it ended when its answer passes. */
  private observe(request: ToolCallRequest, extra: MessageExtraInfo | undefined): void {
    const call = this.toolCallOf(request);
    // Malformed arguments are refused by the session before any call, as the tool hooks' path does.
    if (!call || this.calls.has(request.id) || this.observed.has(request.id) || malformedArguments(request.id, request.params)) return;
    const ended = this.hooks.runner.observeToolCall(call, this.context(extra));
    if (ended) this.observed.set(request.id, ended);
  }

  private async callTool(request: ToolCallRequest, extra: MessageExtraInfo | undefined): Promise<void> {
    const call = this.toolCallOf(request);
    if (!call || this.calls.has(request.id)) return this.onmessage?.(request, extra);
    // Refused before the tool hooks, which take `arguments` to be an object.
    const malformed = malformedArguments(request.id, request.params);
    if (malformed) return void this.send(malformed, { relatedRequestId: request.id }).catch(() => undefined);
    let markAnswered!: () => void;
    const pending: PendingCall = { cancelled: false, answered: new Promise((resolve) => (markAnswered = resolve)) };
    this.calls.set(request.id, pending);
    let answer: JSONRPCMessage;
    try {
      const result = await this.hooks.runner.callTool(call, this.context(extra), (performed) => {
        if (pending.cancelled) return Promise.reject(new GatewayError('CALL_ABORTED', 'the client cancelled the call'));
        return new Promise<ToolResult>((resolve, reject) => {
          pending.settle = { resolve, reject };
          this.onmessage?.(copyWith(request, { params: copyWith(request.params, { arguments: performed.arguments }) }) as JSONRPCMessage, extra);
        });
      });
      answer = resultResponse(request.id, result);
    } catch (error) {
      answer = gatewayErrorResponse(request.id, error);
    } finally {
      this.calls.delete(request.id);
    }
    // A cancelled request gets no answer, as the specification says.
    if (!pending.cancelled) await this.send(answer, { relatedRequestId: request.id }).catch(() => undefined);
    markAnswered();
  }

  /** The call a `tools/call` stands for, with the server's own names; undefined when its name is no tool's (the session answers it). */
  private toolCallOf(request: ToolCallRequest): ToolCall | undefined {
    const name = request.params?.name;
    const target = typeof name === 'string' ? this.hooks.resolveTool(name) : undefined;
    if (!target) return undefined;
    const args = request.params?.arguments;
    return { server: target.server, tool: target.tool, arguments: isJsonObject(args) ? args : {} };
  }

  private cancelCall(requestId: unknown): void {
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    const ended = this.observed.get(requestId);
    if (ended) {
      // The session does not answer a cancelled request: the call ends here.
      this.observed.delete(requestId);
      ended({ error: new GatewayError('CALL_ABORTED', 'the client cancelled the call') });
    }
    const call = this.calls.get(requestId);
    if (!call) return;
    call.cancelled = true;
    call.settle?.reject(new GatewayError('CALL_ABORTED', 'the client cancelled the call'));
  }

  private abandonCalls(reason: string): void {
    for (const call of this.calls.values()) {
      call.cancelled = true;
      call.settle?.reject(new GatewayError('CALL_ABORTED', reason));
    }
    this.calls.clear();
    const observed = [...this.observed.values()];
    this.observed.clear();
    for (const ended of observed) ended({ error: new GatewayError('CALL_ABORTED', reason) });
  }
}

function requestIdOf(message: JSONRPCMessage): RequestId | undefined {
  const id = (message as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

/** The answer to a request the hooks did not pass on: a hook's own, or an error naming why. */
function answerOf(id: RequestId, method: string, outcome: Exclude<MessageOutcome, { kind: 'delivered' }>): JSONRPCMessage {
  switch (outcome.kind) {
    case 'answered':
      return { jsonrpc: '2.0', id, ...outcome.answer } as JSONRPCMessage;
    case 'dropped':
      return gatewayErrorResponse(id, new GatewayError('FORBIDDEN', `hook "${outcome.hook}" dropped ${method}; it was not delivered`));
    case 'refused':
      return gatewayErrorResponse(id, outcome.error);
  }
}

/** In place of a response the hooks did not pass on (a hook cannot answer a response). */
function failedAnswer(id: RequestId, what: string, outcome: Exclude<MessageOutcome, { kind: 'delivered' }>): JSONRPCMessage {
  if (outcome.kind === 'refused') return gatewayErrorResponse(id, outcome.error);
  const hook = outcome.kind === 'dropped' ? outcome.hook : 'a hook';
  return errorResponse(id, -32603, `hook "${hook}" dropped ${what} to request ${JSON.stringify(id)}`, { reason: 'FORBIDDEN' });
}
