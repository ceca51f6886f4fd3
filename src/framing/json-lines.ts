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
import { parseJSONRPCMessage, type JSONRPCMessage } from '@modelcontextprotocol/client';

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
    let message: JSONRPCMessage;
    try {
      message = parseJSONRPCMessage(value);
    } catch {
      this.handlers.onInvalidLine(line, 'not a JSON-RPC message');
      return;
    }
    this.handlers.onMessage(message);
  }
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
