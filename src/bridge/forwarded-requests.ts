/**
 * The requests a session has forwarded to a shared upstream and not yet seen answered: each is
 * sent through `Upstream.forward` (which gives it an upstream id of its own), its progress is
 * re-tagged with the client's token, `notifications/cancelled` aborts it (and so cancels it
 * upstream) and a cancelled request gets no answer, as the specification says.
 * Shared and aggregated sessions both forward this way.
 *
 * @module
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { InFlightMap } from '../in-flight-map.js';
import { CallCancellation } from '../upstream/call-cancellation.js';
import type { ForwardOptions, ModernRequestParts, Upstream } from '../upstream/upstream.js';
import {
  errorResponse,
  gatewayErrorResponse,
  JsonRpcErrorCode,
  progressRelay,
  resultResponse,
  type JsonRpcRequest,
  type RequestId,
} from './json-rpc.js';

/** Sends a message to the client, on the stream of `relatedRequestId` when given. */
export type SendToClient = (message: JSONRPCMessage, relatedRequestId: RequestId | undefined) => void;

/** How `forward` passes a request on. */
export interface ForwardingOptions {
  /** The params to send instead of the request's own. */
  params?: Record<string, unknown>;
  /** Turns the server's result into the client's. */
  shape?: ((result: Record<string, unknown>) => Record<string, unknown>) | undefined;
  /** The 2026-07-28 parts of the client's request. */
  modern?: ModernRequestParts | undefined;
}

const NO_OPTIONS: ForwardingOptions = {};

/** A forwarded request waiting for the server's answer. */
interface InFlight {
  id: RequestId;
  cancellation: CallCancellation;
  shape: ForwardingOptions['shape'];
}

export class ForwardedRequests {
  private readonly calls = new InFlightMap<RequestId, InFlight>();

  constructor(private readonly send: SendToClient) {}

  get size(): number {
    return this.calls.size;
  }

  /** The newest request still waiting for the server: its stream is open, so messages sent there arrive. */
  get latestId(): RequestId | undefined {
    let latest: RequestId | undefined;
    for (const call of this.calls.values()) latest = call.id;
    return latest;
  }

  /**
   * Forwards `request` (its `params` replaced by `params` when given, e.g. with the server's own
   * tool name) and answers the client with the result, shaped by `shape`, or the error. Not an
   * async function: every forwarded request passes here (decision 64).
   */
  forward(upstream: Upstream, request: JsonRpcRequest, options: ForwardingOptions = NO_OPTIONS): Promise<void> {
    const { id, method } = request;
    const params = options.params ?? request.params;
    if (this.calls.has(id)) {
      this.send(errorResponse(id, JsonRpcErrorCode.InvalidRequest, `request id ${JSON.stringify(id)} is already in use by a request in flight`), id);
      return Promise.resolve();
    }
    const call: InFlight = { id, cancellation: new CallCancellation(), shape: options.shape };
    this.calls.set(id, call);
    const forwardOptions: ForwardOptions = {
      signal: call.cancellation,
      onprogress: progressRelay(params, (notification) => this.send(notification, id)),
      modern: options.modern,
    };
    // `Upstream.forward` reports every failure as a rejection, never by throwing.
    return upstream.forward(method, params, forwardOptions).then(
      (result) => this.answered(call, result),
      (error: unknown) => this.failed(call, error),
    );
  }

  /** The server's result, shaped, goes to the client; a failure to shape or send it is answered as an error. */
  private answered(call: InFlight, result: Record<string, unknown>): void {
    try {
      if (!call.cancellation.aborted) this.send(resultResponse(call.id, call.shape ? call.shape(result) : result), call.id);
    } catch (error) {
      return this.failed(call, error);
    }
    this.done(call);
  }

  private failed(call: InFlight, error: unknown): void {
    try {
      // A cancelled request gets no answer; the client stopped waiting.
      if (!call.cancellation.aborted) this.send(gatewayErrorResponse(call.id, error), call.id);
    } finally {
      this.done(call);
    }
  }

  private done(call: InFlight): void {
    if (this.calls.get(call.id) === call) this.calls.delete(call.id);
  }

  /** `notifications/cancelled` from the client: aborts that request, if it is one of these. */
  cancel(requestId: unknown): void {
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    this.calls.get(requestId)?.cancellation.abort();
    this.calls.delete(requestId);
  }

  abortAll(): void {
    for (const call of this.calls.values()) call.cancellation.abort();
    this.calls.clear();
  }
}
