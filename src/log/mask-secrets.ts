/**
 * What keeps secrets out of what the gateway writes: the audit log's arguments and every log line.
 *
 * Two rules, because neither alone is enough:
 * - by key: the value of any key that looks like a secret (`apiKey`, `authorization`,
 *   `GITHUB_TOKEN`, `client_secret`…) is masked wherever it stands in a record;
 * - by value: the secrets the gateway was given (API keys, upstream credentials, the TLS key) and
 *   anything after `Bearer`/`Basic` are masked wherever they appear in a line, inside an error
 *   message or a URL included, where no key names them.
 *
 * @module
 */

export const MASK = '[masked]';

/**
 * Words of a key that name a secret, matched against the key with its separators removed, so
 * `api_key`, `x-api-key`, `apiKey` and `APIKEY` all read `apikey`.
 */
const secretInKey = /password|passwd|passphrase|secret|credential|apikey|authorization|privatekey|cookie|sessionid|signature/;
/**
 * Words that name a secret only as a whole word (after splitting camelCase, snake_case,
 * kebab-case and UPPER_CASE): `auth` and words ending in it (`oauth2`, `basicauth`, `authz`, but
 * not `author`), `token` and words ending in it (`GITHUB_TOKEN`, `accessToken`, `authtoken`), and a
 * few short ones. The plural `tokens` is deliberately not one: `maxTokens`, `max_tokens`,
 * `inputTokens` count model tokens and are useful in an audit. A singular `token` word is masked
 * wherever it stands (so `tokenCount` is masked too): masking too much is the safe mistake.
 */
const secretWord = /^(?:[a-z0-9]*auth[nz]?[0-9]*|[a-z0-9]*token|pwd|bearer|jwt)$/;

function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2') // clientSecret -> client Secret
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2') // APIKey -> API Key
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
}

export function isSecretKey(key: string): boolean {
  const words = keyWords(key);
  return secretInKey.test(words.join('')) || words.some((word) => secretWord.test(word));
}

/**
 * A deep copy of `value` in which the value of every key that looks like a secret (see
 * `secretInKey` and `secretWord`) is `"[masked]"`, whatever it was. Arrays and plain objects are
 * walked; anything else is kept as it is.
 */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== 'object') return value;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = isSecretKey(key) ? MASK : maskSecrets(item);
  return copy;
}

/** Shorter values are not masked by value: they would mask ordinary words and numbers all over the log. */
const MIN_SECRET_LENGTH = 6;

/** The credentials of an `Authorization`-style value, wherever it appears in a text. */
const credentialsInText = /\b(Bearer|Basic)(\s+|%20|\+)[A-Za-z0-9._~+/=-]+/gi;

/**
 * The secret values the gateway knows, masked in every log line. Learned from each config in
 * force (a reload may bring new ones); never forgotten while the process lives, so a line about
 * the old config still hides them.
 */
export class SecretValues {
  /** Each secret as it is, and as it appears in a JSON line (escaped as JSON escapes a string). */
  private readonly forms = new Set<string>();

  /** Adds secrets; values too short to be told apart from ordinary text are left out. */
  learn(values: Iterable<string | undefined>): void {
    for (const value of values) {
      if (value === undefined || value.length < MIN_SECRET_LENGTH) continue;
      this.forms.add(value);
      this.forms.add(JSON.stringify(value).slice(1, -1));
    }
  }

  /** `text` (a JSON log line, or any message) with every known secret and every `Bearer`/`Basic` credential masked. */
  mask(text: string): string {
    let masked = text;
    for (const secret of this.forms) if (masked.includes(secret)) masked = masked.split(secret).join(MASK);
    return masked.replace(credentialsInText, `$1$2${MASK}`);
  }
}
