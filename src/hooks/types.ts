/**
 * The hook API: what a hook object may define, and the shapes its functions see. Every frontend
 * (REST, streamable HTTP in both protocol eras, HTTP+SSE, and the `--stdio` client mode) calls
 * hooks through one runner, so a hook written once applies everywhere.
 *
 * Message and tool hooks are middleware: each is `(next) => handler`, built once when the gateway
 * starts, and the handlers compose in the order the hooks are given. A handler passes a message
 * on by calling `next` (with it, or with a changed copy), drops it by returning without calling
 * `next`, or answers it itself by returning a `MessageAnswer` (a request only).
 *
 * @module
 */

/** The frontend a message or call came through. */
export type Frontend = 'rest' | 'streamable-http' | 'sse' | 'stdio';

/** Who is on the other end of a frontend, as far as the gateway can tell. */
export interface Caller {
  /** The HTTP client's address (none on stdio). */
  readonly address?: string;
  /** The `clientInfo` the MCP client sent in `initialize` (legacy sessions, once it has). */
  readonly client?: { readonly name: string; readonly version: string };
}

/** Where a message or call is going, and where it came from. */
export interface HookContext {
  /**
   * The configured server the traffic is for. On the aggregated endpoint (`/mcp` with a config
   * file) message hooks see `"*"`, because its messages name prefixed tools; tool hooks always see
   * the real server and the server's own tool name.
   */
  readonly server: string;
  readonly frontend: Frontend;
  /** The `Mcp-Session-Id` of a legacy MCP session; undefined for REST calls, 2026-07-28 requests and stdio. */
  readonly session: string | undefined;
  readonly caller: Caller;
  /**
   * The id of the HTTP request that carried the call or the client's message: the `X-Request-Id`
   * the gateway answered with (the caller's own when it sent one). Undefined over stdio and for
   * what the server sends.
   */
  readonly requestId?: string;
}

export type JsonRpcId = string | number;

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcResultResponse {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result: Record<string, unknown>;
}

export interface JsonRpcErrorResponse {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  error: JsonRpcErrorObject;
}

export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResultResponse | JsonRpcErrorResponse;

/** A hook's own answer to a request, sent back in place of the other side's (the id is filled in). */
export type MessageAnswer = { result: Record<string, unknown> } | { error: JsonRpcErrorObject };

/**
 * Handles one message. The last `next` in a chain delivers the message and returns nothing; a
 * handler that returns a `MessageAnswer` without calling `next` answers the request itself.
 */
export type MessageHandler = (message: JsonRpcMessage, context: HookContext) => MessageAnswer | void | Promise<MessageAnswer | void>;

export type MessageMiddleware = (next: MessageHandler) => MessageHandler;

/** One call of a tool, with the server's own names (never the aggregated endpoint's prefixed ones). */
export interface ToolCall {
  readonly server: string;
  readonly tool: string;
  readonly arguments: Record<string, unknown>;
}

/** An MCP `CallToolResult`, as the server sent it. */
export interface ToolResult {
  content: Array<{ type: string; [key: string]: unknown }>;
  /** Any JSON value (an object in servers before 2026-07-28). */
  structuredContent?: unknown;
  isError?: boolean;
  [key: string]: unknown;
}

/** Performs a call; the last `next` in a chain calls the server. It rejects with a `GatewayError` when the call fails. */
export type ToolCallHandler = (call: ToolCall, context: HookContext) => Promise<ToolResult>;

export type ToolCallMiddleware = (next: ToolCallHandler) => ToolCallHandler;

/** Sees a call's result before the caller does; the last `next` returns it as given. */
export type ToolResultHandler = (result: ToolResult, call: ToolCall, context: HookContext) => ToolResult | Promise<ToolResult>;

export type ToolResultMiddleware = (next: ToolResultHandler) => ToolResultHandler;

/** How a tool call ended, as an observer hears it: the result the caller got, or its error. */
export type ToolCallEnding = { readonly result: ToolResult } | { readonly error: unknown };

/** Told how an observed call ended, once. */
export type ToolCallEnded = (ending: ToolCallEnding) => void;

/** What `onStart` is told. */
export interface StartInfo {
  /** The base URL the gateway listens on; none in the `--stdio` client mode. */
  readonly url: string | undefined;
  /** The configured servers, in config order. */
  readonly servers: readonly string[];
}

/**
 * A hook: any subset of these members. Throwing a `GatewayError` from a handler answers the
 * message or call with that error (e.g. `FORBIDDEN`, 403 over REST); throwing anything else is a
 * failure of the hook: it is logged with the hook's name, the message it was handling gets an
 * error naming the hook, and everything else carries on.
 */
export interface Hook {
  /** Names the hook in logs and errors; a hook module's file name when left out. */
  readonly name?: string;
  /** After the gateway listens and its servers are starting. */
  onStart?(info: StartInfo): void | Promise<void>;
  /** After the gateway stopped listening and closed its servers. */
  onClose?(): void | Promise<void>;
  /** Every JSON-RPC message a client sends, before the gateway handles it. */
  onClientMessage?: MessageMiddleware;
  /** Every JSON-RPC message sent to a client, before it leaves. */
  onServerMessage?: MessageMiddleware;
  /** Every tool call, over REST and MCP alike, after the message hooks. */
  onToolCall?: ToolCallMiddleware;
  /** Every tool call's result, over REST and MCP alike. */
  onToolResult?: ToolResultMiddleware;
  /**
   * Told of every tool call, over REST and MCP alike, without taking part in it: called as the
   * call starts (after the message hooks); the function it returns, if any, is called once with
   * how the call ended, after `onToolResult`. An observer cannot change, answer or delay a call,
   * so the gateway runs it beside the call rather than around it: where `onToolCall` costs a
   * chain of promises per call, an observer costs two function calls (the built-in metrics are
   * one). What it throws is logged and counted as the hook's failure; the call goes on.
   */
  observeToolCall?(call: ToolCall, context: HookContext): ToolCallEnded | void;
  /**
   * Whether a server's tool is offered at all. A tool any hook refuses is missing from every
   * list (OpenAPI documents, `tools/list`, the aggregated endpoint) and refused on call. Asked
   * when a server's catalog is listed and on each call.
   */
  allowTool?(server: string, tool: string): boolean;
}
