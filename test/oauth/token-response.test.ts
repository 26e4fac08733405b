import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MailOAuthError } from '../../src/errors.js';
import { MAX_EXPIRES_IN_S, parseTokenResponse } from '../../src/oauth/token-response.js';
import type { TokenSet } from '../../src/oauth/types.js';

const now = 1_700_000_000_000;

function protocolCode(json: Record<string, unknown>): string {
  try {
    parseTokenResponse(json, { flow: 'device-code', now });
  } catch (err) {
    if (err instanceof MailOAuthError) return `${err.code}/${err.kind}`;
    throw err;
  }
  return 'accepted';
}

describe('parseTokenResponse', () => {
  it('reads a complete answer', () => {
    const { tokens, idToken } = parseTokenResponse(
      { access_token: 'a', refresh_token: 'r', token_type: 'bearer', expires_in: 600, scope: 'mail', id_token: 'x.y.z' },
      { flow: 'authorization-code', now },
    );
    expect(tokens).toEqual({
      accessToken: 'a',
      refreshToken: 'r',
      tokenType: 'Bearer',
      expiresAt: now + 600_000,
      scope: 'mail',
      flow: 'authorization-code',
    });
    expect(idToken).toBe('x.y.z');
  });

  it('expires_in as a string, and missing → 3600 s', () => {
    expect(parseTokenResponse({ access_token: 'a', expires_in: '3599' }, { flow: 'device-code', now }).tokens.expiresAt).toBe(
      now + 3_599_000,
    );
    expect(parseTokenResponse({ access_token: 'a' }, { flow: 'device-code', now }).tokens.expiresAt).toBe(now + 3_600_000);
  });

  it('an answer without refresh_token keeps the old one, the account and the flow', () => {
    const previous: TokenSet = {
      accessToken: 'old',
      refreshToken: 'keep',
      tokenType: 'Bearer',
      expiresAt: 0,
      flow: 'authorization-code',
      account: 'a@b.c',
      scope: 's',
    };
    const { tokens } = parseTokenResponse({ access_token: 'new', expires_in: 3600 }, { flow: 'device-code', now, previous });
    expect(tokens).toEqual({
      accessToken: 'new',
      refreshToken: 'keep',
      tokenType: 'Bearer',
      expiresAt: now + 3_600_000,
      flow: 'authorization-code',
      account: 'a@b.c',
      scope: 's',
    });
  });

  it('an empty refresh_token keeps the held one (losing it would make the next renewal fail as definite)', () => {
    const previous: TokenSet = { accessToken: 'old', refreshToken: 'keep', tokenType: 'Bearer', expiresAt: 0, flow: 'device-code' };
    expect(parseTokenResponse({ access_token: 'new', refresh_token: '' }, { flow: 'device-code', now, previous }).tokens.refreshToken).toBe(
      'keep',
    );
    expect(parseTokenResponse({ access_token: 'new', refresh_token: '' }, { flow: 'device-code', now }).tokens).not.toHaveProperty(
      'refreshToken',
    );
  });

  it('caps expires_in at a year, so the expiry stays a finite time that survives a JSON round trip', () => {
    const year = now + 365 * 86_400_000;
    expect(MAX_EXPIRES_IN_S).toBe(365 * 86_400);
    for (const expiresIn of [1e308, Number.MAX_VALUE, '99999999999999999999999', 365 * 86_400 + 1]) {
      const { tokens } = parseTokenResponse({ access_token: 'a', expires_in: expiresIn }, { flow: 'device-code', now });
      expect(tokens.expiresAt).toBe(year);
      expect((JSON.parse(JSON.stringify(tokens)) as { expiresAt: unknown }).expiresAt).toBe(year);
    }
    expect(parseTokenResponse({ access_token: 'a', expires_in: 86_400 }, { flow: 'device-code', now }).tokens.expiresAt).toBe(
      now + 86_400_000,
    );
  });

  it('a rotated refresh token replaces the old one', () => {
    const previous: TokenSet = { accessToken: 'old', refreshToken: 'old-r', tokenType: 'Bearer', expiresAt: 0, flow: 'device-code' };
    expect(
      parseTokenResponse({ access_token: 'new', refresh_token: 'new-r' }, { flow: 'device-code', now, previous }).tokens.refreshToken,
    ).toBe('new-r');
  });

  it.each([
    [{}],
    [{ access_token: '' }],
    [{ access_token: 42 }],
    [{ access_token: 'a', token_type: 'mac' }],
    [{ access_token: 'a', expires_in: 'soon' }],
    [{ access_token: 'a', expires_in: -1 }],
    [{ access_token: 'a', expires_in: 0 }],
    [{ access_token: 'a', refresh_token: 7 }],
    [{ access_token: 'a', scope: ['mail'] }],
  ])('refuses %j as ERR_PROTOCOL', (json) => {
    expect(protocolCode(json)).toBe('ERR_PROTOCOL/protocol');
  });

  it('refuses a lifetime under 30 s (an issuer-driven renewal loop) with a message naming expires_in; the minimum is an option', () => {
    expect(protocolCode({ access_token: 'a', expires_in: 0.001 })).toBe('ERR_PROTOCOL/protocol');
    expect(protocolCode({ access_token: 'a', expires_in: '29' })).toBe('ERR_PROTOCOL/protocol');
    expect(() => parseTokenResponse({ access_token: 'a', expires_in: 29 }, { flow: 'device-code', now })).toThrow(
      /expires_in 29 s, below the 30 s minimum/,
    );
    expect(parseTokenResponse({ access_token: 'a', expires_in: 30 }, { flow: 'device-code', now }).tokens.expiresAt).toBe(now + 30_000);
    expect(
      parseTokenResponse({ access_token: 'a', expires_in: 2 }, { flow: 'device-code', now, minLifetimeMs: 1_000 }).tokens.expiresAt,
    ).toBe(now + 2_000);
  });

  it('names a short token_type but never a long one (it may be an echoed secret)', () => {
    expect(() => parseTokenResponse({ access_token: 'a', token_type: 'DPoP' }, { flow: 'device-code', now })).toThrow(
      'token_type "DPoP", not Bearer',
    );
    const echoed = 'refresh-token-0123456789';
    expect(() => parseTokenResponse({ access_token: 'a', token_type: echoed }, { flow: 'device-code', now })).toThrow(
      /^(?!.*refresh-tok).*not Bearer$/,
    );
  });

  it('never accepts an object without a non-empty string access_token, never throws anything but a coded error', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (json) => {
        const result = protocolCode(json);
        const ok = typeof json.access_token === 'string' && json.access_token.length > 0;
        if (!ok) expect(result).toBe('ERR_PROTOCOL/protocol');
        else expect(['accepted', 'ERR_PROTOCOL/protocol']).toContain(result);
      }),
    );
  });
});
