/**
 * A real config file end to end, and what environment the stdio children get: `${VAR:-x}`
 * expansion, `-e` in both spellings, `--env-path`, and the minimal default environment versus
 * `--pass-environment`. The child's view of its environment comes back through `/readyz`:
 * `test/fixtures/cli-env-server.mjs` reports the variables named in its arguments as
 * `serverInfo.version`.
 */
import { describe, expect, it } from 'vitest';
import { demoServerCommand } from '../../src/demo/command.js';
import {
  baseEnv,
  fixture,
  getJson,
  pollReadyz,
  startCli,
  upstreamNamed,
  stopCleanly,
  useCliLifecycle,
  type CliProcess,
  type ReadyzBody,
} from './run-cli.js';

const envServer = fixture('cli-env-server.mjs');

const temp = useCliLifecycle();

/** What the env fixture saw, from its `server.version` in `/readyz`. */
function childEnv(body: ReadyzBody, name: string): Record<string, string | null> {
  const version = upstreamNamed(body, name).server?.version;
  expect(version, JSON.stringify(body)).toBeTypeOf('string');
  return JSON.parse(version!) as Record<string, string | null>;
}

/** Starts the CLI, waits until `/readyz` is 200, returns the answer; stops the CLI cleanly afterwards. */
async function readyAnswer(cli: CliProcess): Promise<{ url: string; body: ReadyzBody }> {
  const url = await cli.waitForListening();
  const { body } = await pollReadyz(url);
  return { url, body };
}


describe.concurrent('a config file with comments, trailing commas and ${VAR:-default}', () => {
  it('serves every enabled server, lists the disabled one, and expands the default', async ({ task }) => {
    const demo = demoServerCommand();
    const config = `// mcpgate CLI test: JSONC is accepted
{
  /* two copies of the bundled demo server */
  "mcpServers": {
    "demo-a": { "command": ${JSON.stringify(demo.command)}, "args": ${JSON.stringify(demo.args)}, },
    "demo-b": {
      "command": ${JSON.stringify(demo.command)},
      "args": ${JSON.stringify(demo.args)},
      "env": { "TZ_HINT": "\${DEMO_TZ:-UTC}", }, // expanded, unused by the demo
    },
    // reports the DEMO_TZ it was given
    "envcheck": {
      "command": ${JSON.stringify(process.execPath)},
      "args": [${JSON.stringify(envServer)}, "DEMO_TZ"],
      "env": { "DEMO_TZ": "\${DEMO_TZ:-UTC}" },
    },
    "off": { "command": "definitely-not-a-command-xyz", "disabled": true, },
  },
}
`;
    const path = await temp.write('jsonc-config.json', config);
    const cli = startCli(['--port', '0', '--config', path], { owner: task });
    const { url, body } = await readyAnswer(cli);

    expect(body.ready).toBe(true);
    expect(body.upstreams.map((upstream) => upstream.name)).toEqual(['demo-a', 'demo-b', 'envcheck']);
    for (const name of ['demo-a', 'demo-b']) {
      const upstream = upstreamNamed(body, name);
      expect(upstream).toMatchObject({ state: 'ready', transport: 'stdio', tools: 4, lastError: null });
      expect(upstream.pid).toBeTypeOf('number');
    }
    expect(upstreamNamed(body, 'envcheck').state).toBe('ready');
    expect(body.disabled).toEqual(['off']);
    expect(childEnv(body, 'envcheck')).toEqual({ DEMO_TZ: 'UTC' });

    const health = await getJson(url, '/healthz');
    expect(health).toEqual({ status: 200, body: { status: 'ok' } });

    // The disabled server was never started, and nothing was warned about.
    expect(cli.stderr).not.toContain('definitely-not-a-command-xyz');
    expect(cli.logRecords().filter((record) => record.level >= 40)).toEqual([]);
    await stopCleanly(cli);
  });

  it('${DEMO_TZ:-UTC} takes the value set in the gateway environment', async ({ task }) => {
    const path = await temp.write(
      'tz-config.json',
      JSON.stringify({
        mcpServers: {
          envcheck: { command: process.execPath, args: [envServer, 'DEMO_TZ'], env: { DEMO_TZ: '${DEMO_TZ:-UTC}' } },
        },
      }),
    );
    const cli = startCli(['--port', '0', '--config', path], { owner: task, env: baseEnv({ DEMO_TZ: 'Asia/Tokyo' }) });
    const { body } = await readyAnswer(cli);
    expect(childEnv(body, 'envcheck')).toEqual({ DEMO_TZ: 'Asia/Tokyo' });
    await stopCleanly(cli);
  });
});

describe.concurrent('the environment of stdio children', () => {
  it('-e KEY VALUE and -e KEY=VALUE both reach the child', async ({ task }) => {
    const cli = startCli(
      ['--port', '0', '-e', 'ALPHA', 'one', '--env', 'BETA=two=2', '--', process.execPath, envServer, 'ALPHA', 'BETA'],
      { owner: task },
    );
    const { body } = await readyAnswer(cli);
    expect(upstreamNamed(body, 'default').state).toBe('ready');
    expect(childEnv(body, 'default')).toEqual({ ALPHA: 'one', BETA: 'two=2' });
    await stopCleanly(cli);
  });

  it("the gateway's own environment does not reach the child by default", async ({ task }) => {
    const cli = startCli(['--port', '0', '--', process.execPath, envServer, 'SECRET', 'PATH'], {
      owner: task,
      env: baseEnv({ SECRET: 's3cret' }),
    });
    const { body } = await readyAnswer(cli);
    const seen = childEnv(body, 'default');
    expect(seen.SECRET).toBeNull();
    // The minimal default environment still has PATH, so commands can be found.
    expect(seen.PATH).toBe(process.env.PATH);
    await stopCleanly(cli);
  });

  it('--pass-environment gives the child the whole environment', async ({ task }) => {
    const cli = startCli(['--port', '0', '--pass-environment', '--', process.execPath, envServer, 'SECRET'], {
      owner: task,
      env: baseEnv({ SECRET: 's3cret' }),
    });
    const { body } = await readyAnswer(cli);
    expect(childEnv(body, 'default')).toEqual({ SECRET: 's3cret' });
    await stopCleanly(cli);
  });

  it('--env-path variables reach the child and ${VAR} in the config; -e wins over the file, the config over -e', async ({ task }) => {
    const envFile = await temp.write('vars.env', '# a dotenv file\nFROM_FILE=yes\nALPHA=from-file\nBETA="quoted value"\n');
    const path = await temp.write(
      'env-path-config.json',
      JSON.stringify({
        mcpServers: {
          envcheck: {
            command: process.execPath,
            args: [envServer, 'FROM_FILE', 'ALPHA', 'BETA', 'FROM_CONFIG', 'DEMO_TZ'],
            env: { FROM_CONFIG: '${FROM_FILE}-expanded', DEMO_TZ: 'from-config' },
          },
        },
      }),
    );
    const cli = startCli(
      ['--port', '0', '--env-path', envFile, '-e', 'ALPHA=from-flag', '-e', 'DEMO_TZ', 'from-flag', '--config', path],
      { owner: task },
    );
    const { body } = await readyAnswer(cli);
    expect(childEnv(body, 'envcheck')).toEqual({
      FROM_FILE: 'yes',
      ALPHA: 'from-flag',
      BETA: 'quoted value',
      FROM_CONFIG: 'yes-expanded',
      DEMO_TZ: 'from-config',
    });
    await stopCleanly(cli);
  });
});
