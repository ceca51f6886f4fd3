/**
 * `--ssl-certfile` and `--ssl-keyfile` (mcpo's names): the certificate and key the listener
 * serves HTTPS with. Both files are read and checked here, before anything starts, so that a
 * wrong path, a file that is not PEM, an encrypted key or a key of another certificate stops
 * start-up with a message naming the flag and the file, and not with OpenSSL's error codes from
 * deep inside the listener.
 *
 * @module
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { configInvalid } from '../config/config-error.js';
import type { TlsConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { CliOptions } from './options.js';

const CERT_FLAG = '--ssl-certfile';
const KEY_FLAG = '--ssl-keyfile';

const invalid = (message: string): GatewayError => new GatewayError('CONFIG_INVALID', message);

/**
 * The TLS settings the flags give, or undefined when neither is given.
 *
 * @param stdio whether `--stdio` was given (it has no listener to secure).
 * @throws GatewayError CONFIG_INVALID naming the flag, and the file when it is the file that is wrong.
 */
export async function tlsFlags(options: Pick<CliOptions, 'sslCertfile' | 'sslKeyfile'>, stdio: boolean): Promise<TlsConfig | undefined> {
  const { sslCertfile, sslKeyfile } = options;
  if (sslCertfile === undefined && sslKeyfile === undefined) return undefined;
  const given = [sslCertfile === undefined ? [] : [CERT_FLAG], sslKeyfile === undefined ? [] : [KEY_FLAG]].flat().join(' and ');
  if (stdio) throw invalid(`--stdio has no HTTP listener, so there is nothing to serve HTTPS on: leave out ${given}`);
  if (sslKeyfile === undefined) throw invalid(`${CERT_FLAG} needs ${KEY_FLAG} too: HTTPS takes the certificate and its private key`);
  if (sslCertfile === undefined) throw invalid(`${KEY_FLAG} needs ${CERT_FLAG} too: HTTPS takes the certificate and its private key`);

  const certFile = pathOf(CERT_FLAG, sslCertfile);
  const keyFile = pathOf(KEY_FLAG, sslKeyfile);
  // Both read before either is judged, so two wrong paths are reported in one round.
  const [cert, key] = await Promise.all([readPem(CERT_FLAG, certFile), readPem(KEY_FLAG, keyFile)]);
  if (typeof cert !== 'string' || typeof key !== 'string') {
    throw configInvalid([cert, key].flatMap((read) => (typeof read === 'string' ? [] : [read.problem])));
  }
  const tls = { cert, key, certFile, keyFile };
  checkPair(tls);
  return tls;
}

function pathOf(flag: string, given: string): string {
  if (given.trim() === '') throw invalid(`${flag}: expected the path of a PEM file, got "${given}"`);
  return resolve(given);
}

/** The file's text, or the problem with reading it. */
async function readPem(flag: string, path: string): Promise<string | { problem: string }> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { problem: `${flag}: file not found: ${path}` };
    if (code === 'EISDIR') return { problem: `${flag}: ${path} is a directory, not a PEM file` };
    return { problem: `${flag}: cannot read ${path}: ${(error as Error).message}` };
  }
}

/**
 * Parses both files and checks that the key is the certificate's, then builds the TLS context
 * the listener will build, so whatever else OpenSSL refuses is refused now, naming both files.
 */
function checkPair(tls: Required<TlsConfig>): void {
  const { certFile, keyFile } = tls;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(tls.cert);
  } catch {
    throw invalid(`${CERT_FLAG}: ${certFile} holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block)`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(tls.key);
  } catch (error) {
    // OpenSSL asks for a passphrase it has no way to get; its own message says "interrupted or cancelled".
    if ((error as { code?: string }).code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED' || /ENCRYPTED/.test(tls.key)) {
      throw invalid(`${KEY_FLAG}: the private key in ${keyFile} is encrypted with a passphrase; give the key unencrypted (e.g. openssl pkey -in <file> -out <new file>)`);
    }
    throw invalid(`${KEY_FLAG}: ${keyFile} holds no PEM private key (a "-----BEGIN PRIVATE KEY-----" block, or RSA or EC PRIVATE KEY)`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw invalid(`${KEY_FLAG}: the private key in ${keyFile} does not match the certificate in ${certFile} (${CERT_FLAG})`);
  }
  try {
    createSecureContext({ cert: tls.cert, key: tls.key });
  } catch (error) {
    throw invalid(`${CERT_FLAG} ${certFile} with ${KEY_FLAG} ${keyFile}: not usable for TLS: ${(error as Error).message}`);
  }
}
