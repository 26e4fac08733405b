import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MailOAuthError } from '../../src/errors.js';
import { parseSaslErrorChallenge } from '../../src/sasl/challenge.js';
import { buildOAuthBearer, buildOAuthBearerRaw } from '../../src/sasl/oauthbearer.js';
import { buildXOAuth2, buildXOAuth2Raw } from '../../src/sasl/xoauth2.js';

const safeText = fc.string({ minLength: 1, maxLength: 80, unit: 'grapheme' }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s));
const tokenText = fc.stringMatching(/^[A-Za-z0-9\-._~+/]+=*$/).filter((s) => s.length > 0);
const withControl = fc
  .tuple(safeText, fc.constantFrom('\r', '\n', '\x01', '\x00', '\t', '\x7f'), fc.string({ maxLength: 10 }))
  .map(([a, c, b]) => a + c + b);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof MailOAuthError ? err.code : 'not-a-MailOAuthError';
  }
  return undefined;
}

describe('XOAUTH2', () => {
  it('matches the documented format', () => {
    expect(buildXOAuth2Raw('someuser@example.com', 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg')).toBe(
      'user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01',
    );
    // Google's published example
    expect(buildXOAuth2('someuser@example.com', 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg')).toBe(
      'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==',
    );
  });

  it('round-trips any safe user and token (property)', () => {
    fc.assert(
      fc.property(safeText, tokenText, (user, token) => {
        const decoded = Buffer.from(buildXOAuth2(user, token), 'base64').toString('utf8');
        const parts = decoded.split('\x01');
        expect(parts).toEqual([`user=${user}`, `auth=Bearer ${token}`, '', '']);
      }),
    );
  });

  it('refuses control characters in user or token (property)', () => {
    fc.assert(
      fc.property(withControl, tokenText, (bad, token) => {
        expect(codeOf(() => buildXOAuth2(bad, token))).toBe('ERR_SASL_INVALID_INPUT');
        expect(codeOf(() => buildXOAuth2('user@example.com', bad))).toBe('ERR_SASL_INVALID_INPUT');
      }),
    );
    expect(codeOf(() => buildXOAuth2('', 't'))).toBe('ERR_SASL_INVALID_INPUT');
    expect(codeOf(() => buildXOAuth2('u', ''))).toBe('ERR_SASL_INVALID_INPUT');
  });

  it('never puts the token into the error', () => {
    try {
      buildXOAuth2('u@example.com', 'SECRET-TOKEN\r\nQUIT');
      expect.unreachable();
    } catch (err) {
      expect(String(err)).not.toContain('SECRET');
      expect(JSON.stringify(err)).not.toContain('SECRET');
    }
  });
});

describe('OAUTHBEARER', () => {
  it('matches RFC 7628 §4.1', () => {
    expect(
      buildOAuthBearerRaw('user@example.com', 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==', { host: 'server.example.com', port: 143 }),
    ).toBe(
      'n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01',
    );
    expect(buildOAuthBearerRaw('a,b=c', 't')).toBe('n,a=a=2Cb=3Dc,\x01auth=Bearer t\x01\x01');
  });

  it('round-trips with gs2 escaping (property)', () => {
    fc.assert(
      fc.property(safeText, tokenText, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), (user, token, port) => {
        const options = port === undefined ? {} : { host: 'localhost', port };
        const raw = Buffer.from(buildOAuthBearer(user, token, options), 'base64').toString('utf8');
        const match = /^n,a=([^,]*),\x01(.*)\x01\x01$/s.exec(raw);
        expect(match).not.toBeNull();
        const name = match![1]!.replace(/=2C/g, ',').replace(/=3D/g, '=');
        expect(name).toBe(user);
        const kv = match![2]!.split('\x01');
        expect(kv.at(-1)).toBe(`auth=Bearer ${token}`);
        if (port !== undefined) expect(kv).toContain(`port=${port}`);
      }),
    );
  });

  it('refuses control characters and bad ports', () => {
    fc.assert(
      fc.property(withControl, (bad) => {
        expect(codeOf(() => buildOAuthBearer(bad, 't'))).toBe('ERR_SASL_INVALID_INPUT');
        expect(codeOf(() => buildOAuthBearer('u', bad))).toBe('ERR_SASL_INVALID_INPUT');
        expect(codeOf(() => buildOAuthBearer('u', 't', { host: bad }))).toBe('ERR_SASL_INVALID_INPUT');
      }),
    );
    expect(codeOf(() => buildOAuthBearer('u', 't', { port: 0 }))).toBe('ERR_SASL_INVALID_INPUT');
  });
});

describe('error challenge', () => {
  it('parses Gmail’s challenge', () => {
    const payload = Buffer.from('{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}').toString('base64');
    expect(parseSaslErrorChallenge(payload)).toEqual({
      status: '401',
      schemes: 'bearer',
      scope: 'https://mail.google.com/',
      openidConfiguration: undefined,
    });
    expect(parseSaslErrorChallenge(Buffer.from('{"status":400}').toString('base64'))?.status).toBe('400');
  });

  it('returns undefined for anything that is not base64 JSON, never throws (property)', () => {
    expect(parseSaslErrorChallenge('')).toBeUndefined();
    expect(parseSaslErrorChallenge(Buffer.from('[1]').toString('base64'))).toBeUndefined();
    expect(parseSaslErrorChallenge('not base64!')).toBeUndefined();
    fc.assert(
      fc.property(fc.string(), (s) => {
        const result = parseSaslErrorChallenge(s);
        expect(result === undefined || typeof result === 'object').toBe(true);
      }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('status', 'schemes', 'scope', 'x'), fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
        (obj) => {
          const parsed = parseSaslErrorChallenge(Buffer.from(JSON.stringify(obj)).toString('base64'));
          expect(parsed).toBeDefined();
          if (typeof obj['status'] === 'string') expect(parsed?.status).toBe(obj['status']);
        },
      ),
    );
  });
});
