/**
 * The demo server as the gateway sees it: a real child process spawned with
 * `demoServerCommand()`, reached over stdio with the v2 client. Run once per negotiation mode,
 * because the gateway may connect with either and `serveStdio` must serve both eras.
 */

import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoServerCommand } from '../../src/demo/command.js';

interface TimeResult {
  timezone: string;
  datetime: string;
  day_of_week: string;
  is_dst: boolean;
}

interface ToolOutcome {
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** `2026-11-23T21:05:00+01:00`: ISO 8601 to the second with a numeric offset, as mcp-server-time writes it. */
const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})([+-])(\d{2}):(\d{2})$/;

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Splits an ISO datetime into its local wall-clock fields and its offset in minutes. */
function parseIso(datetime: string): { y: number; mo: number; d: number; h: number; mi: number; offsetMinutes: number } {
  const match = ISO_WITH_OFFSET.exec(datetime);
  if (!match) throw new Error(`not an ISO datetime with offset: ${datetime}`);
  const field = (index: number): number => Number(match[index]);
  const sign = match[7] === '-' ? -1 : 1;
  return { y: field(1), mo: field(2), d: field(3), h: field(4), mi: field(5), offsetMinutes: sign * (field(8) * 60 + field(9)) };
}

/** The weekday of a calendar date, independent of any zone. */
function weekdayOf(y: number, mo: number, d: number): string {
  return WEEKDAYS[new Date(Date.UTC(y, mo - 1, d)).getUTCDay()] ?? '';
}

/** The text block must carry the same object as `structuredContent`. */
function expectTextMatchesStructured(result: ToolOutcome): void {
  expect(result.isError).toBeFalsy();
  const text = result.content.find((block) => block.type === 'text')?.text ?? '';
  expect(JSON.parse(text)).toEqual(result.structuredContent);
}

/** A well-formed time result for `timezone`, describing a moment close to now. */
function expectCurrentTime(result: TimeResult, timezone: string): ReturnType<typeof parseIso> {
  expect(result.timezone).toBe(timezone);
  const parsed = parseIso(result.datetime);
  expect(Math.abs(Date.parse(result.datetime) - Date.now())).toBeLessThan(5 * 60_000);
  expect(result.day_of_week).toBe(weekdayOf(parsed.y, parsed.mo, parsed.d));
  return parsed;
}

