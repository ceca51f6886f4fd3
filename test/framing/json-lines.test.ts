import { describe, expect, it } from 'vitest';
import { JsonLinesReader, TextLineSplitter, isJsonRpcEnvelope, toJsonLine } from '../../src/framing/json-lines.js';

function reader(maxLineBytes?: number) {
  const messages: unknown[] = [];
  const invalid: Array<[string, string]> = [];
  const instance = new JsonLinesReader(
    { onMessage: (message) => messages.push(message), onInvalidLine: (line, reason) => invalid.push([line, reason]) },
    maxLineBytes,
  );
  return { instance, messages, invalid };
}

describe('JsonLinesReader', () => {
  it('decodes a multi-byte character split across chunks, CRLF endings and blank lines', () => {
    const { instance, messages } = reader();
    const bytes = Buffer.from(`${toJsonLine({ jsonrpc: '2.0', method: 'x', params: { s: 'héllo 🌍' } })}\r\n\n`);
    const cut = bytes.indexOf(0xf0) + 2; // in the middle of the emoji's four bytes
    instance.push(bytes.subarray(0, cut));
    expect(messages).toEqual([]);
    instance.push(bytes.subarray(cut));
    expect(messages).toEqual([{ jsonrpc: '2.0', method: 'x', params: { s: 'héllo 🌍' } }]);
  });

  it('keeps ids of every JSON type exactly as sent', () => {
    const { instance, messages } = reader();
    instance.push('{"jsonrpc":"2.0","id":"abc:1","result":{}}\n{"jsonrpc":"2.0","id":0,"result":{}}\n');
    expect(messages.map((message) => (message as { id: unknown }).id)).toEqual(['abc:1', 0]);
  });

  it('reports lines that are not JSON or not JSON-RPC and carries on', () => {
    const { instance, messages, invalid } = reader();
    instance.push('Starting server...\n{"hello":"world"}\n{"jsonrpc":"2.0","method":"ok"}\n');
    expect(invalid).toEqual([
      ['Starting server...', 'not JSON'],
      ['{"hello":"world"}', 'not a JSON-RPC message'],
    ]);
    expect(messages).toEqual([{ jsonrpc: '2.0', method: 'ok' }]);
  });

  it('throws when one line outgrows the limit', () => {
    const { instance } = reader(64);
    expect(() => instance.push('x'.repeat(100))).toThrow(/maximum size of 64 bytes/);
  });
});

describe('TextLineSplitter', () => {
  it('yields complete lines, keeps the partial one, and flushes it at the end', () => {
    const splitter = new TextLineSplitter();
    expect(splitter.push(Buffer.from('one\r\ntw'))).toEqual(['one']);
    expect(splitter.push(Buffer.from('o\n\nthr'))).toEqual(['two']);
    expect(splitter.flush()).toEqual(['thr']);
  });

  it('flushes a line that never ends rather than growing without bound', () => {
    const splitter = new TextLineSplitter(10);
    expect(splitter.push(Buffer.from('x'.repeat(25)))).toEqual(['x'.repeat(25)]);
  });
});

describe('isJsonRpcEnvelope', () => {
  it.each([
    [{ jsonrpc: '2.0', id: 1, method: 'ping' }, true],
    [{ jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'x' } }, true],
    [{ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } }, true],
    [{ jsonrpc: '2.0', id: 7, result: {} }, true],
    [{ jsonrpc: '2.0', id: 7, error: { code: -32601, message: 'nope' } }, true],
    [{ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }, true],
    [{ jsonrpc: '1.0', id: 1, method: 'ping' }, false],
    [{ jsonrpc: '2.0', id: { nested: true }, method: 'ping' }, false],
    [{ jsonrpc: '2.0', id: 1, method: 'ping', params: 'text' }, false],
    [{ jsonrpc: '2.0', id: 1, result: 'not an object' }, false],
    [{ jsonrpc: '2.0', id: 1, error: { message: 'no code' } }, false],
    [{ jsonrpc: '2.0', id: 1 }, false],
    [[{ jsonrpc: '2.0', method: 'ping' }], false],
    ['text', false],
  ])('%j → %s', (value, expected) => {
    expect(isJsonRpcEnvelope(value)).toBe(expected);
  });
});
