/**
 * The real command at `--log-level debug`, given secrets every way it takes them (API keys from a
 * flag and the environment, a server's token in its environment, an upstream's URL credentials and
 * Authorization header), then used so that errors quoting them are logged: no secret appears in
 * its output, nor in `/readyz` (open to anyone) or an error answer, while the lines that quoted
 * them are there, masked.
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { scriptedServerPath } from '../helpers/fixtures.js';
import { baseEnv, pollReadyz, pollUntil, startCli, useCliLifecycle } from './run-cli.js';

const temp = useCliLifecycle();

const SECRETS = {
  flagKey: 'flag-api-key-8c1e',
  envKey: 'env-api-key-51fa',
  serverToken: 'ghp_server_token_77d2',
  urlPassword: 'url-password-3b9a',
  urlQuery: 'query-secret-0f4d',
  headerToken: 'header-token-a6c3',
  wrongKey: 'wrong-key-value-e5b0',
};

describe('secrets in logs', () => {
  it('never appear in the output, /readyz or error answers; the lines that quoted them are masked', async ({ task }) => {
    const config = `${temp.dir}/secrets.json`;
    await writeFile(
      config,
      JSON.stringify({
        mcpServers: {
          local: { command: process.execPath, args: [scriptedServerPath], env: { GITHUB_TOKEN: SECRETS.serverToken } },
          remote: {
            type: 'streamable-http',
            url: `http://user:${SECRETS.urlPassword}@127.0.0.1:1/mcp?api_key=${SECRETS.urlQuery}`,
            headers: { Authorization: `Bearer ${SECRETS.headerToken}` },
          },
        },
      }),
      'utf8',
    );
    const cli = startCli(['--port', '0', '--config', config, '--log-level', 'debug', '--api-key', SECRETS.flagKey], {
      owner: task,
      env: baseEnv({ MCPGATE_API_KEYS: SECRETS.envKey }),
    });
    const url = await cli.waitForListening();
    const readyz = await pollReadyz(url, (_status, body) => body.upstreams.every((upstream) => upstream.state !== 'starting'));
    const auth = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

    const answers: string[] = [JSON.stringify(readyz.body)];
    for (const key of [SECRETS.flagKey, SECRETS.envKey, SECRETS.wrongKey]) {
      for (const path of ['/local/echo', '/remote/anything']) {
        const response = await fetch(`${url}${path}`, { method: 'POST', headers: auth(key), body: JSON.stringify({ message: 'hello' }) });
        answers.push(await response.text());
      }
    }
    // The down server's error, quoting its URL, was logged and answered.
    await pollUntil('the down server to be logged', () => (cli.stderr.includes('127.0.0.1:1/mcp') ? true : undefined), 5_000);
    cli.signal('SIGTERM');
    expect((await cli.waitForExit()).code).toBe(0);

    const output = `${cli.stdout}\n${cli.stderr}\n${answers.join('\n')}`;
    for (const [name, secret] of Object.entries(SECRETS)) expect(output.includes(secret), `${name} leaked:\n${output}`).toBe(false);
    expect(cli.stderr).toContain(`user:[masked]@127.0.0.1:1/mcp?api_key=[masked]`);
    expect(answers.join('\n')).toContain(`user:[masked]@127.0.0.1:1/mcp?api_key=[masked]`);
    // Debug lines were written: one per request, with its id.
    expect(cli.logRecords().filter((record) => record.msg === 'request' && typeof record.requestId === 'string').length).toBeGreaterThanOrEqual(6);
  });
});
