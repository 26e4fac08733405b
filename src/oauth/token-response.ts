/**
 * Strict parsing of a token endpoint's successful JSON answer (RFC 6749 §5.1) into a
 * {@link TokenSet}: `expires_in` as a number or a numeric string, missing → 3600 s, above a year
 * → a year; a missing or empty `refresh_token` keeps the one held before (Google's refresh answers).
 * @packageDocumentation
 */
import type { Flow, TokenSet } from './types.js';
import { protocolError } from './http.js';

/** `expires_in` assumed when the server omits it: 3600 s. */
export const DEFAULT_EXPIRES_IN_S = 3600;

/**
 * Shortest token lifetime accepted by default: 30 000 ms. A shorter `expires_in` would have the
 * device renew again at once (an issuer-driven tight loop), so it is a protocol error.
 */
export const DEFAULT_MIN_TOKEN_LIFETIME_MS = 30_000;

/**
 * Longest `expires_in` taken as sent: 365 days (31 536 000 s); a larger value counts as this.
 * Real issuers stay far below (Microsoft ≤ 24 h, Google 1 h); without a ceiling `1e308` made the
 * expiry `Infinity`, which JSON stores as `null` and the next start refuses as a corrupt record.
 * Clamping is harmless: a token that dies earlier is rejected by the mail server and renewed then.
 */
export const MAX_EXPIRES_IN_S = 365 * 86_400;

/** What a parsed token response holds besides the {@link TokenSet}. */
export interface ParsedTokenResponse {
  /** The tokens, ready to store. */
  tokens: TokenSet;
  /** The ID token, when the server sent one (to be verified before the tokens are used). */
  idToken: string | undefined;
}

/** Options of {@link parseTokenResponse}. */
export interface ParseTokenResponseOptions {
  /** The flow that produced the grant. */
  flow: Flow;
  /** Current time, milliseconds since the epoch (the device clock). */
  now: number;
  /** The tokens held before (refresh): their refresh token and account carry over. */
  previous?: TokenSet | undefined;
  /** Shortest accepted `expires_in`, in milliseconds. Default {@link DEFAULT_MIN_TOKEN_LIFETIME_MS}. */
  minLifetimeMs?: number | undefined;
}

/**
 * Validates a token response object and builds the {@link TokenSet}. A missing or empty
 * `access_token`, a non-Bearer `token_type`, or ill-typed fields are `ERR_PROTOCOL`.
 *
 * @example
 * ```ts
 * const { tokens } = parseTokenResponse(json, { flow: 'device-code', now: clock.now() });
 * ```
 */
export function parseTokenResponse(json: Record<string, unknown>, options: ParseTokenResponseOptions): ParsedTokenResponse {
  const accessToken = json.access_token;
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw protocolError('The token response has no access_token');
  }
  const tokenType = optionalString(json, 'token_type') ?? 'Bearer';
  if (tokenType.toLowerCase() !== 'bearer') {
    // Only short values are named: a longer one may be an echoed secret, and a fragment escapes redaction.
    const named = tokenType.length <= 6 ? ` "${tokenType}"` : '';
    throw protocolError(`The token response has token_type${named}, not Bearer`);
  }
  const tokens: TokenSet = {
    accessToken,
    tokenType: 'Bearer',
    expiresAt: options.now + lifetimeMs(json.expires_in, options.minLifetimeMs ?? DEFAULT_MIN_TOKEN_LIFETIME_MS),
    flow: options.previous?.flow ?? options.flow,
  };
  // An empty refresh_token is no new token: dropping the held one would make the next renewal fail
  // with ERR_NO_REFRESH_TOKEN (definite) and turn the page Invalid.
  const sentRefreshToken = optionalString(json, 'refresh_token');
  const refreshToken = sentRefreshToken === undefined || sentRefreshToken.length === 0 ? options.previous?.refreshToken : sentRefreshToken;
  if (refreshToken !== undefined && refreshToken.length > 0) tokens.refreshToken = refreshToken;
  const scope = optionalString(json, 'scope') ?? options.previous?.scope;
  if (scope !== undefined) tokens.scope = scope;
  if (options.previous?.account !== undefined) tokens.account = options.previous.account;
  return { tokens, idToken: optionalString(json, 'id_token') };
}

function optionalString(json: Record<string, unknown>, name: string): string | undefined {
  const value = json[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw protocolError(`The token response's ${name} is not a string`);
  return value;
}

function lifetimeMs(value: unknown, minMs: number): number {
  const ms = expiresInSeconds(value) * 1000;
  if (ms < minMs) {
    throw protocolError(
      `The token response has expires_in ${ms / 1000} s, below the ${minMs / 1000} s minimum; such a token would need renewing at once`,
    );
  }
  return ms;
}

function expiresInSeconds(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_EXPIRES_IN_S;
  const seconds = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw protocolError('The token response has an invalid expires_in');
  }
  return Math.min(seconds, MAX_EXPIRES_IN_S);
}
