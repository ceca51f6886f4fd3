/**
 * Shared parts of the fuzz tests of the REST and MCP endpoints.
 *
 * - The gateway under test is the real `mcpgate` command (through `test/cli/run-cli.ts`) with a
 *   config file and real upstream children: the scripted fixture server and server-everything.
 *   Requests are real HTTP over sockets: `fetch`, and a raw `node:net` socket for what `fetch`
 *   refuses to send (bad header bytes, lying `Content-Length`, broken chunked encoding, …).
 * - Generated inputs come from fast-check with a fixed seed (`FUZZ_SEED` overrides it, `FUZZ_RUNS`
 *   scales every property's number of runs); a failure names the seed and the counterexample.
 * - Every test ends with {@link expectStillServing}: the process is alive, `/healthz` and `/readyz`
 *   answer 200, a normal call still works, and the log holds no "unhandled error in a route"
 *   record (a bug of the gateway's own, answered 500) and no fatal one.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { expect } from 'vitest';
import { everythingServerPath, scriptedServerPath } from '../helpers/fixtures.js';
import { getJson, pollReadyz, startCli, type CliProcess, type LogRecord, type TempDir } from '../cli/run-cli.js';

/** The seed of every property; a failure prints it, and `FUZZ_SEED=<seed>` replays it. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_124);

/** `--max-body-size` of the gateways under test: small enough that "just over" and "many MB" are cheap to send. */
export const BODY_LIMIT = 1_048_576;

/** Runs `property` with the fixed seed; `runs` is scaled by `FUZZ_RUNS` (a number of runs to use instead). */
export async function fuzz<Ts extends [unknown, ...unknown[]]>(what: string, property: fc.IAsyncProperty<Ts>, runs: number): Promise<void> {
  const numRuns = process.env.FUZZ_RUNS === undefined ? runs : Number(process.env.FUZZ_RUNS);
  try {
    await fc.assert(property, { seed: FUZZ_SEED, numRuns });
  } catch (error) {
    // fast-check's message already holds the seed, the path and the counterexample.
    throw new Error(`fuzzing ${what} failed (seed ${FUZZ_SEED}; replay with FUZZ_SEED=${FUZZ_SEED})\n${(error as Error).message}`, { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------
// The gateway under test

export const scriptedServer = { command: process.execPath, args: [scriptedServerPath] };
export const everythingServer = { command: process.execPath, args: [everythingServerPath, 'stdio'] };

export interface FuzzGateway {
  cli: CliProcess;
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
}

/** Starts `mcpgate --config <servers> --max-body-size BODY_LIMIT ...args` and waits until every server is ready. */
export async function startFuzzGateway(temp: TempDir, owner: object, servers: Record<string, unknown>, args: string[] = [], configName = 'fuzz-config.json'): Promise<FuzzGateway> {
  const config = await temp.write(configName, JSON.stringify({ mcpServers: servers }, null, 2));
  const cli = startCli(['--port', '0', '--config', config, '--max-body-size', String(BODY_LIMIT), ...args], { owner });
  const url = await cli.waitForListening();
  await pollReadyz(url);
  return { cli, url, port: Number(new URL(url).port) };
}

/** Log records that only a bug of the gateway's own writes: a route that threw, or anything fatal. */
export function gatewayBugRecords(cli: CliProcess): LogRecord[] {
  return cli.logRecords().filter((record) => record.msg === 'unhandled error in a route' || record.level >= 60);
}

/** The end of the CLI's transcript, for failure messages. */
export function transcriptTail(cli: CliProcess, chars = 6_000): string {
  const text = cli.transcript();
  return text.length > chars ? `…${text.slice(-chars)}` : text;
}

/**
 * The checks every fuzz batch ends with: the process is alive, `/healthz` and `/readyz` say so
 * (no upstream went down: nothing here may answer 502/503/504), `normalCall` (a plain tool call
 * of the test's own) still works, and the log holds no route error and no fatal record.
 */
export async function expectStillServing(gateway: FuzzGateway, normalCall: () => Promise<void>): Promise<void> {
  const { cli, url } = gateway;
  expect(cli.hasExited, `the gateway exited\n${transcriptTail(cli)}`).toBe(false);
  const health = await getJson<{ status: string }>(url, '/healthz');
  expect(health, transcriptTail(cli)).toEqual({ status: 200, body: { status: 'ok' } });
  const ready = await getJson<{ ready: boolean }>(url, '/readyz');
  expect(ready.status, `/readyz: ${JSON.stringify(ready.body)}`).toBe(200);
  await normalCall();
  expect(gatewayBugRecords(cli), transcriptTail(cli)).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** What `fetch` takes as a request body. */
export type Body = NonNullable<RequestInit['body']>;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

/** Any request; an event stream's body is cancelled (not waited for), every other body is read. */
export async function request(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Answer> {
  const { timeoutMs = 15_000, ...rest } = init;
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), ...rest });
  let text = '';
  if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream') && init.method !== 'POST') await response.body?.cancel();
  else text = await response.text();
  return { status: response.status, headers: response.headers, text, json: parseJson(text) };
}

export function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The JSON-RPC messages of an MCP answer, whether it came as JSON or as an SSE stream. */
export function messagesOfAnswer(answer: Answer): any[] {
  if (!(answer.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    if (answer.text === '') return [];
    const value = parseJson(answer.text);
    return Array.isArray(value) ? value : [value];
  }
  return answer.text
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice('data:'.length).trim())
    .filter((data) => data !== '')
    .map((data) => JSON.parse(data));
}

/**
 * What a raw socket got back: the status line's code (undefined when the server sent nothing)
 * and the whole answer as text.
 */
export interface RawAnswer {
  status: number | undefined;
  text: string;
}

export interface RawOptions {
  /** Half-close the socket once everything is written (the request can then never grow). */
  end?: boolean;
  /** How long to wait for an answer before destroying the socket. */
  waitMs?: number;
}

/**
 * Writes `parts` (strings are sent as latin1, so any byte can be written) on a fresh connection
 * and collects the answer until the server closes, a complete answer has arrived, or `waitMs`
 * passes; the socket is then destroyed (a client that goes away mid-request).
 */
export function rawRequest(port: number, parts: Array<string | Buffer>, options: RawOptions = {}): Promise<RawAnswer> {
  const { end = false, waitMs = 2_000 } = options;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      resolve({ status: status === undefined ? undefined : Number(status), text });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('connect', () => {
      for (const part of parts) socket.write(typeof part === 'string' ? Buffer.from(part, 'latin1') : part);
      if (end) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (answerIsComplete(Buffer.concat(chunks).toString('latin1'))) finish();
    });
    socket.on('close', finish);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may reset a connection it refused; what it sent before still counts.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') finish();
      else if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(error);
      }
    });
  });
}

