/**
 * Secrets never reach a log line: by key (whatever the value) and by value (the config's own
 * secrets, and `Bearer`/`Basic` credentials, wherever they appear), through the real pino logger.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { configSecrets } from '../../src/config/config-secrets.js';
import type { GatewayConfig } from '../../src/config/types.js';
import { createLogger } from '../../src/log/logger.js';
import { SecretValues } from '../../src/log/mask-secrets.js';
import { httpConfig, stdioConfig } from '../helpers/fixtures.js';

function capturingLogger(secrets: SecretValues): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger('debug', { secrets, destination: destination as never }), lines };
}

describe('SecretValues', () => {
  it('masks each known secret wherever it stands, in its JSON-escaped form too', () => {
    const secrets = new SecretValues();
    secrets.learn(['key-1234567', 'with"quote\\x', undefined]);
    expect(secrets.mask('a key-1234567 b key-1234567')).toBe('a [masked] b [masked]');
    expect(secrets.mask(JSON.stringify({ m: 'x with"quote\\x y' }))).toBe('{"m":"x [masked] y"}');
    expect(secrets.mask('nothing here')).toBe('nothing here');
  });

  it('leaves values too short to tell apart from ordinary text', () => {
    const secrets = new SecretValues();
    secrets.learn(['abc', '1']);
    expect(secrets.mask('abc 1 abc')).toBe('abc 1 abc');
  });

  it('masks what follows Bearer or Basic, whoever wrote it', () => {
    const secrets = new SecretValues();
    expect(secrets.mask('Authorization: Bearer eyJhbGciOi.x-y_z')).toBe('Authorization: Bearer [masked]');
    expect(secrets.mask('basic dXNlcjpwYXNz')).toBe('basic [masked]');
    expect(secrets.mask('https://x/?h=Bearer%20abcdef')).toBe('https://x/?h=Bearer%20[masked]');
  });
});

describe('configSecrets', () => {
  it('takes API keys, the TLS key, secret-named headers and environment variables, and URL credentials, and nothing else', () => {
    const config: Pick<GatewayConfig, 'auth' | 'tls' | 'upstreams'> = {
      auth: { apiKeys: ['api-key-one'] },
      tls: { cert: 'CERT', key: '-----BEGIN PRIVATE KEY-----x' },
      upstreams: [
        stdioConfig({ env: { GITHUB_TOKEN: 'ghp_123456', LOG_LEVEL: 'debug' } }),
        httpConfig('http://user:url-password@host/mcp?api_key=query-secret&page=2', {
          headers: { Authorization: 'Bearer header-token', 'X-Api-Key': 'x-api-key-value', Accept: 'application/json' },
        }),
      ],
    };
    const secrets = configSecrets(config);
    for (const secret of ['api-key-one', '-----BEGIN PRIVATE KEY-----x', 'ghp_123456', 'url-password', 'query-secret', 'Bearer header-token', 'header-token', 'x-api-key-value']) {
      expect(secrets, secret).toContain(secret);
    }
    for (const plain of ['debug', 'application/json', '2', 'CERT']) expect(secrets, plain).not.toContain(plain);
  });
});

describe('the logger', () => {
  it('masks secret-looking keys at any depth and known secrets in messages, errors and URLs', () => {
    const secrets = new SecretValues();
    secrets.learn(['the-api-key-value', 'upstream-token']);
    const { logger, lines } = capturingLogger(secrets);
    logger.info({ headers: { authorization: 'anything at all', accept: 'text/plain' }, nested: { clientSecret: 's', apiKey: 'k', count: 3 } }, 'first');
    logger.error({ err: new Error('refused the-api-key-value at http://h/?token=upstream-token') }, 'calling with upstream-token failed');
    logger.warn('header was Bearer abc.def');
    const text = lines.join('');
    for (const secret of ['anything at all', 'the-api-key-value', 'upstream-token', 'abc.def']) expect(text, secret).not.toContain(secret);
    const [first, second, third] = lines.map((line) => JSON.parse(line));
    expect(first.headers).toEqual({ authorization: '[masked]', accept: 'text/plain' });
    expect(first.nested).toEqual({ clientSecret: '[masked]', apiKey: '[masked]', count: 3 });
    expect(second.err.message).toBe('refused [masked] at http://h/?token=[masked]');
    expect(second.msg).toBe('calling with [masked] failed');
    expect(second.err.stack).toContain('[masked]');
    expect(third.msg).toBe('header was Bearer [masked]');
  });

  it('learns secrets after it was made (a reloaded config)', () => {
    const secrets = new SecretValues();
    const { logger, lines } = capturingLogger(secrets);
    logger.info('key new-key-after-reload');
    secrets.learn(['new-key-after-reload']);
    logger.info('key new-key-after-reload');
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['key new-key-after-reload', 'key [masked]']);
  });
});
