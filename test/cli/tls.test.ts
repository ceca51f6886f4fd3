/**
 * `--ssl-certfile` / `--ssl-keyfile`: the real `mcpgate` command serving HTTPS with a self-signed
 * certificate made by `openssl` for the test, reached by clients that trust exactly that
 * certificate (REST over `node:https`, an MCP SDK client over `/mcp`), and refusing to start,
 * with exit 2 and a message naming the flag and the file, when the pair is incomplete or wrong.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent, request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport, type FetchLike } from '@modelcontextprotocol/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoServerCommand } from '../../src/demo/command.js';
import { runCli, startCli, stopCleanly, useCliLifecycle, type CliOutcome, type CliProcess } from './run-cli.js';

const temp = useCliLifecycle();
const run = promisify(execFile);

/** Paths of the test's PEM files, made in `beforeAll`. */
const pem = { cert: '', key: '', otherKey: '', encryptedKey: '', notPem: '' };
let certText = '';

/** A self-signed certificate for localhost and 127.0.0.1, as the README tells users to make one. */
async function makeCertificate(dir: string, certName: string, keyName: string): Promise<void> {
  await run(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyName, '-out', certName, '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    { cwd: dir },
  );
}

beforeAll(async () => {
  // useCliLifecycle's own beforeAll made the directory: hooks run in the order they were added.
  await makeCertificate(temp.dir, 'cert.pem', 'key.pem');
  await run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'other-key.pem'], { cwd: temp.dir });
  await run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-aes256', '-pass', 'pass:secret', '-out', 'encrypted-key.pem'], {
    cwd: temp.dir,
  });
  pem.cert = join(temp.dir, 'cert.pem');
  pem.key = join(temp.dir, 'key.pem');
  pem.otherKey = join(temp.dir, 'other-key.pem');
  pem.encryptedKey = join(temp.dir, 'encrypted-key.pem');
  pem.notPem = await temp.write('not-pem.txt', 'this is not a certificate\n');
  certText = await readFile(pem.cert, 'utf8');
});

/** Waits for the `mcpgate listening on …` record (whatever the scheme) and returns its URL. */
async function listeningUrl(cli: CliProcess): Promise<string> {
  const record = await cli.waitForLog((entry) => entry.msg.startsWith('mcpgate listening on '));
  if (typeof record.url !== 'string') throw new Error(`the listening record has no url: ${JSON.stringify(record)}`);
  return record.url;
}

interface HttpsAnswer {
  status: number;
  body: string;
  /** SHA-256 fingerprint of the certificate the server presented. */
  fingerprint: string;
}

/** One request over TLS that trusts only `ca`. */
function requestTrusting(ca: string, url: string, init: { method?: string; json?: unknown; agent?: Agent } = {}): Promise<HttpsAnswer> {
  const body = init.json === undefined ? undefined : JSON.stringify(init.json);
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      url,
      {
        method: init.method ?? 'GET',
        ca,
        ...(init.agent === undefined ? {} : { agent: init.agent }),
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        signal: AbortSignal.timeout(10_000),
      },
      (incoming) => {
        const fingerprint = (incoming.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let text = '';
        incoming.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        incoming.once('end', () => resolve({ status: incoming.statusCode ?? 0, body: text, fingerprint }));
        incoming.once('error', reject);
      },
    );
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

/**
 * A `fetch` for the SDK client that trusts only `ca`: Node's own `fetch` takes no CA per request,
 * and undici (which would) is not a package here, so this speaks `node:https` and hands back a
 * streaming `Response` (the MCP answers may be SSE streams).
 */
function fetchTrusting(ca: string): FetchLike {
  return async (input, init) => {
    const request = new Request(input, init);
    const body = request.body === null ? undefined : Buffer.from(await request.arrayBuffer());
    return new Promise<Response>((resolve, reject) => {
      const outgoing = httpsRequest(
        request.url,
        { method: request.method, headers: Object.fromEntries(request.headers), ca, signal: request.signal },
        (incoming) => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            for (const item of [value ?? []].flat()) headers.append(name, item);
          }
          const status = incoming.statusCode ?? 502;
          const noBody = status === 204 || status === 304 || request.method === 'HEAD';
          resolve(new Response(noBody ? null : (Readable.toWeb(incoming) as unknown as ReadableStream<Uint8Array>), { status, headers }));
        },
      );
      outgoing.once('error', reject);
      outgoing.end(body);
    });
  };
}

