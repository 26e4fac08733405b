import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import type { CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MailOAuthError } from '../../src/errors.js';
import { verifyIdToken } from '../../src/oauth/id-token.js';
import type { JwksSource } from '../../src/oauth/id-token.js';
import { fixedClock, grantContext } from './context.js';

const ISSUER = 'https://issuer.example';
const ISSUED = Date.UTC(2030, 0, 15, 9, 0, 0);
let key: CryptoKey;
let jwks: JwksSource;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  key = pair.privateKey;
  const set = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k', alg: 'RS256' }] });
  jwks = { warm: async () => undefined, verify: async (jwt, options) => (await jwtVerify(jwt, set, options)).payload };
});

function idToken(withNbf: boolean): Promise<string> {
  const jwt = new SignJWT({ nonce: 'n1', email: 'a@b.example' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k' })
    .setIssuer(ISSUER)
    .setAudience('client')
    .setSubject('sub')
    .setIssuedAt(ISSUED / 1000)
    .setExpirationTime(ISSUED / 1000 + 3600);
  return (withNbf ? jwt.setNotBefore(ISSUED / 1000) : jwt).sign(key);
}

async function refusal(deviceNow: number, withNbf = false): Promise<MailOAuthError | undefined> {
  const token = await idToken(withNbf);
  return verifyIdToken(
    token,
    jwks,
    { issuer: ISSUER, audience: 'client', nonce: 'n1' },
    grantContext({ clock: fixedClock(deviceNow) }),
  ).then(
    () => undefined,
    (err: unknown) => err as MailOAuthError,
  );
}

describe('ID token time claims and the device clock', () => {
  it('a device clock ahead by more than the lifetime: ERR_ID_TOKEN whose hint names both times', async () => {
    const err = await refusal(ISSUED + 3 * 3600_000);
    expect(err).toMatchObject({ code: 'ERR_ID_TOKEN', kind: 'definite', params: { reason: 'clock' } });
    expect(err?.hint).toBe(
      "Check the device's date and time: the ID token was issued at 2030-01-15T09:00:00Z but the device clock says 2030-01-15T12:00:00Z.",
    );
    expect(JSON.stringify(err?.toJSON())).toContain('device clock says');
  });

  it('a device clock behind a token with nbf (Microsoft sends one): the same hint', async () => {
    const err = await refusal(ISSUED - 24 * 3600_000, true);
    expect(err?.code).toBe('ERR_ID_TOKEN');
    expect(err?.hint).toContain('the ID token was issued at 2030-01-15T09:00:00Z but the device clock says 2030-01-14T09:00:00Z');
  });

  it('within the skew it verifies; just expired (less than 2 minutes beyond the skew) it is refused without blaming the clock', async () => {
    expect(await refusal(ISSUED + 3600_000 + 100_000)).toBeUndefined();
    const err = await refusal(ISSUED + 3600_000 + 120_000 + 60_000);
    expect(err?.code).toBe('ERR_ID_TOKEN');
    expect(err?.hint).toBeUndefined();
  });

  it('other failures get no clock hint', async () => {
    const token = await idToken(false);
    const err = await verifyIdToken(
      token,
      jwks,
      { issuer: ISSUER, audience: 'someone-else' },
      grantContext({ clock: fixedClock(ISSUED + 60_000) }),
    ).catch((e: unknown) => e as MailOAuthError);
    expect(err).toMatchObject({ code: 'ERR_ID_TOKEN' });
    expect((err as MailOAuthError).hint).toBeUndefined();
  });
});
