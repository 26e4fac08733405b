/**
 * The JSON error a server sends (base64-encoded, as a SASL continuation) when it rejects a
 * bearer token with XOAUTH2 or OAUTHBEARER, e.g. Gmail's
 * `{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`.
 */
export interface SaslErrorChallenge {
  /** The HTTP-like status the server reports (`"401"`, `"400"`, `"invalid_token"` …), as a string. */
  status: string | undefined;
  /** Supported schemes (`bearer`). */
  schemes: string | undefined;
  /** The scope the server expects. */
  scope: string | undefined;
  /** OpenID discovery address some servers add (RFC 7628 `openid-configuration`). */
  openidConfiguration: string | undefined;
}

function field(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Parses the server's base64 JSON error challenge. Returns `undefined` when `payload` is not
 * base64 of a JSON object (an empty `+`, a plain-text challenge, garbage). Never throws.
 *
 * @param payload - The text after `+ ` (POP3, IMAP) or `334 ` (SMTP).
 *
 * @example
 * ```ts
 * const challenge = parseSaslErrorChallenge('eyJzdGF0dXMiOiI0MDEifQ==');
 * challenge?.status; // '401'
 * ```
 */
export function parseSaslErrorChallenge(payload: string): SaslErrorChallenge | undefined {
  const text = payload.trim();
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  return {
    status: field(record['status']),
    schemes: field(record['schemes']),
    scope: field(record['scope']),
    openidConfiguration: field(record['openid-configuration']),
  };
}
