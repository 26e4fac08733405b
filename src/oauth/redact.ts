/**
 * Keeps what a token-endpoint request sent (refresh token, client secret, device code, code,
 * PKCE verifier, assertions, the Basic credentials) out of every error built from the answer:
 * endpoints, proxies and WAFs echo request bodies and headers in their error pages.
 * @packageDocumentation
 */
import { MailOAuthError } from '../errors.js';

/** Replaces a sent value wherever it reappears. */
export type Redact = (text: string) => string;

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

// Values the client sends in the clear anyway; the rest of a request counts as secret.
const PUBLIC_PARAMS = new Set([
  'grant_type',
  'client_id',
  'scope',
  'redirect_uri',
  'token_type_hint',
  'client_assertion_type',
  'resource',
  'audience',
]);

// Named secrets are redacted down to this length; unnamed values only from MIN_VALUE_LENGTH on,
// so that short words ("mail", "true") in an answer are not mangled.
const SECRET_PARAMS = new Set([
  'client_secret',
  'refresh_token',
  'code',
  'code_verifier',
  'device_code',
  'client_assertion',
  'assertion',
  'token',
]);
const MIN_SECRET_LENGTH = 4;
const MIN_VALUE_LENGTH = 8;

/**
 * The secret values of a request about to be sent: non-public form values and the
 * `Authorization` header with its base64 part and decoded credentials.
 *
 * @example
 * ```ts
 * const redact = redactor(sentSecrets(body, headers));
 * ```
 */
export function sentSecrets(body: URLSearchParams, headers: Readonly<Record<string, string>>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of body) {
    if (PUBLIC_PARAMS.has(name)) continue;
    if (value.length >= (SECRET_PARAMS.has(name) ? MIN_SECRET_LENGTH : MIN_VALUE_LENGTH)) secrets.push(value);
  }
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'authorization') continue;
    secrets.push(value);
    const credentials = /^\s*\S+\s+(\S+)\s*$/.exec(value)?.[1];
    if (credentials === undefined) continue;
    secrets.push(credentials);
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) continue;
    secrets.push(decoded, safeDecode(decoded));
    const secret = decoded.slice(colon + 1);
    if (secret.length >= MIN_SECRET_LENGTH) secrets.push(secret, safeDecode(secret));
  }
  return secrets.filter((s) => s.length >= MIN_SECRET_LENGTH);
}

/**
 * A function that replaces every given value — also URL-encoded (both `%20` and `+` forms) and
 * JSON-escaped — with {@link REDACTED}. Longest values first, so that a value containing another
 * is removed whole.
 *
 * @example
 * ```ts
 * redactor(['s3cret-value'])('echo: s3cret-value'); // 'echo: [redacted]'
 * ```
 */
export function redactor(secrets: readonly string[]): Redact {
  const forms = new Set<string>();
  for (const secret of secrets) {
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(new URLSearchParams({ v: secret }).toString().slice(2));
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  const ordered = [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const form of ordered) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  };
}

/**
 * Removes sent values from an error and its cause chain in place: message, stack (which
 * `inspect` prints), hint, params and every other own string field (`errorDescription`,
 * `errorUri`, `response`). Returns the same error.
 *
 * @example
 * ```ts
 * try { … } catch (err) { throw redactError(err, redact); }
 * ```
 */
export function redactError<T>(err: T, redact: Redact): T {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const target = current as Record<string, unknown>;
    for (const key of ['message', 'stack', ...Object.keys(target)]) {
      const value = target[key];
      if (typeof value === 'string') replaceField(target, key, redact(value));
    }
    if (current instanceof MailOAuthError && Object.keys(current.params).length > 0) {
      const params = Object.fromEntries(Object.entries(current.params).map(([k, v]) => [k, redact(v)]));
      replaceField(target, 'params', Object.freeze(params));
    }
    current = target.cause;
  }
  return err;
}

function replaceField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (target[key] === value) return;
  const own = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: own?.enumerable ?? false });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
