/**
 * PKCE (RFC 7636, S256 only) and the random values of an authorization request.
 * @packageDocumentation
 */
import { createHash, randomBytes } from 'node:crypto';

/**
 * A fresh random value, base64url, from `bytes` random bytes (default 32 → 43 characters):
 * a PKCE code verifier, a `state` or a `nonce`.
 *
 * @example
 * ```ts
 * const state = randomToken();
 * ```
 */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * The S256 code challenge of a verifier: `BASE64URL(SHA256(ASCII(verifier)))`.
 *
 * @example
 * ```ts
 * const verifier = randomToken();
 * url.searchParams.set('code_challenge', codeChallengeS256(verifier));
 * ```
 */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
