/**
 * What an OAuth error answer may put into an error: RFC 6749 §5.2's `error` grammar, bounded
 * fields, only http(s) `error_uri`s — so an issuer cannot fill log lines and the stored Invalid
 * reason with megabytes, control characters or script URLs.
 */
import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/errors.js';
import {
  errorFromResponse,
  INVALID_ERROR_CODE,
  MAX_ERROR_CODE_LENGTH,
  MAX_ERROR_DESCRIPTION_LENGTH,
  MAX_ERROR_URI_LENGTH,
} from '../../src/oauth/errors.js';
import type { HttpResponse } from '../../src/oauth/http.js';

function answer(body: Record<string, unknown>, status = 400): OAuthError {
  const res: HttpResponse = {
    status,
    headers: { 'content-type': 'application/json' },
    text: JSON.stringify(body),
    retryAfterMs: undefined,
  };
  const err = errorFromResponse(res, 'token endpoint');
  if (!(err instanceof OAuthError)) throw new Error(`not an OAuthError: ${err.code}`);
  return err;
}

describe('OAuth error answers', () => {
  it('keeps an error value of RFC 6749 grammar as sent, and classifies it', () => {
    const err = answer({ error: 'invalid_grant' });
    expect([err.error, err.params.error, err.kind]).toEqual(['invalid_grant', 'invalid_grant', 'definite']);
    const odd = `x!#[]~ ${'a'.repeat(MAX_ERROR_CODE_LENGTH - 7)}`;
    expect(odd).toHaveLength(MAX_ERROR_CODE_LENGTH);
    expect(answer({ error: odd }).error).toBe(odd);
  });

  it.each([
    ['longer than 64 characters', 'invalid_grant'.padEnd(MAX_ERROR_CODE_LENGTH + 1, '_')],
    ['the whole 1 MiB body', 'e'.repeat(1 << 20)],
    ['a double quote', 'invalid"grant'],
    ['a backslash', 'invalid\\grant'],
    ['a line break', 'invalid_grant\r\nX-Injected: 1'],
    ['a control character', 'invalid\u0000grant'],
    ['non-ASCII', 'invalid_grânt'],
  ])('replaces an error value with %s by invalid_error_code, classified by status (never definite)', (_, error) => {
    const err = answer({ error, error_description: 'why' });
    expect(err.error).toBe(INVALID_ERROR_CODE);
    expect(err.params).toEqual({ error: INVALID_ERROR_CODE });
    expect(err.message).toBe(`The authorization server answered ${INVALID_ERROR_CODE}: why`);
    expect(err.kind).toBe('configuration');
    expect(answer({ error }, 503).kind).toBe('transient');
  });

  it('bounds error_description as kept (1000) and as quoted in the message (first line, 300)', () => {
    const err = answer({ error: 'invalid_request', error_description: 'd'.repeat(5000) });
    expect(err.errorDescription).toBe(`${'d'.repeat(MAX_ERROR_DESCRIPTION_LENGTH)}…`);
    expect(err.message).toBe(`The authorization server answered invalid_request: ${'d'.repeat(300)}…`);
    // A cut never leaves half of a surrogate pair.
    const emoji = answer({ error: 'invalid_request', error_description: `${'d'.repeat(MAX_ERROR_DESCRIPTION_LENGTH - 1)}😀😀` });
    expect(emoji.errorDescription).toBe(`${'d'.repeat(MAX_ERROR_DESCRIPTION_LENGTH - 1)}…`);
  });

  it('keeps error_uri only as an http(s) URL, cut at 200 characters where it still parses', () => {
    const ok = 'https://login.microsoftonline.com/error?code=70008';
    expect(answer({ error: 'invalid_grant', error_uri: ok }).errorUri).toBe(ok);
    const longest = `https://issuer.example/?q=${'p'.repeat(MAX_ERROR_URI_LENGTH - 26)}`;
    expect(longest).toHaveLength(MAX_ERROR_URI_LENGTH);
    expect(answer({ error: 'invalid_grant', error_uri: longest }).errorUri).toBe(longest);
    expect(answer({ error: 'invalid_grant', error_uri: `${longest}ppp` }).errorUri).toBe(longest);
    // A cut through a %-escape drops its start, so that decodeURIComponent still works on it.
    const escaped = answer({ error: 'invalid_grant', error_uri: `${longest.slice(0, -1)}%41${'x'.repeat(5000)}` }).errorUri;
    expect(escaped).toBe(longest.slice(0, -1));
    for (const uri of [
      'javascript:alert(1)',
      'data:text/html,x',
      '/relative/path',
      'https://a.example/with space',
      'https://a.example/"q"',
      'https://a.example/\\x',
      '',
    ]) {
      expect(answer({ error: 'invalid_grant', error_uri: uri }).errorUri, uri.slice(0, 40)).toBeUndefined();
    }
  });
});
