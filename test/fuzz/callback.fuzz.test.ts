/**
 * Fuzzing of the redirect the browser arrives at (`src/oauth/authorization-code.ts`): garbage,
 * near-miss addresses, wrong/missing/repeated `state`, `code`, `iss` (RFC 9207) and `error`
 * parameters. A callback is accepted exactly when every check passes; a forged one (another
 * state or issuer) is always `ERR_STATE_MISMATCH`, which leaves the sign-in waiting.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readAuthorizationCallback } from '../../src/oauth/authorization-code.js';
import type { RedirectPending } from '../../src/oauth/types.js';
import { expectCoded, expectNoSecret, fuzzParameters, fuzzTimeout, heapGuard, hostileText, timed } from './helpers.js';

const NOW = 1_760_000_000_000;
const ISSUER = 'https://login.example.com/tenant/v2.0';

const pendingArb = fc
  .record({
    redirectUri: fc.constantFrom(
      'http://127.0.0.1:8765/callback',
      'http://[::1]:9000/cb',
      'https://printer.example.com/oauth/callback',
      'http://localhost/',
    ),
    state: fc.string({ unit: fc.constantFrom(...'ABCDEFabcdef0123456789-_'), minLength: 16, maxLength: 43 }),
    codeVerifier: fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), minLength: 43, maxLength: 43 }),
  })
  .map(({ redirectUri, state, codeVerifier }): RedirectPending => ({
    flow: 'authorization-code',
    url: 'https://login.example.com/authorize',
    redirectUri,
    state,
    codeVerifier,
    nonce: `nonce-${codeVerifier.slice(0, 20)}`,
    expiresAt: NOW,
  }));

type Param = [string, string];

/** A query value as a hostile page might send it. */
const value = fc.oneof(hostileText, fc.string({ maxLength: 30 }));

function callbackArb(pending: RedirectPending): fc.Arbitrary<string> {
  const base = fc.constantFrom(
    pending.redirectUri,
    pending.redirectUri.replace('/callback', '/callback/'),
    pending.redirectUri.replace(/:\d+/, ':1'),
    pending.redirectUri.replace('http:', 'https:'),
    pending.redirectUri.toUpperCase(),
    `${pending.redirectUri}/../callback`,
    `  ${pending.redirectUri}\t`,
    'http://127.0.0.1.evil.example/callback',
    'http://evil.example/?r=http://127.0.0.1:8765/callback',
  );
  const state = fc.oneof(
    fc.constant<Param[]>([['state', pending.state]]),
    fc.constant<Param[]>([]),
    value.map((v): Param[] => [['state', v]]),
    fc.constant<Param[]>([['state', `${pending.state} `]]),
    fc.constant<Param[]>([['state', pending.state.toUpperCase()]]),
    value.map((v): Param[] => [
      ['state', v],
      ['state', pending.state],
    ]),
    value.map((v): Param[] => [
      ['state', pending.state],
      ['state', v],
    ]),
  );
  const code = fc.oneof(
    value.map((v): Param[] => [['code', v]]),
    fc.constant<Param[]>([]),
    fc.constant<Param[]>([['code', '']]),
    fc.tuple(value, value).map(([a, b]): Param[] => [
      ['code', a],
      ['code', b],
    ]),
  );
  const iss = fc.oneof(
    fc.constant<Param[]>([]),
    fc.constant<Param[]>([['iss', ISSUER]]),
    fc.constant<Param[]>([['iss', `${ISSUER}/`]]),
    fc.constant<Param[]>([['iss', 'https://attacker.example']]),
    value.map((v): Param[] => [['iss', v]]),
  );
  const error = fc.oneof(
    { weight: 3, arbitrary: fc.constant<Param[]>([]) },
    fc
      .tuple(
        fc.constantFrom('access_denied', 'consent_required', 'interaction_required', 'server_error', 'invalid_scope', ''),
        fc.option(value),
      )
      .map(([e, d]): Param[] =>
        d === null
          ? [['error', e]]
          : [
              ['error', e],
              ['error_description', d],
            ],
      ),
  );
  const extra = fc.array(fc.tuple(value, value), { maxLength: 3 });
  const structured = fc
    .tuple(base, state, code, iss, error, extra, fc.boolean(), fc.option(fc.string({ maxLength: 20 })))
    .map(([b, s, c, i, e, x, shuffle, fragment]) => {
      const params = [...s, ...c, ...i, ...e, ...x];
      if (shuffle) params.reverse();
      const query = new URLSearchParams(params).toString();
      return `${b}${b.includes('?') ? '&' : '?'}${query}${fragment === null ? '' : `#${encodeURIComponent(fragment)}`}`;
    });
  return fc.oneof(
    { weight: 5, arbitrary: structured },
    { weight: 1, arbitrary: hostileText },
    { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  );
}

const expectationArb = fc.oneof(fc.constant(undefined), fc.record({ issuer: fc.constant(ISSUER), required: fc.boolean() }));

/** Independent statement of when a callback must be accepted (RFC 6749 §4.1.2, RFC 9207 §2.4). */
function shouldAccept(
  pending: RedirectPending,
  raw: string,
  now: number,
  expected: { issuer: string; required: boolean } | undefined,
): boolean {
  if (now > pending.expiresAt) return false;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return false;
  }
  const redirect = new URL(pending.redirectUri);
  if (url.origin !== redirect.origin || url.pathname !== redirect.pathname) return false;
  const params = url.searchParams;
  if (params.get('state') !== pending.state) return false;
  const iss = params.get('iss');
  if (expected !== undefined && (iss === null ? expected.required : iss !== expected.issuer)) return false;
  if (params.get('error') !== null) return false;
  return (params.get('code') ?? '') !== '';
}

