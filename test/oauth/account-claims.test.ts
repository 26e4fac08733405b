import { describe, expect, it } from 'vitest';
import { MailOAuthError } from '../../src/errors.js';
import { accountOfClaims, assertAccountOfClaims } from '../../src/oauth/id-token.js';
import type { AccountClaimRule } from '../../src/oauth/id-token.js';

const ENTERED = 'scanner@contoso.com';

function check(claims: Record<string, unknown>, rule: AccountClaimRule): string {
  try {
    return `ok:${assertAccountOfClaims(ENTERED, { sub: 's', ...claims }, rule)}`;
  } catch (err) {
    if (err instanceof MailOAuthError) return `${err.code}:${err.params.actual ?? '-'}`;
    throw err;
  }
}

describe('the account check and email_verified', () => {
  it('an unverified email never satisfies the check for OIDC and Google, even with a matching username', () => {
    expect(check({ email: ENTERED, email_verified: false }, 'email')).toBe(`ERR_ACCOUNT_MISMATCH:${ENTERED}`);
    expect(check({ email: ENTERED, email_verified: 'false' }, 'email')).toBe(`ERR_ACCOUNT_MISMATCH:${ENTERED}`);
    expect(check({ email: ENTERED, email_verified: false, preferred_username: ENTERED }, 'email')).toBe(`ERR_ACCOUNT_MISMATCH:${ENTERED}`);
    expect(accountOfClaims({ email: ENTERED, email_verified: false })).toBeUndefined();
  });

  it('a verified (or unqualified) email does; without any email the username still names the account', () => {
    expect(check({ email: 'Scanner@Contoso.com', email_verified: true }, 'email')).toBe('ok:Scanner@Contoso.com');
    expect(check({ email: ENTERED }, 'email')).toBe(`ok:${ENTERED}`);
    expect(check({ preferred_username: ENTERED }, 'email')).toBe(`ok:${ENTERED}`);
    expect(check({ email: 'admin@contoso.com', email_verified: true }, 'email')).toBe('ERR_ACCOUNT_MISMATCH:admin@contoso.com');
  });

  it("Microsoft: preferred_username/upn are Entra's own; an unverified email is not used", () => {
    expect(check({ email: ENTERED, email_verified: false, preferred_username: 'admin@contoso.com' }, 'directory')).toBe(
      'ERR_ACCOUNT_MISMATCH:admin@contoso.com',
    );
    expect(check({ email: 'other@contoso.com', email_verified: false, preferred_username: ENTERED }, 'directory')).toBe(`ok:${ENTERED}`);
    expect(check({ email: ENTERED, email_verified: false, upn: ENTERED }, 'directory')).toBe(`ok:${ENTERED}`);
    expect(check({ email: ENTERED, email_verified: false }, 'directory')).toBe(`ERR_ACCOUNT_MISMATCH:${ENTERED}`);
    // A UPN on the initial domain with the mail address on a custom domain: the mail address still matches.
    expect(check({ preferred_username: 'scanner@contoso.onmicrosoft.com', email: ENTERED }, 'directory')).toBe(`ok:${ENTERED}`);
  });

  it('claims naming no account at all are ERR_ID_TOKEN', () => {
    expect(check({}, 'email')).toBe('ERR_ID_TOKEN:-');
  });
});
