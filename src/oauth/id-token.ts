/**
 * ID token checks (OpenID Connect Core §3.1.3.7) with jose: signature against the provider's
 * JWKS, `iss` (Microsoft's multi-tenant `{tenantid}` template resolved against `tid`), `aud`,
 * `exp`, `nonce`; and the rule that the account that signed in is the account entered on the
 * page.
 * @packageDocumentation
 */
import type { createLocalJWKSet, jwtVerify } from 'jose';
import { loadJose } from '../lib/lazy.js';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { AuthorizationError, MailOAuthError } from '../errors.js';
import type { GrantContext } from './types.js';
import { httpRequest, parseJsonObject, protocolError } from './http.js';
import { httpOptions } from './token-endpoint.js';

/** What an ID token must satisfy. */
export interface IdTokenExpectations {
  /** Expected `iss` (or several accepted spellings); a single one may contain `{tenantid}`, resolved against the token's `tid`. */
  issuer: string | readonly string[];
  /** The client id (`aud`). */
  audience: string;
  /** The `nonce` sent in the authorization request; checked when given. */
  nonce?: string | undefined;
  /** When `issuer` is a template: the tenant GUID the token must come from, if the app is single-tenant. */
  tenantId?: string | undefined;
  /** Allowed clock skew in seconds. Default 120. */
  clockToleranceS?: number | undefined;
}

/** Fetches and caches a JWKS; refetches once when a token names an unknown key. */
export interface JwksSource {
  /** Loads the keys now if they are not cached (before a device poll, so a late fetch cannot lose tokens). */
  warm(context: GrantContext): Promise<void>;
  /** Verifies `jwt`'s signature and claims with the current keys. */
  verify(jwt: string, options: Parameters<typeof jwtVerify>[2], context: GrantContext): Promise<JWTPayload>;
}

/**
 * A cached JWKS fetched through the SDK's HTTP layer (so proxies, CAs and MockAgent apply).
 *
 * @example
 * ```ts
 * const jwks = remoteJwks('https://login.microsoftonline.com/organizations/discovery/v2.0/keys');
 * const claims = await verifyIdToken(idToken, jwks, { issuer, audience: clientId, nonce }, context);
 * ```
 */
export function remoteJwks(url: string | ((context: GrantContext) => Promise<string>)): JwksSource {
  let cached: ReturnType<typeof createLocalJWKSet> | undefined;
  const load = async (context: GrantContext): Promise<ReturnType<typeof createLocalJWKSet>> => {
    const target = typeof url === 'string' ? url : await url(context);
    const res = await httpRequest({ method: 'GET', url: target, headers: { accept: 'application/json' } }, httpOptions(context));
    if (res.status !== 200) throw protocolError(`The JWKS endpoint answered HTTP ${res.status}`, res.status);
    const json = parseJsonObject(res, 'JWKS');
    if (!Array.isArray(json.keys)) throw protocolError('The JWKS has no keys');
    const { createLocalJWKSet } = await loadJose();
    cached = createLocalJWKSet(json as unknown as JSONWebKeySet);
    return cached;
  };
  return {
    async warm(context) {
      if (cached === undefined) await load(context);
    },
    async verify(jwt, options, context) {
      const keys = cached ?? (await load(context));
      const { jwtVerify, errors: joseErrors } = await loadJose();
      try {
        return (await jwtVerify(jwt, keys, options)).payload;
      } catch (err) {
        if (!(err instanceof joseErrors.JWKSNoMatchingKey) || keys !== cached) throw err;
        const fresh = await load(context);
        return (await jwtVerify(jwt, fresh, options)).payload;
      }
    },
  };
}

/**
 * Verifies an ID token and returns its claims. Any failure is `ERR_ID_TOKEN` (kind `definite`:
 * this authorization is unusable, Get Token again); nothing is stored.
 *
 * @example
 * ```ts
 * const claims = await verifyIdToken(idToken, jwks, { issuer: 'https://accounts.google.com', audience: clientId, nonce }, context);
 * ```
 */
