/**
 * The embedded demo MCP server. `mcpgate` with no config runs the gateway on this server, so a
 * new user sees tools, a resource and a prompt work without installing anything. The time tools
 * mirror the reference `mcp-server-time` server (same names and result shape), so what a user
 * learns here carries over to a real upstream.
 *
 * Everything is computed with `Intl.DateTimeFormat`: no time-zone library, no extra dependency.
 *
 * @module
 */

import { McpServer, type CallToolResult } from '@modelcontextprotocol/server';
import * as z from 'zod';

/** Version reported in `serverInfo`; bump it when the demo's surface changes. */
const DEMO_SERVER_VERSION = '1.0.0';

/** Zones listed by the `demo://timezones` resource: one per inhabited continent and then some. */
const COMMON_TIME_ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Paris',
  'Europe/Berlin',
  'Europe/Moscow',
  'Africa/Cairo',
  'Africa/Johannesburg',
  'Asia/Dubai',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Shanghai',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Pacific/Auckland',
  'America/Sao_Paulo',
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'Pacific/Honolulu',
] as const;

// ---------------------------------------------------------------------------------------------
// Time-zone arithmetic
// ---------------------------------------------------------------------------------------------

/** The wall-clock reading of an instant in one zone. */
interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: string;
}

/** The result shape of mcp-server-time's `get_current_time`, reused for both sides of `convert_time`. A type, not an interface, so it is assignable to `Record<string, unknown>`. */
type TimeResult = {
  timezone: string;
  datetime: string;
  day_of_week: string;
  is_dst: boolean;
};

/** Thrown for a zone name `Intl` does not know; turned into an `isError` tool result. */
class InvalidTimeZoneError extends Error {
  constructor(readonly timeZone: string) {
    super(`Invalid timezone: '${timeZone}'. Use an IANA time zone name such as 'Europe/Paris' or 'UTC'.`);
    this.name = 'InvalidTimeZoneError';
  }
}

/** Formatters are costly to build; tools hit the same few zones over and over. */
const formatterCache = new Map<string, Intl.DateTimeFormat>();

/**
 * A formatter that reads the wall clock in `timeZone`. Building it is also the validation:
 * `Intl.DateTimeFormat` throws a `RangeError` for a zone it does not know.
 */
function wallClockFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatterCache.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        // h23, not hour12: false, which some ICU versions render as "24" at midnight.
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        weekday: 'long',
        era: 'short',
      });
    } catch (error) {
      if (error instanceof RangeError) throw new InvalidTimeZoneError(timeZone);
      throw error;
    }
    formatterCache.set(timeZone, formatter);
  }
  return formatter;
}

/** Reads the wall clock of `instant` (ms since the epoch) in `timeZone`. */
function wallClockAt(timeZone: string, instant: number): WallClock {
  const parts: Record<string, string> = {};
  for (const part of wallClockFormatter(timeZone).formatToParts(instant)) parts[part.type] = part.value;
  const year = Number(parts.year);
  return {
    // Years before 1 CE come back as "2 BC"; keep the arithmetic right even there.
    year: parts.era === 'BC' || parts.era === 'B' ? 1 - year : year,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: parts.weekday ?? '',
  };
}

/** The wall clock read as if it were UTC, in ms: the difference with the instant is the offset. */
function wallClockAsUtc(clock: WallClock): number {
  const asUtc = new Date(0);
  asUtc.setUTCFullYear(clock.year, clock.month - 1, clock.day);
  asUtc.setUTCHours(clock.hour, clock.minute, clock.second, 0);
  return asUtc.getTime();
}

/** The UTC offset of `timeZone` at `instant`, in minutes east of Greenwich. */
function offsetMinutesAt(timeZone: string, instant: number): number {
  // Drop the milliseconds: the wall clock has none, so they would skew the offset.
  const wholeSecond = Math.floor(instant / 1000) * 1000;
  return Math.round((wallClockAsUtc(wallClockAt(timeZone, wholeSecond)) - wholeSecond) / 60_000);
}

/**
 * Whether daylight saving time is in effect at `instant`. Zones with DST have two different
 * offsets across the year; the larger one is summer time. Comparing January with July (rather
 * than asking "is it summer") works for both hemispheres.
 */