describe.each(['legacy', 'auto'] as const)('demo server over stdio (versionNegotiation %s)', (mode) => {
  let client: Client;

  async function call(name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
    return (await client.callTool({ name, arguments: args })) as ToolOutcome;
  }

  beforeAll(async () => {
    const { command, args } = demoServerCommand();
    client = new Client({ name: 'demo-server-test', version: '0.0.0' }, { versionNegotiation: { mode } });
    await client.connect(new StdioClientTransport({ command, args }));
  });

  afterAll(async () => {
    await client?.close();
  });

  it('identifies itself and negotiates the expected era', () => {
    expect(client.getServerVersion()?.name).toBe('mcpgate-demo');
    expect(client.getInstructions()).toMatch(/\S/);
    // 'auto' probes with server/discover, which serveStdio answers: the modern era wins.
    expect(client.getProtocolEra()).toBe(mode === 'auto' ? 'modern' : 'legacy');
  });

  it('lists the four tools with titles, schemas and annotations', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect([...byName.keys()].sort()).toEqual(['add', 'convert_time', 'echo', 'get_current_time']);

    for (const tool of tools) {
      expect(tool.title, tool.name).toMatch(/\S/);
      expect(tool.description, tool.name).toMatch(/\S/);
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(true);
      expect(tool.annotations?.destructiveHint, tool.name).toBe(false);
      expect(tool.inputSchema.type).toBe('object');
    }

    const getTime = byName.get('get_current_time');
    expect(getTime?.title).toBe('Get current time');
    expect(getTime?.inputSchema.properties?.timezone).toMatchObject({ type: 'string', default: 'UTC' });
    expect(getTime?.inputSchema.required ?? []).not.toContain('timezone');
    expect(getTime?.outputSchema?.required).toEqual(['timezone', 'datetime', 'day_of_week', 'is_dst']);

    const convert = byName.get('convert_time');
    expect(convert?.inputSchema.required).toEqual(['source_timezone', 'time', 'target_timezone']);
    expect(convert?.inputSchema.properties?.time).toMatchObject({ type: 'string', pattern: expect.any(String) });
    expect(convert?.outputSchema?.required).toEqual(['source', 'target', 'time_difference']);

    expect(byName.get('echo')?.inputSchema.required).toEqual(['message']);
    expect(byName.get('echo')?.outputSchema).toBeUndefined();
    expect(byName.get('add')?.inputSchema.properties).toMatchObject({ a: { type: 'number' }, b: { type: 'number' } });
    expect(byName.get('add')?.outputSchema?.properties).toMatchObject({ sum: { type: 'number' } });
  });

  it('get_current_time reads the clock in Europe/Paris', async () => {
    const result = await call('get_current_time', { timezone: 'Europe/Paris' });
    expectTextMatchesStructured(result);
    const time = result.structuredContent as unknown as TimeResult;
    const { offsetMinutes } = expectCurrentTime(time, 'Europe/Paris');
    // CET in winter, CEST in summer: the offset and the DST flag must agree.
    expect([60, 120]).toContain(offsetMinutes);
    expect(time.is_dst).toBe(offsetMinutes === 120);
  });

  it('get_current_time defaults to UTC', async () => {
    const explicit = await call('get_current_time', { timezone: 'UTC' });
    expectTextMatchesStructured(explicit);
    const { offsetMinutes } = expectCurrentTime(explicit.structuredContent as unknown as TimeResult, 'UTC');
    expect(offsetMinutes).toBe(0);
    expect(explicit.structuredContent?.is_dst).toBe(false);

    const defaulted = await call('get_current_time', {});
    expect(defaulted.structuredContent?.timezone).toBe('UTC');
    expect(defaulted.structuredContent?.datetime).toMatch(/\+00:00$/);
  });

  it('get_current_time reports an unknown zone as a tool error', async () => {
    const result = await call('get_current_time', { timezone: 'Mars/Olympus_Mons' });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expect(result.content[0]?.text).toContain('Mars/Olympus_Mons');
  });

  it('convert_time converts New York to Tokyo', async () => {
    const result = await call('convert_time', {
      source_timezone: 'America/New_York',
      time: '09:30',
      target_timezone: 'Asia/Tokyo',
    });
    expectTextMatchesStructured(result);
    const { source, target, time_difference } = result.structuredContent as unknown as {
      source: TimeResult;
      target: TimeResult;
      time_difference: string;
    };
    expect(source.timezone).toBe('America/New_York');
    expect(target.timezone).toBe('Asia/Tokyo');

    const from = parseIso(source.datetime);
    const to = parseIso(target.datetime);
    expect([from.h, from.mi]).toEqual([9, 30]);
    // EST (-5) or EDT (-4); Tokyo has no DST (+9).
    expect([-300, -240]).toContain(from.offsetMinutes);
    expect(source.is_dst).toBe(from.offsetMinutes === -240);
    expect(to.offsetMinutes).toBe(540);
    expect(target.is_dst).toBe(false);

    // Both sides name the same instant, 13 or 14 hours apart on the wall clock.
    expect(Date.parse(target.datetime)).toBe(Date.parse(source.datetime));
    const hours = (to.offsetMinutes - from.offsetMinutes) / 60;
    expect(time_difference).toBe(`+${hours.toFixed(1)}h`);
    expect([to.h, to.mi]).toEqual([9 + hours, 30]);
    expect([to.y, to.mo, to.d]).toEqual([from.y, from.mo, from.d]);
    expect(target.day_of_week).toBe(source.day_of_week);
  });

  it('convert_time rejects a time that is not HH:MM', async () => {
    const result = await call('convert_time', { source_timezone: 'UTC', time: '9:30pm', target_timezone: 'Asia/Tokyo' });
    expect(result.isError).toBe(true);
  });

  it('echo returns the message', async () => {
    const result = await call('echo', { message: 'héllo, gateway' });
    expect(result.isError).toBeFalsy();
    expect(result.content).toEqual([{ type: 'text', text: 'héllo, gateway' }]);
  });

  it('add returns the sum as text and structured content', async () => {
    const result = await call('add', { a: 40, b: 2.5 });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ sum: 42.5 });
    expect(result.content[0]).toEqual({ type: 'text', text: '42.5' });
  });

  it('serves the demo://timezones resource', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toEqual(['demo://timezones']);

    const { contents } = await client.readResource({ uri: 'demo://timezones' });
    expect(contents).toHaveLength(1);
    const [content] = contents;
    expect(content?.mimeType).toBe('text/plain');
    const zones = (content && 'text' in content ? content.text : '').split('\n').filter(Boolean);
    expect(zones).toEqual(expect.arrayContaining(['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Tokyo']));
    // Every listed zone must be usable with the time tools.
    for (const zone of zones) expect(() => new Intl.DateTimeFormat('en-US', { timeZone: zone })).not.toThrow();
  });

  it('serves the time_in_city prompt', async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.find((prompt) => prompt.name === 'time_in_city')?.arguments).toEqual([
      expect.objectContaining({ name: 'city', required: true }),
    ]);

    const { messages } = await client.getPrompt({ name: 'time_in_city', arguments: { city: 'Osaka' } });
    expect(messages).toHaveLength(1);
    expect(messages[0]?.role).toBe('user');
    const content = messages[0]?.content;
    const text = content?.type === 'text' ? content.text : '';
    expect(text).toContain('Osaka');
    expect(text).toContain('get_current_time');
  });
});
