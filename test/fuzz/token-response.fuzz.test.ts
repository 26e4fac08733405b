/**
 * Fuzzing of the OAuth parsers that read an issuer's answers without I/O: the token response
 * (`src/oauth/token-response.ts`), error bodies (`src/oauth/errors.ts`, through
 * `errorFromResponse`, which also runs `parseJsonObject`). The endpoint-level properties with
 * echoed request values are in `token-endpoint.fuzz.test.ts`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorFromResponse } from '../../src/oauth/errors.js';
import type { HttpResponse } from '../../src/oauth/http.js';
import { MAX_EXPIRES_IN_S, parseTokenResponse } from '../../src/oauth/token-response.js';
import type { TokenSet } from '../../src/oauth/types.js';
import { expectCoded, expectNoSecret, fuzzParameters, fuzzTimeout, heapGuard, hostileText, secretArb, timed } from './helpers.js';

const NOW = 1_760_000_000_000;

const scalar = fc.oneof(
  hostileText,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);

const expiresIn = fc.oneof(
  scalar,
  fc.integer({ min: -10, max: 10 ** 9 }),
  fc.integer({ min: 1, max: 10 ** 9 }).map(String),
  fc.constantFrom('3600', ' 3600 ', '0', '-1', '1e3', '0x10', '3600.5', '', '\t60\n', '١٢٣', '99999999999999999999999'),
);

/** A token response a hostile or broken issuer might send, sometimes echoing what it was sent. */
function tokenJson(previous: TokenSet): fc.Arbitrary<Record<string, unknown>> {
  const echo = fc.constantFrom(previous.refreshToken ?? '', previous.accessToken, `Bearer ${previous.accessToken}`);
  return fc.record(
    {
      access_token: fc.oneof(scalar, secretArb, fc.constant('')),
      token_type: fc.oneof(scalar, fc.constantFrom('Bearer', 'bearer', 'BEARER', 'DPoP', 'mac', ''), echo),
      expires_in: expiresIn,
      refresh_token: fc.oneof(scalar, secretArb, fc.constant(''), echo),
      scope: fc.oneof(scalar, echo),
      id_token: fc.oneof(scalar, echo),
    },
    { requiredKeys: [] },
  );
}

const previousArb = fc.option(
  fc.record({ accessToken: secretArb, refreshToken: secretArb }).map(({ accessToken, refreshToken }): TokenSet => ({
    accessToken,
    refreshToken,
    tokenType: 'Bearer',
    expiresAt: NOW,
    flow: 'device-code',
    account: 'a@b.example',
  })),
  { nil: undefined },
);

const caseArb = previousArb.chain((previous) =>
  tokenJson(
    previous ?? {
      accessToken: 'no-previous-access-token',
      refreshToken: 'no-previous-refresh-token',
      tokenType: 'Bearer',
      expiresAt: NOW,
      flow: 'device-code',
    },
  ).map((json) => ({ previous, json })),
);

describe('token response (fuzz)', () => {
  it(
    'gives a usable TokenSet or ERR_PROTOCOL, and a refusal never quotes the tokens held before',
    () => {
      const done = heapGuard();
      fc.assert(
        fc.property(caseArb, ({ previous, json }) => {
          let parsed;
          try {
            parsed = timed(100, 'parseTokenResponse', () => parseTokenResponse(json, { flow: 'authorization-code', now: NOW, previous }));
          } catch (err) {
            expectCoded(err, ['ERR_PROTOCOL']);
            if (previous !== undefined) expectNoSecret(err, [previous.accessToken, previous.refreshToken ?? '']);
            return;
          }
          const { tokens, idToken } = parsed;
          expect(tokens.accessToken).toBe(json.access_token);
          expect(tokens.accessToken.length).toBeGreaterThan(0);
          expect(tokens.tokenType).toBe('Bearer');
          expect(tokens.expiresAt - NOW).toBeGreaterThanOrEqual(30_000);
          expect(tokens.expiresAt - NOW).toBeLessThanOrEqual(MAX_EXPIRES_IN_S * 1000);
          expect(tokens.flow).toBe(previous?.flow ?? 'authorization-code');
          const sent = json.refresh_token;
          // A refresh token sent (non-empty) replaces the held one; anything else keeps it.
          expect(tokens.refreshToken).toBe(typeof sent === 'string' && sent !== '' ? sent : previous?.refreshToken);
          expect(idToken === undefined || typeof idToken === 'string').toBe(true);
          expect(tokens.account).toBe(previous?.account);
        }),
        fuzzParameters(0x70e4),
      );
      done();
    },
    fuzzTimeout(1),
  );

  // Regression (fuzz report, issue 8): `refresh_token: ""` was taken as "sent" and then dropped for
  // being empty, so the refresh token held before was lost too; the next refresh failed with
  // ERR_NO_REFRESH_TOKEN (definite) and the page went Invalid.
  it('keeps the held refresh token when a refresh answer has an empty refresh_token', () => {
    fc.assert(
      fc.property(
        previousArb.filter((p) => p !== undefined),
        (previous) => {
          const { tokens } = parseTokenResponse({ access_token: 'at', refresh_token: '' }, { flow: 'device-code', now: NOW, previous });
          expect(tokens.refreshToken).toBe(previous?.refreshToken);
        },
      ),
      fuzzParameters(0x70e6, 20),
    );
  });

  // Regression (fuzz report, issue 8): any finite number was accepted, so `expires_in: 1e308` gave
  // `expiresAt: Infinity`. JSON turns that into `null` in the store, and after a restart
  // parseScopeRecord refused the record (ERR_STORE_CORRUPT): a hostile or buggy issuer bricked the
  // scope. expires_in is now capped at MAX_EXPIRES_IN_S.
  it('never produces an expiry that is not a finite time', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e290, max: Number.MAX_VALUE, noNaN: true }), (seconds) => {
        try {
          const { tokens } = parseTokenResponse({ access_token: 'at', expires_in: seconds }, { flow: 'device-code', now: NOW });
          expect(Number.isFinite(tokens.expiresAt)).toBe(true);
        } catch (err) {
          expectCoded(err, ['ERR_PROTOCOL']);
        }
      }),
      fuzzParameters(0x70e5),
    );
  });
});

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/problem+json',
    'text/html',
    'text/plain',
    '',
    ' application/json',
    'application/jsonx',
    'application/x-www-form-urlencoded',
  ),
  hostileText,
);