function isDstAt(timeZone: string, instant: number): boolean {
  const year = new Date(instant).getUTCFullYear();
  const january = offsetMinutesAt(timeZone, Date.UTC(year, 0, 1));
  const july = offsetMinutesAt(timeZone, Date.UTC(year, 6, 1));
  if (january === july) return false;
  return offsetMinutesAt(timeZone, instant) === Math.max(january, july);
}

function pad(value: number, width = 2): string {
  return String(Math.abs(value)).padStart(width, '0');
}

/** `+01:00`-style offset, as Python's `isoformat()` writes it (UTC is `+00:00`, not `Z`). */
function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Describes `instant` in `timeZone` the way mcp-server-time does (ISO 8601 to the second, with offset). */
function describeInstant(timeZone: string, instant: number): TimeResult {
  const clock = wallClockAt(timeZone, instant);
  const offset = offsetMinutesAt(timeZone, instant);
  const date = `${clock.year < 0 ? '-' : ''}${pad(clock.year, 4)}-${pad(clock.month)}-${pad(clock.day)}`;
  const time = `${pad(clock.hour)}:${pad(clock.minute)}:${pad(clock.second)}`;
  return {
    timezone: timeZone,
    datetime: `${date}T${time}${formatOffset(offset)}`,
    day_of_week: clock.weekday,
    is_dst: isDstAt(timeZone, instant),
  };
}

/**
 * The instant at which the wall clock in `timeZone` reads the given local date and time.
 * Guess with the offset at the wall time read as UTC, then correct once with the offset at the
 * guess: that settles every real zone. A time skipped by a DST jump lands an hour off, and a
 * repeated one resolves to one of its two instants; both are acceptable for a demo.
 */
function instantOfWallClock(timeZone: string, clock: Omit<WallClock, 'weekday'>): number {
  const asUtc = wallClockAsUtc({ ...clock, weekday: '' });
  const guess = asUtc - offsetMinutesAt(timeZone, asUtc) * 60_000;
  return asUtc - offsetMinutesAt(timeZone, guess) * 60_000;
}

/** `+9.0h`, `-5.0h`, `+5.75h`: mcp-server-time's format for the difference between two zones. */
function formatHourDifference(minutes: number): string {
  const hours = minutes / 60;
  const sign = hours < 0 ? '-' : '+';
  const digits = Number.isInteger(hours) ? Math.abs(hours).toFixed(1) : String(Number(Math.abs(hours).toFixed(2)));
  return `${sign}${digits}h`;
}

// ---------------------------------------------------------------------------------------------
// Tool results
// ---------------------------------------------------------------------------------------------

/** The same object as JSON text (for clients that ignore structured output) and as `structuredContent`. */
function jsonResult(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value };
}

/**
 * Turns a bad zone name into a tool error the model can read and correct; anything else is a bug
 * and propagates. No `structuredContent` on errors: the output schema only describes successes.
 */
function toolError(error: unknown): CallToolResult {
  if (error instanceof InvalidTimeZoneError) return { content: [{ type: 'text', text: error.message }], isError: true };
  throw error;
}

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

const timeResultSchema = z.object({
  timezone: z.string().describe('The IANA time zone name that was asked for'),
  datetime: z.string().describe('ISO 8601 local date and time with UTC offset, to the second'),
  day_of_week: z.string().describe('English name of the local day of the week'),
  is_dst: z.boolean().describe('Whether daylight saving time is in effect'),
});

/** `HH:MM`, 24-hour clock. */
const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Everything the demo tools do is local computation: no side effects, nothing outside the process. */
const pureComputation = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
} as const;

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

/**
 * Builds a fresh demo server: tools `get_current_time`, `convert_time`, `echo` and `add`, the
 * resource `demo://timezones` and the prompt `time_in_city`. Each call returns a new instance,
 * so it can serve as the factory of a serving entry (`serveStdio`, `createMcpHandler`).
 */
