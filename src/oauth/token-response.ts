/**
 * Strict parsing of a token endpoint's successful JSON answer (RFC 6749 §5.1) into a
 * {@link TokenSet}: `expires_in` as a number or a numeric string, missing → 3600 s; a missing
 * `refresh_token` keeps the one held before (Google's refresh answers).
 * @packageDocumentation
 */
import type { Flow, TokenSet } from './types.js';
import { protocolError } from './http.js';

/** `expires_in` assumed when the server omits it: 3600 s. */
export const DEFAULT_EXPIRES_IN_S = 3600;

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
    throw protocolError(`The token response has token_type "${tokenType.slice(0, 20)}", not Bearer`);
  }
  const tokens: TokenSet = {
    accessToken,
    tokenType: 'Bearer',
    expiresAt: options.now + expiresInSeconds(json.expires_in) * 1000,
    flow: options.previous?.flow ?? options.flow,
  };
  const refreshToken = optionalString(json, 'refresh_token') ?? options.previous?.refreshToken;
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

function expiresInSeconds(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_EXPIRES_IN_S;
  const seconds = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw protocolError('The token response has an invalid expires_in');
  }
  return seconds;
}