export async function verifyIdToken(
  idToken: string,
  jwks: JwksSource,
  expected: IdTokenExpectations,
  context: GrantContext,
): Promise<JWTPayload> {
  let issuer: string | string[] = typeof expected.issuer === 'string' ? expected.issuer : [...expected.issuer];
  const { decodeJwt, errors: joseErrors } = await loadJose();
  try {
    if (typeof issuer === 'string' && issuer.includes('{tenantid}')) {
      const tid = decodeJwt(idToken).tid;
      if (typeof tid !== 'string' || !/^[0-9a-f-]{36}$/i.test(tid)) throw new Error('no tid claim');
      if (expected.tenantId !== undefined && tid.toLowerCase() !== expected.tenantId.toLowerCase()) throw new Error('tenant mismatch');
      issuer = issuer.replace('{tenantid}', tid);
    }
    const claims = await jwks.verify(
      idToken,
      {
        issuer,
        audience: expected.audience,
        currentDate: new Date(context.clock.now()),
        clockTolerance: expected.clockToleranceS ?? 120,
        requiredClaims: ['exp', 'iat', 'sub'],
      },
      context,
    );
    if (expected.nonce !== undefined && claims.nonce !== expected.nonce) throw new Error('nonce mismatch');
    return claims;
  } catch (err) {
    if (err instanceof MailOAuthError) throw err;
    const reason = err instanceof joseErrors.JOSEError ? err.code : err instanceof Error ? err.message : 'invalid';
    const timing = err instanceof joseErrors.JWTExpired || err instanceof joseErrors.JWTClaimValidationFailed ? err : undefined;
    const hint =
      timing === undefined ? undefined : clockHint(timing.claim, timing.payload, context.clock.now(), expected.clockToleranceS ?? 120);
    throw new AuthorizationError('ERR_ID_TOKEN', `The ID token was refused (${reason})`, {
      kind: 'definite',
      cause: err,
      ...(hint === undefined ? {} : { hint, params: { reason: 'clock' } }),
    });
  }
}

/** How far beyond the allowed skew a time claim must be off before the device clock is blamed: 2 minutes. */
const CLOCK_HINT_MARGIN_S = 120;

/**
 * A device clock that is off by more than a token's lifetime makes every sign-in fail, and
 * "ID token refused" alone sends the administrator to the provider instead of the clock.
 * The timestamps come from a token whose signature already verified; they are not secret.
 */
function clockHint(claim: string, payload: JWTPayload, nowMs: number, toleranceS: number): string | undefined {
  const nowS = nowMs / 1000;
  const off =
    claim === 'exp'
      ? nowS - (payload.exp ?? nowS)
      : claim === 'nbf'
        ? (payload.nbf ?? nowS) - nowS
        : claim === 'iat'
          ? Math.abs(nowS - (payload.iat ?? nowS))
          : 0;
  if (!(off > toleranceS + CLOCK_HINT_MARGIN_S)) return undefined;
  const at = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const issued = typeof payload.iat === 'number' ? `was issued at ${at(payload.iat)}` : `is valid until ${at(payload.exp ?? nowS)}`;
  return `Check the device's date and time: the ID token ${issued} but the device clock says ${at(nowS)}.`;
}

/**
 * Which ID token claims name the signed-in account.
 *
 * - `email` (OpenID Connect, Google): `email`, unless the provider marks it `email_verified: false`;
 *   only a token without `email` falls back to `preferred_username`, then `upn`.
 * - `directory` (Microsoft Entra ID): `preferred_username` and `upn`, which the directory itself
 *   issues, and `email` unless marked unverified.
 */
export type AccountClaimRule = 'email' | 'directory';

/** The account names a set of claims offers for the account check. */
interface ClaimedAccounts {
  /** Names that may satisfy the check, most authoritative first. */
  trusted: string[];
  /** An `email` the provider marked unverified: it never satisfies the check. */
  unverified: string | undefined;
}

