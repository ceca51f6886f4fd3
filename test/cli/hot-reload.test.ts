/**
 * `--hot-reload` end to end: the real `mcpgate` command with a config file of scripted stdio
 * servers, edited in every way while REST and MCP clients call a server that stays the same in
 * a loop. Those calls never fail and that server's child keeps its pid; every edit shows in the
 * routes, the documents, `/readyz` and the aggregated endpoint's tool list.
 */
import { rename, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { connectClient } from '../bridge/bridge-gateway.js';
import { processIsGone, scriptedServerPath, waitFor } from '../helpers/fixtures.js';
import { getJson, pollReadyz, pollUntil, runCli, startCli, stopCleanly, upstreamNamed, useCliLifecycle, type CliProcess } from './run-cli.js';

const temp = useCliLifecycle();

const scripted = (env: Record<string, string> = {}) => ({ command: process.execPath, args: [scriptedServerPath], env });

/** The reload outcomes logged so far: one per reload, whether it applied or failed. */
const reloadOutcomes = (cli: CliProcess) => cli.logRecords().filter((record) => /^config reload(ed| failed)/.test(record.msg));

/** Runs `edit`, then waits for the reload it causes and returns that reload's log record. */
async function afterReload(cli: CliProcess, edit: () => Promise<unknown>) {
  const before = reloadOutcomes(cli).length;
  await edit();
  return pollUntil('the reload to be logged', () => reloadOutcomes(cli)[before], 20_000);
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function pidOf(url: string, server: string): Promise<number> {
  const { body } = await pollReadyz(url, (_status, readyz) => readyz.upstreams.some((upstream) => upstream.name === server && upstream.pid !== null));
  return upstreamNamed(body, server).pid!;
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((tool) => tool.name).sort();
}

describe('--hot-reload', () => {
  it('applies every kind of edit while a server that stays is called in a loop, which never fails nor restarts', { timeout: 120_000 }, async ({ task }) => {
    const configPath = join(temp.dir, 'hot.json');
    const auditPath = join(temp.dir, 'audit.jsonl');
    const config = (servers: Record<string, unknown>, top: Record<string, unknown> = {}) =>
      JSON.stringify({ port: 0, ...top, mcpServers: servers }, null, 2);
    const v1 = { keep: scripted(), change: scripted({ VERSION: '1' }), gone: scripted() };
    await writeFile(configPath, config(v1));

    const cli = startCli(['--config', configPath, '--hot-reload', '--log-level', 'debug'], { owner: task });
    const url = await cli.waitForListening();
    await pollReadyz(url);
    const keepPid = await pidOf(url, 'keep');
    const changePid = await pidOf(url, 'change');
    const gonePid = await pidOf(url, 'gone');

    const keepSession = await connectClient(`${url}/keep/mcp`, 'streamable-http');
    const goneSession = await connectClient(`${url}/gone/mcp`, 'streamable-http');
    const aggregated = await connectClient(`${url}/mcp`, 'streamable-http');
    let listChanges = 0;
    aggregated.setNotificationHandler('notifications/tools/list_changed', () => void (listChanges += 1));
    expect(await toolNames(aggregated)).toContain('gone_echo');

    // The clients of the server that stays: REST and MCP, each calling in a loop.
    const failures: string[] = [];
    const counts = { rest: 0, mcp: 0 };
    let looping = true;
    const restLoop = (async () => {
      while (looping) {
        const response = await post(`${url}/keep/echo`, { message: 'loop' }).catch((error: Error) => error);
        if (response instanceof Error) failures.push(`REST: ${response.message}`);
        else if (response.status !== 200) failures.push(`REST ${response.status}: ${await response.text()}`);
        else await response.text();
        counts.rest += 1;
      }
    })();
    const mcpLoop = (async () => {
      while (looping) {
        const result = await keepSession.callTool({ name: 'echo', arguments: { message: 'loop' } }).catch((error: Error) => error);
        if (result instanceof Error) failures.push(`MCP: ${result.message}`);
        else if (result.isError) failures.push(`MCP tool error: ${JSON.stringify(result.content)}`);
        counts.mcp += 1;
      }
    })();
    const callsSoFar = () => counts.rest + counts.mcp;

    // 1. A server added (written in place): it starts, its routes and documents appear, the
    // aggregated endpoint announces its tools.
    const added = await afterReload(cli, () => writeFile(configPath, config({ ...v1, added: scripted() })));
    expect(added.msg, cli.transcript()).toMatch(/added added/);
    await pollReadyz(url, (status, body) => status === 200 && body.upstreams.some((upstream) => upstream.name === 'added'));
    expect((await getJson<{ paths: Record<string, unknown> }>(url, '/added/openapi.json')).body.paths).toHaveProperty('/echo');
    expect((await getJson<{ paths: Record<string, unknown> }>(url, '/openapi.json')).body.paths).toHaveProperty('/added/echo');
    expect((await post(`${url}/added/echo`, { message: 'hi' })).status).toBe(200);
    await waitFor('list_changed for the added server', () => listChanges > 0);
    await waitFor('the added tools on the aggregated endpoint', async () => (await toolNames(aggregated)).includes('added_echo'));

    // 2. A server changed, the file replaced as editors do (a new file renamed over the old): a
    // new child replaces the old one, which stops.
    const v2 = { ...v1, change: scripted({ VERSION: '2' }), added: scripted() };
    const changed = await afterReload(cli, async () => {
      await writeFile(`${configPath}.tmp`, config(v2));
      await rename(`${configPath}.tmp`, configPath);
    });
    expect(changed.msg, cli.transcript()).toMatch(/restarted change/);
    const newChangePid = await pidOf(url, 'change');
    expect(newChangePid).not.toBe(changePid);
    await waitFor('the old child of the changed server to stop', () => processIsGone(changePid));

    // 3. A server removed while one of its calls runs: the call finishes, then the server stops;
    // its routes, documents, MCP endpoint and tools are gone.
    const slowCall = post(`${url}/gone/slow`, { ms: 1500 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { gone: _gone, ...v3 } = v2;
    const removed = await afterReload(cli, () => writeFile(configPath, config(v3)));
    expect(removed.msg, cli.transcript()).toMatch(/removed gone/);
    expect((await slowCall).status, 'the call in flight on the removed server finishes').toBe(200);
    expect((await post(`${url}/gone/echo`, { message: 'x' })).status).toBe(404);
    expect((await getJson(url, '/gone/openapi.json')).status).toBe(404);
    expect((await getJson<{ paths: Record<string, unknown> }>(url, '/openapi.json')).body.paths).not.toHaveProperty('/gone/echo');
    expect((await getJson<{ upstreams: Array<{ name: string }> }>(url, '/readyz')).body.upstreams.map((upstream) => upstream.name)).toEqual(['keep', 'change', 'added']);
    await expect(goneSession.callTool({ name: 'echo', arguments: { message: 'x' } })).rejects.toThrow();
    await waitFor('the removed tools to leave the aggregated endpoint', async () => !(await toolNames(aggregated)).some((name) => name.startsWith('gone_')));
    await waitFor('the removed server\'s child to stop', () => processIsGone(gonePid));

    // 4. Invalid files change nothing: a syntax error, then a wrong type, each logged with the
    // file, the JSON path and the reason.
    const syntax = await afterReload(cli, () => writeFile(configPath, '{ "mcpServers": { "keep": ')); 
    expect(syntax.msg).toMatch(/config reload failed, nothing changed/);
    expect(syntax.msg).toContain(configPath);
    const wrongType = await afterReload(cli, () => writeFile(configPath, config({ ...v3, broken: { command: 5 } })));
    expect(wrongType.msg).toContain(`${configPath}: mcpServers.broken.command`);
    expect((await getJson<{ upstreams: Array<{ name: string }> }>(url, '/readyz')).body.upstreams.map((upstream) => upstream.name)).toEqual(['keep', 'change', 'added']);

    // 5. A server disabled counts as removed, and is listed as disabled.
    const disabled = await afterReload(cli, () => writeFile(configPath, config({ ...v3, added: { ...scripted(), disabled: true } })));
    expect(disabled.msg).toMatch(/removed added/);
    const readyz = await getJson<{ upstreams: Array<{ name: string }>; disabled: string[] }>(url, '/readyz');
    expect(readyz.body.disabled).toEqual(['added']);
    expect(readyz.body.upstreams.map((upstream) => upstream.name)).toEqual(['keep', 'change']);

    // 6. The gateway's own settings: an audit log added applies at once; a new port is reported
    // as needing a restart, and the gateway goes on listening where it was.
    const v6 = { keep: scripted(), change: scripted({ VERSION: '2' }) };
    await afterReload(cli, () => writeFile(configPath, config(v6, { port: 1, auditLog: { path: 'audit.jsonl' } })));
    const restart = await pollUntil('the restart-required warning', () => cli.logRecords().find((record) => /restart required/.test(record.msg)), 5_000);
    expect(restart.msg).toContain('port: 0 → 1');
    expect((await post(`${url}/keep/echo`, { message: 'audited' })).status).toBe(200);
    const audit = await pollUntil('an audit line', async () => (await readFile(auditPath, 'utf8').catch(() => '')).split('\n').find((line) => line.includes('"keep"')), 5_000);
    expect(JSON.parse(audit)).toMatchObject({ server: 'keep', tool: 'echo', outcome: 'ok' });

    // 7. SIGHUP reads the file again.
    const hangUp = await afterReload(cli, async () => cli.signal('SIGHUP'));
    expect(hangUp.msg).toMatch(/no server changed/);
    expect(cli.logRecords().some((record) => /\(SIGHUP\)/.test(record.msg))).toBe(true);

    // Through all of it, the server that stayed kept its child and never failed a call.
    const before = callsSoFar();
    await waitFor('more calls in the loops', () => callsSoFar() > before + 10);
    looping = false;
    await Promise.all([restLoop, mcpLoop]);
    expect(failures, cli.transcript()).toEqual([]);
    expect(counts.rest).toBeGreaterThan(20);
    expect(counts.mcp).toBeGreaterThan(20);
    expect(await pidOf(url, 'keep')).toBe(keepPid);
    await stopCleanly(cli);
  });

  it('needs a config file', async ({ task }) => {
    const outcome = await runCli(['--hot-reload', '--', process.execPath, scriptedServerPath], { owner: task });
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(/--hot-reload watches a config file: give it with --config/);
  });

  it('without it, SIGHUP stops the gateway cleanly, children included', async ({ task }) => {
    const configPath = await temp.write('hangup.json', JSON.stringify({ mcpServers: { one: scripted() } }));
    const cli = startCli(['--config', configPath, '--port', '0'], { owner: task });
    const url = await cli.waitForListening();
    const pid = await pidOf(url, 'one');
    cli.signal('SIGHUP');
    const { code } = await cli.waitForExit(15_000);
    expect(code, cli.transcript()).toBe(0);
    await waitFor('the child to stop', () => processIsGone(pid));
  });
});
