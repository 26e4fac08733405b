/**
 * `parseScopeRecord` lets through only records this version wrote: exactly version 1, and the
 * optional parts (tokens, pending authorization, Invalid reason) in the shape the machine reads,
 * since a malformed one would reach the machine as it is.
 */
import { describe, expect, it } from 'vitest';
import { parseScopeRecord, SCOPE_RECORD_VERSION } from '../../src/machine/record.js';

const ACCESS = 'access-token-0123456789abcdef';
const REFRESH = 'refresh-token-0123456789abcdef';
const DEVICE = 'device-code-0123456789abcdef';

const settings = {
  server: 'smtp.office365.com',
  port: 587,
  security: 'starttls',
  authMethod: 'oauth2',
  provider: 'microsoft365',
  account: 'scanner@contoso.com',
};
const tokens = {
  accessToken: ACCESS,
  refreshToken: REFRESH,
  tokenType: 'Bearer',
  expiresAt: 1_760_003_600_000,
  flow: 'device-code',
  account: 'scanner@contoso.com',
  scope: 'mail',
};
const acquired = { v: 1, settings, phase: 'acquired', tokens, obtainedAt: 1_760_000_000_000, refreshTokenWithheld: false };
const devicePending = {
  flow: 'device-code',
  deviceCode: DEVICE,
  userCode: 'ABCD-EFGH',
  verificationUri: 'https://microsoft.com/devicelogin',
  expiresAt: 1_760_000_900_000,
  intervalMs: 5_000,
};
const redirectPending = {
  flow: 'authorization-code',
  url: 'https://login.example/authorize?x',
  redirectUri: 'http://127.0.0.1:8765/cb',
  state: 's',
  codeVerifier: 'verifier-0123456789abcdef',
  nonce: 'n',
  expiresAt: 1_760_000_600_000,
};
const reason = {
  name: 'OAuthError',
  code: 'ERR_OAUTH',
  kind: 'definite',
  message: 'The authorization server answered invalid_grant',
  params: { error: 'invalid_grant' },
};

function code(value: unknown): string {
  try {
    parseScopeRecord(value);
  } catch (err) {
    const { code: c, message } = err as { code: string; message: string };
    for (const secret of [ACCESS, REFRESH, DEVICE]) expect(message).not.toContain(secret);
    return c;
  }
  return 'accepted';
}

describe('parseScopeRecord', () => {
  it('accepts the records the machine writes, in every phase', () => {
    expect(SCOPE_RECORD_VERSION).toBe(1);
    expect(parseScopeRecord(acquired)).toEqual(acquired);
    expect(code({ v: 1, settings, phase: 'not-acquired' })).toBe('accepted');
    expect(code({ v: 1, settings, phase: 'authorizing', pending: devicePending, flow: 'device-code' })).toBe('accepted');
    expect(
      code({
        v: 1,
        settings,
        phase: 'authorizing',
        pending: { ...devicePending, verificationUriComplete: 'https://x.example/?c=1' },
        flow: 'device-code',
      }),
    ).toBe('accepted');
    expect(code({ v: 1, settings, phase: 'authorizing', pending: redirectPending, flow: 'authorization-code' })).toBe('accepted');
    expect(code({ ...acquired, phase: 'invalid', invalidReason: reason })).toBe('accepted');
    expect(code({ ...acquired, phase: 'invalid', invalidReason: { ...reason, hint: 'h', retryAfterMs: 0 } })).toBe('accepted');
    const { refreshToken: _, ...withoutRefresh } = tokens;
    expect(code({ ...acquired, tokens: withoutRefresh, refreshTokenWithheld: true })).toBe('accepted');
  });

  it.each([[0], [-1], [-7], [0.5], [1.5], [1 + Number.EPSILON], [Number.MIN_VALUE], [-0.5]])(
    'refuses version %d as ERR_STORE_CORRUPT (no mail-oauth wrote it)',
    (v) => {
      expect(code({ ...acquired, v })).toBe('ERR_STORE_CORRUPT');
    },
  );

  it('refuses a later integer version as ERR_STORE_VERSION (written by newer firmware), whatever its shape', () => {
    expect(code({ ...acquired, v: 2 })).toBe('ERR_STORE_VERSION');
    expect(code({ v: 99, phase: 'sideways' })).toBe('ERR_STORE_VERSION');
    expect(code({ ...acquired, v: '1' })).toBe('ERR_STORE_CORRUPT');
  });

  it.each([
    ['a non-string refresh token', { ...acquired, tokens: { ...tokens, refreshToken: 42 } }],
    ['a null refresh token', { ...acquired, tokens: { ...tokens, refreshToken: null } }],
    ['an expiry stored as null (Infinity through JSON)', { ...acquired, tokens: { ...tokens, expiresAt: null } }],
    ['an unknown token flow', { ...acquired, tokens: { ...tokens, flow: 'password' } }],
    ['a non-string account', { ...acquired, tokens: { ...tokens, account: {} } }],
    ['obtainedAt not a number', { ...acquired, obtainedAt: '2025-01-01' }],
    ['refreshTokenWithheld not a boolean', { ...acquired, refreshTokenWithheld: 'yes' }],
    ['a pending that is a string', { v: 1, settings, phase: 'authorizing', pending: 'device-code' }],
    ['a pending of an unknown flow', { v: 1, settings, phase: 'authorizing', pending: { ...devicePending, flow: 'password' } }],
    [
      'a device pending without a device code',
      { v: 1, settings, phase: 'authorizing', pending: { ...devicePending, deviceCode: undefined } },
    ],
    [
      'a device pending with an interval of null',
      { v: 1, settings, phase: 'authorizing', pending: { ...devicePending, intervalMs: null } },
    ],
    ['a device pending with a numeric user code', { v: 1, settings, phase: 'authorizing', pending: { ...devicePending, userCode: 1234 } }],
    [
      'a redirect pending without a verifier',
      { v: 1, settings, phase: 'authorizing', pending: { ...redirectPending, codeVerifier: undefined } },
    ],
    [
      'a redirect pending without an expiry',
      { v: 1, settings, phase: 'authorizing', pending: { ...redirectPending, expiresAt: undefined } },
    ],
    ['an unknown authorizing flow', { v: 1, settings, phase: 'authorizing', pending: devicePending, flow: 42 }],
    ['an invalidReason that is a string', { ...acquired, phase: 'invalid', invalidReason: 'revoked' }],
    ['an invalidReason without a code', { ...acquired, phase: 'invalid', invalidReason: { ...reason, code: undefined } }],
    ['an invalidReason with a code that is not one', { ...acquired, phase: 'invalid', invalidReason: { ...reason, code: 'revoked' } }],
    ['an invalidReason of an unknown kind', { ...acquired, phase: 'invalid', invalidReason: { ...reason, kind: 'fatal' } }],
    ['an invalidReason with a non-string message', { ...acquired, phase: 'invalid', invalidReason: { ...reason, message: ['x'] } }],
    ['an invalidReason with non-string params', { ...acquired, phase: 'invalid', invalidReason: { ...reason, params: { error: 1 } } }],
    ['an invalidReason with a negative Retry-After', { ...acquired, phase: 'invalid', invalidReason: { ...reason, retryAfterMs: -1 } }],
  ])('refuses %s as ERR_STORE_CORRUPT, without quoting a secret', (_, record) => {
    expect(code(record)).toBe('ERR_STORE_CORRUPT');
  });
});
