/**
 * The secret values in a config, for the logger to mask (`SecretValues`): API keys, the TLS
 * private key, and the credentials given to upstreams — headers and environment variables whose
 * names look like secrets, the user information and secret-looking query parameters of
 * upstream URLs, and OAuth client secrets.
 *
 * @module
 */
import { isSecretKey } from '../log/mask-secrets.js';
import type { GatewayConfig } from './types.js';

export function configSecrets(config: Pick<GatewayConfig, 'auth' | 'tls' | 'upstreams'>): string[] {
  const secrets: string[] = [...(config.auth?.apiKeys ?? [])];
  if (config.tls) secrets.push(config.tls.key);
  for (const upstream of config.upstreams) {
    const named = upstream.transport === 'stdio' ? upstream.env : upstream.headers;
    for (const [name, value] of Object.entries(named)) if (isSecretKey(name)) secrets.push(...credentialParts(value));
    if (upstream.transport !== 'stdio') {
      secrets.push(...urlSecrets(upstream.url));
      if (upstream.oauth?.clientSecret !== undefined) secrets.push(upstream.oauth.clientSecret);
    }
  }
  return secrets;
}

/** `Bearer abc` is masked as a whole and as `abc`, which may be logged without its scheme. */
function credentialParts(value: string): string[] {
  const scheme = /^\s*\S+\s+(\S+)\s*$/.exec(value);
  return scheme ? [value, scheme[1]!] : [value];
}

function urlSecrets(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const secrets = [parsed.password, parsed.username && parsed.password ? parsed.username : ''].filter((part) => part !== '');
  for (const [name, value] of parsed.searchParams) if (isSecretKey(name) && value !== '') secrets.push(value, encodeURIComponent(value));
  return secrets;
}
