/**
 * The tool calls the clients make, each with the one answer that is correct for it, so that a
 * 2xx (or an MCP result) carrying anything else is caught as a wrong result rather than counted
 * as a success.
 *
 * The mix: `echo` with arguments from 64 bytes to 128 KiB (messages that cross pipe-buffer and
 * chunk boundaries), a short `slow` call (so calls are in flight when a child is killed), and
 * server-everything's `echo` and `get-sum` (a real SDK server's answers). Every message starts
 * with a letter, so the REST frontend (which parses a JSON-looking text) returns it as a string.
 *
 * @module
 */
import { SERVERS } from './config.js';

export interface ToolCall {
  /** What is counted: `server/tool`. */
  kind: string;
  server: string;
  tool: string;
  arguments: Record<string, unknown>;
  /** The text the tool answers: its one text content item, and the REST body as a JSON string. */
  expected: string;
}

/** Message sizes and how often each is picked. */
const MESSAGE_SIZES: Array<[bytes: number, weight: number]> = [
  [64, 50],
  [1024, 30],
  [16 * 1024, 15],
  [128 * 1024, 5],
];

type CallMaker = (tag: string) => ToolCall;

interface Choice {
  server: string;
  weight: number;
  make: CallMaker;
}

function pickWeighted<T>(items: ReadonlyArray<T>, weightOf: (item: T) => number): T {
  const total = items.reduce((sum, item) => sum + weightOf(item), 0);
  let point = Math.random() * total;
  for (const item of items) {
    point -= weightOf(item);
    if (point < 0) return item;
  }
  return items[items.length - 1]!;
}

/** A message of one of the sizes above, starting with `tag` so that answers cannot be mixed up unnoticed. */
function message(tag: string): string {
  const [bytes] = pickWeighted(MESSAGE_SIZES, ([, weight]) => weight);
  const head = `soak ${tag} `;
  return head + 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(bytes / 36)).slice(0, Math.max(0, bytes - head.length));
}

const scriptedEcho =
  (server: string): CallMaker =>
  (tag) => {
    const text = message(tag);
    return { kind: `${server}/echo`, server, tool: 'echo', arguments: { message: text }, expected: text };
  };

const scriptedSlow =
  (server: string): CallMaker =>
  () => ({ kind: `${server}/slow`, server, tool: 'slow', arguments: { ms: 100 + Math.floor(Math.random() * 300) }, expected: 'done' });

const everythingEcho: CallMaker = (tag) => {
  const text = message(tag);
  return { kind: `${SERVERS.everything}/echo`, server: SERVERS.everything, tool: 'echo', arguments: { message: text }, expected: `Echo: ${text}` };
};

const everythingSum: CallMaker = () => {
  const a = Math.floor(Math.random() * 1_000_000);
  const b = Math.floor(Math.random() * 1_000_000);
  return {
    kind: `${SERVERS.everything}/get-sum`,
    server: SERVERS.everything,
    tool: 'get-sum',
    arguments: { a, b },
    expected: `The sum of ${a} and ${b} is ${a + b}.`,
  };
};

const CHOICES: Choice[] = [
  { server: SERVERS.scripted, weight: 30, make: scriptedEcho(SERVERS.scripted) },
  { server: SERVERS.scripted, weight: 10, make: scriptedSlow(SERVERS.scripted) },
  { server: SERVERS.perSession, weight: 15, make: scriptedEcho(SERVERS.perSession) },
  { server: SERVERS.perSession, weight: 5, make: scriptedSlow(SERVERS.perSession) },
  { server: SERVERS.everything, weight: 25, make: everythingEcho },
  { server: SERVERS.everything, weight: 15, make: everythingSum },
];

/** A random call to any server (REST and the aggregated `/mcp`), or to `server` only (its own `/{server}/mcp`). */
export function randomCall(tag: string, server?: string): ToolCall {
  const choices = server === undefined ? CHOICES : CHOICES.filter((choice) => choice.server === server);
  if (choices.length === 0) throw new Error(`no calls defined for server "${server}"`);
  return pickWeighted(choices, (choice) => choice.weight).make(tag);
}

/** One call of each kind (for the probe before the load), to any server or to `server` only. */
export function oneCallOfEachKind(tag: string, server?: string): ToolCall[] {
  return CHOICES.filter((choice) => server === undefined || choice.server === server).map((choice) => choice.make(tag));
}

/** The name of a tool on the aggregated `/mcp`: `{server}_{tool}` (the tools here need no shortening). */
export function aggregatedToolName(call: ToolCall): string {
  return `${call.server}_${call.tool}`;
}
