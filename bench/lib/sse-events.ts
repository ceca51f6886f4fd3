/**
 * Server-sent events, read from text: the answer body of a `/mcp` POST, and the `/sse` stream.
 * Only what the gateway writes is handled: `\n` or `\r\n` line ends; `event`, `data` and `id`
 * fields; comment lines (keep-alives). An event whose data is empty (the SDK's priming event,
 * which only carries an id for resumption) is not dispatched, as the SSE specification says.
 *
 * @module
 */

export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/** Takes text as it arrives and returns the events completed by it; a partial event waits for the next chunk. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    let start = 0;
    for (let end = this.buffer.indexOf('\n'); end !== -1; end = this.buffer.indexOf('\n', start)) {
      const line = this.buffer.charCodeAt(end - 1) === 13 ? this.buffer.slice(start, end - 1) : this.buffer.slice(start, end);
      start = end + 1;
      if (line === '') {
        const data = this.data.join('\n');
        if (data !== '') events.push({ event: this.event || 'message', data, id: this.id });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'id') this.id = value;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }
}

/** The events of a complete SSE body. */
export function parseSseBody(body: string): SseEvent[] {
  // A body that ends without the blank line still ends its last event.
  return new SseParser().push(body.endsWith('\n\n') ? body : `${body}\n\n`);
}