function answerIsComplete(text: string): boolean {
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd === -1) return false;
  const head = text.slice(0, headEnd).toLowerCase();
  const body = text.slice(headEnd + 4);
  const length = /\r\ncontent-length: *(\d+)/.exec(head)?.[1];
  if (length !== undefined) return Buffer.byteLength(body, 'latin1') >= Number(length);
  if (head.includes('transfer-encoding: chunked')) return body.endsWith('0\r\n\r\n');
  return false;
}

/** `text` as a path segment: its UTF-8 bytes percent-encoded (a lone surrogate becomes U+FFFD's bytes, as a URL would carry it). */
export function percentEncode(text: string): string {
  return percentEncodeBytes(Buffer.from(text, 'utf8'));
}

/** Bytes as a path segment, every byte that is not unreserved as `%XX`, so any byte (invalid UTF-8 included) reaches the server. */
export function percentEncodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9_~-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `depth` nested arrays (`[[[…]]]`) or objects (`{"a":{"a":…}}`), as JSON text, built without recursion. */
export function deeplyNested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Characters that break naive handling: controls, NUL, bidi marks, separators, lone surrogates, emoji, URL and JSON syntax. */
const SPECIAL_CHARACTERS = [
  '\u0000', '\u0001', '\u0008', '\u001b', '\u007f', '\u0085', '\u00a0', '\u00ad',
  '\u200b', '\u200d', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069', '\u2028', '\u2029', '\ufeff', '\ufffd', '\uffff',
  '\ud800', '\udbff', '\udc00', '\udfff', '\u0301', '\u0e3a', '\ufdfd',
  '😀', '👨‍👩‍👧‍👦', '🏳️‍🌈', '𝕏', '🇫🇷',
  '%', '%00', '%ZZ', '%2F', '/', '\\', '.', '..', '"', "'", '`', '<', '>', '{', '}', '[', ']', '\n', '\r\n', '\t', ' ',
  '$', '#', '?', '&', '=', '+', ';', ':', '*', '__proto__', 'constructor', 'null', 'NaN', '-0', '1e999',
];

/** One "character" of an odd string: special characters, any UTF-16 code unit (lone surrogates included), any code point, graphemes. */
export const oddUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_CHARACTERS) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
);

/** Odd strings, sometimes very long (`maxLong` units of one kind). */
export function oddString(maxLong = 100_000): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.string({ unit: oddUnit, maxLength: 30 }) },
    { weight: 1, arbitrary: fc.tuple(oddUnit, fc.integer({ min: Math.min(1_000, maxLong), max: maxLong })).map(([unit, count]) => unit.repeat(count)) },
  );
}

/** Numbers at the edges of what JSON and JavaScript can hold. */
export const edgeNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, 1e308, -1e308, 5e-324, 2 ** 31, 2 ** 53 + 2, -(2 ** 53) - 2, Number.MAX_SAFE_INTEGER),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Any JSON value, with odd strings and edge numbers. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    edgeNumber,
    oddString(2_000),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(oddString(50), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A header value `fetch` accepts (printable latin1, no CR/LF/NUL), odd but sendable. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', 'garbage', 'null', '*/*', ';;;', 'application/json', 'text/event-stream', 'application/json, text/event-stream', '2026-07-28', '2025-11-25', '1999-01-01', 'x'.repeat(4_000)),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((code) => code !== 0x7f).map((code) => String.fromCharCode(code)), maxLength: 40 }),
);

/** Random bytes, sometimes valid UTF-8 text, sometimes not. */
export const randomBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  oddString(5_000).map((text) => new Uint8Array(Buffer.from(text, 'utf8'))),
);
