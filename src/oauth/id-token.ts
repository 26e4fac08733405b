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
import type { GrantContext } from '../providers/types.js';
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
export async function verifyIdToken(idToken: string, jwks: JwksSource, expected: IdTokenExpectations, context: GrantContext): Promise<JWTPayload> {
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
    throw new AuthorizationError('ERR_ID_TOKEN', `The ID token was refused (${reason})`, { kind: 'definite', cause: err });
  }
}

/**
 * The signed-in account named by ID token claims: `email`, else `preferred_username`, else `upn`.
 *
 * @example
 * ```ts
 * accountOfClaims({ sub: '…', preferred_username: 'Scanner@Contoso.com' }); // 'Scanner@Contoso.com'
 * ```
 */
export function accountOfClaims(claims: JWTPayload): string | undefined {
  for (const name of ['email', 'preferred_username', 'upn']) {
    const value = claims[name];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
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