describe('serving HTTPS with --ssl-certfile and --ssl-keyfile', () => {
  let cli: CliProcess;
  let url = '';

  beforeAll(async () => {
    // Relative paths, from the directory that holds them: they are resolved against the working directory.
    cli = startCli(['--port', '0', '--ssl-certfile', 'cert.pem', '--ssl-keyfile', 'key.pem'], { cwd: temp.dir });
    url = await listeningUrl(cli);
  });

  it('logs an https:// URL', async () => {
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const docs = await cli.waitForLog((record) => record.msg.startsWith('API docs at '));
    expect(docs.msg).toBe(`API docs at ${url}/docs`);
    // The PEM texts are the gateway's business, not the log's.
    expect(cli.stderr).not.toContain('PRIVATE KEY');
    expect(cli.stderr).not.toContain('BEGIN CERTIFICATE');
  });

  it('GET /readyz over TLS answers with the given certificate', async () => {
    let answer: HttpsAnswer | undefined;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      answer = await requestTrusting(certText, `${url}/readyz`);
      if (answer.status === 200) break;
    }
    expect(answer?.status, answer?.body).toBe(200);
    expect(JSON.parse(answer!.body)).toMatchObject({ ready: true, upstreams: [{ name: 'demo', state: 'ready' }] });
    expect(answer!.fingerprint).toBe(new X509Certificate(certText).fingerprint256);
  });

  it('POST /echo, a REST tool call, over TLS', async () => {
    const answer = await requestTrusting(certText, `${url}/echo`, { method: 'POST', json: { message: 'sealed' } });
    expect(answer.status, answer.body).toBe(200);
    expect(answer.body).toContain('sealed');
  });

  it('an MCP SDK client session on /mcp over TLS', async () => {
    const client = new Client({ name: 'tls-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url), { fetch: fetchTrusting(certText) }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('echo');
      const result = await client.callTool({ name: 'echo', arguments: { message: 'over TLS' } });
      expect(result.content).toEqual([{ type: 'text', text: 'over TLS' }]);
    } finally {
      await client.close();
    }
  });

  it('a client that does not trust the certificate is refused', async () => {
    expect(await fetchFailure(`${url}/readyz`)).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('a plain http:// request to the port gets no answer: the connection is closed', async () => {
    expect(await fetchFailure(`${url.replace(/^https:/, 'http:')}/readyz`)).toBe('UND_ERR_SOCKET');
  });

  it('stops promptly on SIGTERM with an idle keep-alive TLS connection open', async () => {
    const agent = new Agent({ keepAlive: true, ca: certText });
    try {
      const answer = await requestTrusting(certText, `${url}/healthz`, { agent });
      expect(answer.status).toBe(200);
      expect(agent.freeSockets).not.toEqual({});
      const started = Date.now();
      await stopCleanly(cli);
      // Idle connections are closed at once, not after the 5 s grace given to busy ones.
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      agent.destroy();
    }
  });
});

/** The code of the reason Node's `fetch` of `url` fails (it must fail). */
async function fetchFailure(url: string): Promise<string | undefined> {
  const error = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
    (response) => {
      throw new Error(`expected ${url} to fail, got ${response.status}`);
    },
    (failure: unknown) => failure as { cause?: { code?: string } },
  );
  return error.cause?.code;
}

describe.concurrent('TLS with a config file', () => {
  it('serves every server of the file over HTTPS', async ({ task }) => {
    const demo = demoServerCommand();
    const config = await temp.write('tls-config.json', JSON.stringify({ mcpServers: { demo: { command: demo.command, args: demo.args } } }));
    const cli = startCli(['--port', '0', '--config', config, '--ssl-certfile', pem.cert, '--ssl-keyfile', pem.key], { owner: task });
    const url = await listeningUrl(cli);
    expect(url).toMatch(/^https:\/\//);
    const answer = await requestTrusting(certText, `${url}/healthz`);
    expect(answer.status, answer.body).toBe(200);
    await stopCleanly(cli);
  });
});

/** Exit 2 before listening, nothing on stdout, and stderr says each of `expected`. */
function expectRefused(outcome: CliOutcome, ...expected: string[]): void {
  const context = outcome.cli.transcript();
  expect(outcome.code, context).toBe(2);
  expect(outcome.stdout, context).toBe('');
  expect(outcome.stderr, context).not.toContain('mcpgate listening on');
  // A message for a person, not a stack trace.
  expect(outcome.stderr, context).not.toMatch(/\n\s+at /);
  for (const text of expected) expect(outcome.stderr, context).toContain(text);
}

describe.concurrent('a TLS setup that cannot work stops start-up with exit 2', () => {
  it('--ssl-certfile alone names --ssl-keyfile', async () => {
    expectRefused(await runCli(['--port', '0', '--ssl-certfile', pem.cert]), '--ssl-certfile needs --ssl-keyfile');
  });

  it('-K (--ssl-keyfile) alone names --ssl-certfile', async () => {
    expectRefused(await runCli(['--port', '0', '-K', pem.key]), '--ssl-keyfile needs --ssl-certfile');
  });

  it('missing files name the flag and the path, both in one round', async () => {
    const missingCert = join(temp.dir, 'no-such-cert.pem');
    const missingKey = join(temp.dir, 'no-such-dir', 'key.pem');
    expectRefused(
      await runCli(['--port', '0', '-t', missingCert, '-K', missingKey]),
      `--ssl-certfile: file not found: ${missingCert}`,
      `--ssl-keyfile: file not found: ${missingKey}`,
    );
  });

  it('a key that does not match the certificate names both files', async () => {
    expectRefused(
      await runCli(['--port', '0', '--ssl-certfile', pem.cert, '--ssl-keyfile', pem.otherKey]),
      `--ssl-keyfile: the private key in ${pem.otherKey} does not match the certificate in ${pem.cert}`,
    );
  });

  it('a certificate file that is not PEM', async () => {
    expectRefused(
      await runCli(['--port', '0', '--ssl-certfile', pem.notPem, '--ssl-keyfile', pem.key]),
      `--ssl-certfile: ${pem.notPem} holds no PEM certificate`,
    );
  });

  it('a key file that is not PEM (the certificate given twice)', async () => {
    expectRefused(
      await runCli(['--port', '0', '--ssl-certfile', pem.cert, '--ssl-keyfile', pem.cert]),
      `--ssl-keyfile: ${pem.cert} holds no PEM private key`,
    );
  });

  it('a key encrypted with a passphrase', async () => {
    expectRefused(
      await runCli(['--port', '0', '--ssl-certfile', pem.cert, '--ssl-keyfile', pem.encryptedKey]),
      `--ssl-keyfile: the private key in ${pem.encryptedKey} is encrypted with a passphrase`,
    );
  });

  it('--stdio with the flags: there is no listener', async () => {
    expectRefused(
      await runCli(['--stdio', '--ssl-certfile', pem.cert, '--ssl-keyfile', pem.key, '--', 'http://127.0.0.1:9/mcp']),
      '--stdio has no HTTP listener',
      'leave out --ssl-certfile and --ssl-keyfile',
    );
  });
});