function claimedAccounts(claims: JWTPayload, rule: AccountClaimRule): ClaimedAccounts {
  const text = (name: string): string | undefined => {
    const value = claims[name];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  };
  const email = text('email');
  // Some issuers send the boolean as a string.
  const unverified = email !== undefined && (claims.email_verified === false || claims.email_verified === 'false');
  const usernames = [text('preferred_username'), text('upn')].filter((n): n is string => n !== undefined);
  const verifiedEmail = email === undefined || unverified ? [] : [email];
  let trusted: string[];
  if (rule === 'directory') trusted = [...usernames, ...verifiedEmail];
  else trusted = email === undefined ? usernames : verifiedEmail;
  return { trusted, unverified: unverified ? email : undefined };
}

/**
 * The signed-in account named by ID token claims under `rule` (default `email`): for `email`,
 * a verified `email`, else — only when there is no `email` — `preferred_username`, else `upn`.
 * An `email` marked `email_verified: false` names no account.
 *
 * @example
 * ```ts
 * accountOfClaims({ sub: '…', preferred_username: 'Scanner@Contoso.com' }); // 'Scanner@Contoso.com'
 * accountOfClaims({ sub: '…', email: 'a@b.example', email_verified: false }); // undefined
 * ```
 */
export function accountOfClaims(claims: JWTPayload, rule: AccountClaimRule = 'email'): string | undefined {
  return claimedAccounts(claims, rule).trusted[0];
}

/**
 * The account check of a sign-in: returns the signed-in account when one of the names `rule`
 * trusts equals `entered` (ignoring case). Else `ERR_ACCOUNT_MISMATCH` (kind `definite`, both
 * accounts in `params`) — also when the only match would be an e-mail address the provider has
 * not verified — or `ERR_ID_TOKEN` when the claims name no account at all.
 *
 * @example
 * ```ts
 * tokens.account = assertAccountOfClaims('scanner@contoso.com', claims, 'directory');
 * ```
 */
export function assertAccountOfClaims(entered: string, claims: JWTPayload, rule: AccountClaimRule = 'email'): string {
  const { trusted, unverified } = claimedAccounts(claims, rule);
  const wanted = entered.trim().toLowerCase();
  const match = trusted.find((name) => name.trim().toLowerCase() === wanted);
  if (match !== undefined) return match;
  if (trusted.length === 0 && unverified !== undefined) {
    throw new AuthorizationError(
      'ERR_ACCOUNT_MISMATCH',
      `Signed in as ${unverified}, but the provider has not verified that e-mail address; the page's account is ${entered}`,
      {
        kind: 'definite',
        params: { expected: entered, actual: unverified },
        hint: 'The provider marks the e-mail address of the signed-in account as unverified: verify it at the provider, or sign in with a verified account.',
      },
    );
  }
  return assertSameAccount(entered, trusted[0]);
}

/**
 * Throws `ERR_ACCOUNT_MISMATCH` (kind `definite`, both accounts in `params`) unless the signed-in
 * account equals the entered one, ignoring case.
 *
 * @example
 * ```ts
 * assertSameAccount('scanner@contoso.com', accountOfClaims(claims));
 * ```
 */
export function assertSameAccount(entered: string, signedIn: string | undefined): string {
  if (signedIn === undefined) {
    throw new AuthorizationError('ERR_ID_TOKEN', 'The ID token does not name the signed-in account', { kind: 'definite' });
  }
  if (signedIn.trim().toLowerCase() !== entered.trim().toLowerCase()) {
    throw new AuthorizationError(
      'ERR_ACCOUNT_MISMATCH',
      `Signed in as ${signedIn}, but the page's account is ${entered}; sign in as ${entered} or change the account`,
      { kind: 'definite', params: { expected: entered, actual: signedIn } },
    );
  }
  return signedIn;
}
