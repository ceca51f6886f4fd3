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
import { CallCancellation } from '../upstream/call-cancellation.js';
import type { ModernRequestParts, Upstream } from '../upstream/upstream.js';
import {
  errorResponse,
  gatewayErrorResponse,
  JsonRpcErrorCode,
  keyOf,
  progressRelay,
  resultResponse,
  type JsonRpcRequest,
  type RequestId,
} from './json-rpc.js';

/** Sends a message to the client, on the stream of `relatedRequestId` when given. */
export type SendToClient = (message: JSONRPCMessage, relatedRequestId: RequestId | undefined) => void;

export class ForwardedRequests {
  private readonly calls = new Map<string, { id: RequestId; cancellation: CallCancellation }>();

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
   * tool name) and answers the client with the result, shaped by `shape`, or the error.
   */
  async forward(
    upstream: Upstream,
    request: JsonRpcRequest,
    options: { params?: Record<string, unknown>; shape?: (result: Record<string, unknown>) => Record<string, unknown>; modern?: ModernRequestParts | undefined } = {},
  ): Promise<void> {
    const { id, method } = request;
    const params = options.params ?? request.params;
    const key = keyOf(id);
    if (this.calls.has(key)) {
      return this.send(errorResponse(id, JsonRpcErrorCode.InvalidRequest, `request id ${JSON.stringify(id)} is already in use by a request in flight`), id);
    }
    const cancellation = new CallCancellation();
    this.calls.set(key, { id, cancellation });
    const onprogress = progressRelay(params, (notification) => this.send(notification, id));
    try {
      const result = await upstream.forward(method, params, {
        signal: cancellation,
        ...(onprogress ? { onprogress } : {}),
        ...(options.modern ? { modern: options.modern } : {}),
      });
      if (!cancellation.aborted) this.send(resultResponse(id, options.shape ? options.shape(result) : result), id);
    } catch (error) {
      // A cancelled request gets no answer; the client stopped waiting.
      if (!cancellation.aborted) this.send(gatewayErrorResponse(id, error), id);
    } finally {
      if (this.calls.get(key)?.cancellation === cancellation) this.calls.delete(key);
    }
  }

  /** `notifications/cancelled` from the client: aborts that request, if it is one of these. */
  cancel(requestId: unknown): void {
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    const key = keyOf(requestId);
    this.calls.get(key)?.cancellation.abort();
    this.calls.delete(key);
  }

  abortAll(): void {
    for (const call of this.calls.values()) call.cancellation.abort();
    this.calls.clear();
  }
}
