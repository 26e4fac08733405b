import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MailOAuthError } from '../../src/errors.js';
import { parseTokenResponse } from '../../src/oauth/token-response.js';
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
    expect(tokens).toEqual({ accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', expiresAt: now + 600_000, scope: 'mail', flow: 'authorization-code' });
    expect(idToken).toBe('x.y.z');
  });

  it('expires_in as a string, and missing → 3600 s', () => {
    expect(parseTokenResponse({ access_token: 'a', expires_in: '3599' }, { flow: 'device-code', now }).tokens.expiresAt).toBe(now + 3_599_000);
    expect(parseTokenResponse({ access_token: 'a' }, { flow: 'device-code', now }).tokens.expiresAt).toBe(now + 3_600_000);
  });

  it('an answer without refresh_token keeps the old one, the account and the flow', () => {
    const previous: TokenSet = { accessToken: 'old', refreshToken: 'keep', tokenType: 'Bearer', expiresAt: 0, flow: 'authorization-code', account: 'a@b.c', scope: 's' };
    const { tokens } = parseTokenResponse({ access_token: 'new', expires_in: 3600 }, { flow: 'device-code', now, previous });
    expect(tokens).toEqual({ accessToken: 'new', refreshToken: 'keep', tokenType: 'Bearer', expiresAt: now + 3_600_000, flow: 'authorization-code', account: 'a@b.c', scope: 's' });
  });

  it('a rotated refresh token replaces the old one', () => {
    const previous: TokenSet = { accessToken: 'old', refreshToken: 'old-r', tokenType: 'Bearer', expiresAt: 0, flow: 'device-code' };
    expect(parseTokenResponse({ access_token: 'new', refresh_token: 'new-r' }, { flow: 'device-code', now, previous }).tokens.refreshToken).toBe('new-r');
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