export function createDemoServer(): McpServer {
  const server = new McpServer(
    { name: 'mcpgate-demo', title: 'mcpgate demo server', version: DEMO_SERVER_VERSION },
    {
      instructions:
        'Demo server bundled with mcpgate: time zone tools (get_current_time, convert_time), echo and add.',
    },
  );

  server.registerTool(
    'get_current_time',
    {
      title: 'Get current time',
      description: 'Get the current date and time in an IANA time zone, with its day of the week and DST status.',
      inputSchema: z.object({
        timezone: z
          .string()
          .default('UTC')
          .describe("IANA time zone name, e.g. 'Europe/Paris' or 'America/New_York'. Defaults to 'UTC'."),
      }),
      outputSchema: timeResultSchema,
      // Not idempotent in the usual sense (the answer changes every second), but calling it twice has no effect.
      annotations: { ...pureComputation, title: 'Get current time' },
    },
    ({ timezone }) => {
      try {
        return jsonResult(describeInstant(timezone, Date.now()));
      } catch (error) {
        return toolError(error);
      }
    },
  );

  server.registerTool(
    'convert_time',
    {
      title: 'Convert time',
      description:
        "Convert a time of day (today's date in the source time zone) from one IANA time zone to another.",
      inputSchema: z.object({
        source_timezone: z.string().describe("IANA time zone name of the given time, e.g. 'America/New_York'"),
        time: z.string().regex(HH_MM, 'time must be HH:MM on the 24-hour clock').describe('Time of day to convert, HH:MM on the 24-hour clock'),
        target_timezone: z.string().describe("IANA time zone name to convert to, e.g. 'Asia/Tokyo'"),
      }),
      outputSchema: z.object({
        source: timeResultSchema,
        target: timeResultSchema,
        time_difference: z.string().describe("Target offset minus source offset in hours, e.g. '+9.0h' or '-5.75h'"),
      }),
      annotations: { ...pureComputation, title: 'Convert time' },
    },
    ({ source_timezone, time, target_timezone }) => {
      try {
        // Validate both zones before any arithmetic so the message names the bad one.
        wallClockFormatter(source_timezone);
        wallClockFormatter(target_timezone);
        const [hour, minute] = time.split(':').map(Number) as [number, number];
        const today = wallClockAt(source_timezone, Date.now());
        const instant = instantOfWallClock(source_timezone, { ...today, hour, minute, second: 0 });
        const difference = offsetMinutesAt(target_timezone, instant) - offsetMinutesAt(source_timezone, instant);
        return jsonResult({
          source: describeInstant(source_timezone, instant),
          target: describeInstant(target_timezone, instant),
          time_difference: formatHourDifference(difference),
        });
      } catch (error) {
        return toolError(error);
      }
    },
  );

  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Return the message unchanged. Handy to check that calls go through the gateway.',
      inputSchema: z.object({ message: z.string().describe('Text to send back') }),
      annotations: { ...pureComputation, title: 'Echo' },
    },
    ({ message }) => ({ content: [{ type: 'text', text: message }] }),
  );

  server.registerTool(
    'add',
    {
      title: 'Add two numbers',
      description: 'Add two numbers and return the sum.',
      inputSchema: z.object({
        a: z.number().describe('First addend'),
        b: z.number().describe('Second addend'),
      }),
      outputSchema: z.object({ sum: z.number().describe('a + b') }),
      annotations: { ...pureComputation, title: 'Add two numbers' },
    },
    ({ a, b }) => {
      const sum = a + b;
      return { content: [{ type: 'text', text: String(sum) }], structuredContent: { sum } };
    },
  );

  server.registerResource(
    'timezones',
    'demo://timezones',
    {
      title: 'Common time zones',
      description: 'Some common IANA time zone names, one per line, to use with the time tools.',
      mimeType: 'text/plain',
    },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: `${COMMON_TIME_ZONES.join('\n')}\n` }] }),
  );

  server.registerPrompt(
    'time_in_city',
    {
      title: 'Time in a city',
      description: 'Ask what time it is in a city, using the get_current_time tool.',
      argsSchema: z.object({ city: z.string().describe("City name, e.g. 'Tokyo'") }),
    },
    ({ city }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text: `What time is it in ${city} right now? Work out the IANA time zone of ${city} and use the get_current_time tool with it.`,
          },
        },
      ],
    }),
  );

  return server;
}
