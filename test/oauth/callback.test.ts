import { describe, expect, it } from 'vitest';
import { MailOAuthError } from '../../src/errors.js';
import { createAuthorizationRequest, readAuthorizationResponse } from '../../src/oauth/authorization-code.js';
import type { CallbackIssuerExpectation } from '../../src/oauth/authorization-code.js';

// RFC 9207: the authorization response's `iss` defends against mix-up attacks.
const now = 1_000_000;
const REDIRECT = 'http://127.0.0.1:7000/cb';
const pending = createAuthorizationRequest({
  authorizationEndpoint: 'https://issuer.example/authorize',
  clientId: 'client',
  redirectUri: REDIRECT,
  scope: 'openid',
  now,
});
const TEMPLATE = 'https://login.microsoftonline.com/{tenantid}/v2.0';
const TID = '9a8b7c6d-0000-4000-8000-123456789abc';
const OTHER_TID = '11111111-2222-4333-8444-555555555555';

function outcome(query: string, expected: CallbackIssuerExpectation): string {
  try {
    const { code, issuer } = readAuthorizationResponse(pending, `${REDIRECT}?state=${pending.state}&${query}`, now, expected);
    return `ok:${code}:${issuer ?? '-'}`;
  } catch (err) {
    if (err instanceof MailOAuthError) return `${err.code}/${err.kind}`;
    throw err;
  }
}
const iss = (value: string): string => `iss=${encodeURIComponent(value)}`;

describe('readAuthorizationResponse: RFC 9207 iss', () => {
  it('requires iss when the issuer advertises it, and returns it', () => {
    const expected = { issuer: 'https://issuer.example', required: true };
    expect(outcome('code=c', expected)).toBe('ERR_STATE_MISMATCH/usage');
    // An error answer without iss is refused too: a mix-up attacker could send it.
    expect(outcome('error=access_denied', expected)).toBe('ERR_STATE_MISMATCH/usage');
    expect(outcome(`code=c&${iss('https://issuer.example')}`, expected)).toBe('ok:c:https://issuer.example');
    expect(outcome('code=c', { issuer: 'https://issuer.example' })).toBe('ok:c:-');
  });

  it('accepts any spelling of a list of issuers (Google), nothing else', () => {
    const expected = { issuer: ['https://accounts.google.com', 'accounts.google.com'] };
    expect(outcome(`code=c&${iss('https://accounts.google.com')}`, expected)).toBe('ok:c:https://accounts.google.com');
    expect(outcome(`code=c&${iss('https://evil.example')}`, expected)).toBe('ERR_STATE_MISMATCH/usage');
  });

  it("checks Microsoft's {tenantid} template by shape, and against a configured tenant GUID", () => {
    expect(outcome(`code=c&${iss(`https://login.microsoftonline.com/${TID}/v2.0`)}`, { issuer: TEMPLATE })).toBe(
      `ok:c:https://login.microsoftonline.com/${TID}/v2.0`,
    );
    for (const bad of [
      'https://evil.example/v2.0',
      `https://evil.example/${TID}/v2.0`,
      `https://login.microsoftonline.com.evil.example/${TID}/v2.0`,
      'https://login.microsoftonline.com/organizations/v2.0',
      `https://login.microsoftonline.com/${TID}/v2.0/extra`,
      `https://LOGIN.microsoftonline.com/${TID}/v2.0`,
    ]) {
      expect(outcome(`code=c&${iss(bad)}`, { issuer: TEMPLATE }), bad).toBe('ERR_STATE_MISMATCH/usage');
    }
    const single = { issuer: TEMPLATE, tenantId: TID };
    expect(outcome(`code=c&${iss(`https://login.microsoftonline.com/${OTHER_TID}/v2.0`)}`, single)).toBe('ERR_STATE_MISMATCH/usage');
    expect(outcome(`code=c&${iss(`https://login.microsoftonline.com/${TID.toUpperCase()}/v2.0`)}`, single)).toMatch(/^ok:c:/);
  });
});