function stateMatches(pending: RedirectPending, raw: string): boolean {
  try {
    const url = new URL(raw.trim());
    const redirect = new URL(pending.redirectUri);
    return url.origin === redirect.origin && url.pathname === redirect.pathname && url.searchParams.get('state') === pending.state;
  } catch {
    return false;
  }
}

describe('authorization callback (fuzz)', () => {
  it(
    'accepts exactly the callbacks that pass every check; a forged one is ERR_STATE_MISMATCH; errors never show the PKCE verifier or nonce',
    () => {
      const done = heapGuard();
      fc.assert(
        fc.property(
          pendingArb.chain((pending) =>
            fc.tuple(fc.constant(pending), callbackArb(pending), fc.constantFrom(NOW - 1, NOW, NOW + 1), expectationArb),
          ),
          ([pending, raw, now, expected]) => {
            const accept = shouldAccept(pending, raw, now, expected);
            let code: string;
            try {
              code = timed(100, 'readAuthorizationCallback', () => readAuthorizationCallback(pending, raw, now, expected));
            } catch (err) {
              expectCoded(err, [
                'ERR_AUTHORIZATION_EXPIRED',
                'ERR_STATE_MISMATCH',
                'ERR_AUTHORIZATION_DENIED',
                'ERR_AUTHORIZATION_FAILED',
                'ERR_OAUTH',
                'ERR_PROTOCOL',
              ]);
              expect(accept, `refused ${raw}: ${err.message}`).toBe(false);
              // Only a callback of this very authorization may end it; anything else leaves it waiting.
              if (now <= pending.expiresAt && !stateMatches(pending, raw)) expect(err.code).toBe('ERR_STATE_MISMATCH');
              expectNoSecret(err, [pending.codeVerifier, pending.nonce]);
              return;
            }
            expect(accept, `accepted ${raw}`).toBe(true);
            expect(code).toBe(new URL(raw.trim()).searchParams.get('code'));
          },
        ),
        fuzzParameters(0xca11),
      );
      done();
    },
    fuzzTimeout(1),
  );
});
