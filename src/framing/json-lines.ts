/**
 * Newline-delimited JSON framing, the stdio transport's wire format, in one place.
 *
 * Why not the SDK's `ReadBuffer`: it drops non-JSON lines without telling anyone, and a line that
 * is JSON but not JSON-RPC surfaces as a transport error. A gateway must log what a misbehaving
 * server prints (a stray `console.log` on stdout is the most common stdio-server bug) and carry on.
 *
 * @module
 */
import { StringDecoder } from 'node:string_decoder';
import type { JSONRPCMessage } from '@modelcontextprotocol/client';

/** The largest line accepted before the stream is declared broken (the SDK's default too). */
export const DEFAULT_MAX_LINE_BYTES = 10 * 1024 * 1024;

export interface JsonLinesHandlers {
  onMessage(message: JSONRPCMessage): void;
  /** A line that is not a JSON-RPC message: logged by the caller, then skipped. */
  onInvalidLine(line: string, reason: string): void;
}

/**
 * Splits a byte stream into JSON-RPC messages. Multi-byte UTF-8 characters split across chunks
 * are decoded correctly; CRLF line ends and blank lines are tolerated.
 */
export class JsonLinesReader {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(
    private readonly handlers: JsonLinesHandlers,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {}

  /** Feeds a chunk; throws when a single line grows past the limit (the stream cannot be resynchronised safely). */
  push(chunk: Buffer | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let newline = this.pending.indexOf('\n');
    while (newline !== -1) {
      const line = this.pending.slice(0, newline);
      this.pending = this.pending.slice(newline + 1);
      this.handleLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      newline = this.pending.indexOf('\n');
    }
    if (this.pending.length > this.maxLineBytes) {
      this.pending = '';
      throw new Error(`a message exceeded the maximum size of ${this.maxLineBytes} bytes`);
    }
  }

  private handleLine(line: string): void {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.handlers.onInvalidLine(line, 'not JSON');
      return;
    }
    if (!isJsonRpcEnvelope(value)) {
      this.handlers.onInvalidLine(line, 'not a JSON-RPC message');
      return;
    }
    this.handlers.onMessage(value);
  }
}

/**
 * The JSON-RPC 2.0 envelope: a request or notification (`method`), or a response (`id` with
 * `result` or `error`). Only the envelope is checked here, in plain code rather than the SDK's
 * zod schema, which costs more than everything else a proxied message goes through; the SDK
 * validates each result, request and notification against its method's schema after this.
 */
export function isJsonRpcEnvelope(value: unknown): value is JSONRPCMessage {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== '2.0') return false;
  const id = message.id;
  const validId = typeof id === 'string' || typeof id === 'number';
  if (typeof message.method === 'string') {
    return (id === undefined || validId) && (message.params === undefined || (typeof message.params === 'object' && message.params !== null));
  }
  if ('result' in message) return validId && typeof message.result === 'object' && message.result !== null;
  if ('error' in message) {
    const error = message.error as Record<string, unknown> | null;
    return (validId || id === null || id === undefined) && typeof error === 'object' && error !== null && typeof error.code === 'number';
  }
  return false;
}

/** Serialises one message as a line. */
export function toJsonLine(message: JSONRPCMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/**
 * Splits text into lines for logging (stderr of a child): yields complete lines, keeps the rest.
 * Long partial lines are flushed so a child that never prints a newline cannot grow memory.
 */
export class TextLineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly maxLineChars = 16 * 1024) {}

  push(chunk: Buffer): string[] {
    this.pending += this.decoder.write(chunk);
    const parts = this.pending.split(/\r?\n/);
    this.pending = parts.pop() ?? '';
    if (this.pending.length > this.maxLineChars) {
      parts.push(this.pending);
      this.pending = '';
    }
    return parts.filter((line) => line.trim() !== '');
  }

  /** Whatever is left when the stream ends. */
  flush(): string[] {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest.trim() === '' ? [] : [rest];
  }
}