const errorBody = fc.oneof(
  hostileText,
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''),
  fc
    .record(
      {
        error: fc.oneof(
          scalar,
          fc.constantFrom(
            'invalid_grant',
            'access_denied',
            'authorization_declined',
            'expired_token',
            'invalid_client',
            'temporarily_unavailable',
            'slow_down',
            'authorization_pending',
            'server_error',
            '__proto__',
            'constructor',
            'toString',
          ),
        ),
        error_description: fc.oneof(scalar, fc.string({ maxLength: 2000 })),
        error_uri: scalar,
        error_codes: fc.oneof(scalar, fc.array(fc.oneof(fc.integer(), fc.string(), fc.double()), { maxLength: 4 })),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);

const DEFINITE = new Set([
  'invalid_grant',
  'access_denied',
  'authorization_declined',
  'expired_token',
  'interaction_required',
  'consent_required',
  'login_required',
  'account_selection_required',
  'invalid_token',
]);

describe('OAuth error responses (fuzz)', () => {
  it(
    'every non-2xx answer becomes a coded error; only an RFC 6749 error value that says so is definite; Retry-After only on transient ones',
    () => {
      const done = heapGuard();
      fc.assert(
        fc.property(
          fc.integer({ min: 100, max: 599 }),
          contentType,
          errorBody,
          fc.option(fc.nat({ max: 86_400_000 }), { nil: undefined }),
          (status, type, text, retryAfterMs) => {
            const res: HttpResponse = { status, headers: { 'content-type': type }, text, retryAfterMs };
            const err = timed(100, 'errorFromResponse', () => errorFromResponse(res, 'token endpoint'));
            expectCoded(err, ['ERR_OAUTH', 'ERR_AUTHORIZATION_DENIED', 'ERR_AUTHORIZATION_EXPIRED', 'ERR_HTTP', 'ERR_PROTOCOL']);
            let body: unknown;
            try {
              body = JSON.parse(text);
            } catch {
              body = undefined;
            }
            const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
            if (err.kind === 'definite') expect(DEFINITE.has(String(error))).toBe(true);
            if (err.retryAfterMs !== undefined) expect(err.kind).toBe('transient');
            expect(() => JSON.stringify(err)).not.toThrow();
          },
        ),
        fuzzParameters(0xe4404),
      );
      done();
    },
    fuzzTimeout(1),
  );

  // Regression (fuzz report, issue 8): the server's `error` value went into the message and
  // `params` unbounded (only error_description was cut at 300), so an issuer could put up to the
  // 1 MiB body cap into every log line and into the Invalid reason kept in the store record.
  it('keeps the message of an OAuth error short, whatever the issuer sends', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 2000, maxLength: 5000 }), (error) => {
        const res: HttpResponse = {
          status: 400,
          headers: { 'content-type': 'application/json' },
          text: JSON.stringify({ error }),
          retryAfterMs: undefined,
        };
        const err = errorFromResponse(res, 'token endpoint');
        expect(err.message.length).toBeLessThanOrEqual(1000);
        expect(JSON.stringify(err.toJSON()).length).toBeLessThanOrEqual(2000);
      }),
      fuzzParameters(0xe4405, 50),
    );
  });
});
