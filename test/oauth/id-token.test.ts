import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { MailOAuthError } from '../../src/errors.js';
import { createAuthorizationRequest, readAuthorizationCallback } from '../../src/oauth/authorization-code.js';
import { accountOfClaims, verifyIdToken } from '../../src/oauth/id-token.js';
import type { IdTokenExpectations, JwksSource } from '../../src/oauth/id-token.js';
import { codeChallengeS256 } from '../../src/oauth/pkce.js';
import { grantContext } from './context.js';

const ISSUER = 'https://issuer.example';
let key: CryptoKey;
let jwks: JwksSource;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  key = pair.privateKey;
  const set = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k', alg: 'RS256' }] });
  jwks = { warm: async () => undefined, verify: async (jwt, options) => (await jwtVerify(jwt, set, options)).payload };
});

function sign(claims: JWTPayload, exp: string | number = '1h'): Promise<string> {
  return new SignJWT({ nonce: 'n1', email: 'a@b.example', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k' })
    .setIssuer(ISSUER)
    .setAudience('client')
    .setSubject('sub')
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(key);
}

async function code(token: Promise<string>, expected: Partial<IdTokenExpectations> = {}): Promise<string> {
  try {
    await verifyIdToken(await token, jwks, { issuer: ISSUER, audience: 'client', nonce: 'n1', ...expected }, grantContext());
    return 'ok';
  } catch (err) {
    if (err instanceof MailOAuthError) return `${err.code}/${err.kind}`;
    throw err;
  }
}

describe('verifyIdToken', () => {
  it('accepts a good token and reads the account', async () => {
    expect(await code(sign({}))).toBe('ok');
    expect(accountOfClaims({ preferred_username: 'x@y', upn: 'z' })).toBe('x@y');
    expect(accountOfClaims({ sub: 's' })).toBeUndefined();
  });

  it.each([
    ['a wrong nonce', () => sign({ nonce: 'other' }), {}],
    ['no nonce', () => sign({ nonce: undefined }), {}],
    ['a wrong audience', () => sign({}), { audience: 'someone-else' }],
    ['a wrong issuer', () => sign({}), { issuer: 'https://evil.example' }],
    ['an expired token', () => sign({}, Math.floor(Date.now() / 1000) - 3600), {}],
  ] as const)('refuses %s with ERR_ID_TOKEN', async (_name, token, expected) => {
    expect(await code(token(), expected)).toBe('ERR_ID_TOKEN/definite');
  });
});

describe('readAuthorizationCallback', () => {
  const now = 1_000_000;
  const pending = createAuthorizationRequest({
    authorizationEndpoint: 'https://issuer.example/authorize',
    clientId: 'client',
    redirectUri: 'http://127.0.0.1:7000/cb',
    scope: 'openid',
    now,
  });
  const state: string = pending.state;
  const cb = (query: string): string => `http://127.0.0.1:7000/cb?${query}`;
  const failure = (url: string, at = now, issuer?: string): string => {
    try {
      readAuthorizationCallback(pending, url, at, issuer);
      return 'ok';
    } catch (err) {
      if (err instanceof MailOAuthError) return err.code;
      throw err;
    }
  };

  it('derives the challenge from the verifier (RFC 7636 appendix B)', () => {
    expect(codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    expect(new URL(pending.url).searchParams.get('code_challenge')).toBe(codeChallengeS256(pending.codeVerifier));
  });

  it('returns the code for the right redirect', () => {
    expect(readAuthorizationCallback(pending, cb(`code=abc&state=${state}`), now)).toBe('abc');
  });

  const cases: Array<[string, string, number, string | undefined, string]> = [
    ['another state', cb('code=abc&state=x'), now, undefined, 'ERR_STATE_MISMATCH'],
    ['no state', cb('code=abc'), now, undefined, 'ERR_STATE_MISMATCH'],
    ['another path', `http://127.0.0.1:7000/other?code=abc&state=${state}`, now, undefined, 'ERR_STATE_MISMATCH'],
    ['not a URL', 'code=abc', now, undefined, 'ERR_STATE_MISMATCH'],
    ['another issuer', cb(`code=abc&state=${state}&iss=https://evil.example`), now, 'https://issuer.example', 'ERR_STATE_MISMATCH'],
    ['an expired authorization', cb(`code=abc&state=${state}`), pending.expiresAt + 1, undefined, 'ERR_AUTHORIZATION_EXPIRED'],
    ['no code', cb(`state=${state}`), now, undefined, 'ERR_PROTOCOL'],
    ['an error', cb(`error=server_error&state=${state}`), now, undefined, 'ERR_OAUTH'],
    ['a denial', cb(`error=access_denied&state=${state}`), now, undefined, 'ERR_AUTHORIZATION_DENIED'],
  ];
  it.each(cases)('refuses %s', (_name, url, at, issuer, expected) => {
    expect(failure(url, at, issuer)).toBe(expected);
  });
});
