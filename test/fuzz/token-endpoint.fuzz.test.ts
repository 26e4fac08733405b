/**
 * Endpoint-level fuzzing of every grant that reads a token-style endpoint's answer (refresh,
 * device authorization start and poll, code exchange, client credentials), against an answerer
 * that echoes what it was sent — body, decoded values, `Authorization` header — inside error
 * fields, success fields and broken JSON. Here the library knows what it sent, so the secret
 * assertion applies: no refresh token, device code, code, verifier or client secret in any error.
 *
 * The answerer is an undici MockAgent dispatcher on a loopback origin: 100 000 cases through a
 * real socket would take minutes on this machine, and the property is about parsing, not HTTP.
 */
import fc from 'fast-check';
import { MockAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeAuthorizationCode } from '../../src/oauth/authorization-code.js';
import type { ClientAuth } from '../../src/oauth/client-auth.js';
import { clientCredentialsGrant } from '../../src/oauth/client-credentials.js';
import { MAX_DEVICE_EXPIRES_MS, MAX_DEVICE_INTERVAL_MS, pollDeviceToken, startDeviceAuthorization } from '../../src/oauth/device-code.js';
import { refreshTokenGrant } from '../../src/oauth/refresh.js';
import type { DeviceCodePending, RedirectPending, TokenSet } from '../../src/oauth/types.js';
import { fixedClock, grantContext } from '../oauth/context.js';
import { expectCoded, expectNoSecret, fuzzParameters, fuzzTimeout, heapGuard, hostileText, secretArb, withDeadline } from './helpers.js';

const ORIGIN = 'http://127.0.0.1:9';
const URL_ = `${ORIGIN}/token`;
const NOW = 1_760_000_000_000;

/** What the answerer does with the request it received. */
interface Answer {
  status: number;
  type: string;
  body: (sent: { body: string; authorization: string; values: string[] }) => string;
}

let answer: Answer = { status: 500, type: 'text/plain', body: () => '' };
let agent: MockAgent;

beforeAll(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  agent
    .get(ORIGIN)
    .intercept({ path: () => true, method: () => true })
    .reply((opts) => {
      const body = typeof opts.body === 'string' ? opts.body : '';
      const headers = (opts.headers ?? {}) as Record<string, string>;
      const authorization = headers.authorization ?? headers.Authorization ?? '';
      const values = [...new URLSearchParams(body).values()];
      return {
        statusCode: answer.status,
        data: answer.body({ body, authorization, values }),
        responseOptions: { headers: { 'content-type': answer.type } },
      };
    })
    .persist();
});
afterAll(async () => {
  await agent.close();
});

/** Secrets with characters that change under URL and JSON encoding. */
const sentSecret = fc.tuple(secretArb, fc.constantFrom('', '+/=', '%20&x=1', ' é"\\', ':colon')).map(([s, tail]) => s + tail);

const echo = fc.constantFrom<Answer['body']>(
  (s) => s.body,
  (s) => s.authorization,
  (s) => s.values.join(' '),
  (s) => JSON.stringify({ error: 'invalid_grant', error_description: `bad request: ${s.body}` }),
  (s) =>
    JSON.stringify({
      error: 'invalid_client',
      error_description: `Authorization: ${s.authorization}`,
      error_uri: `https://err.example/?${s.body}`,
    }),
  (s) => JSON.stringify({ error: s.values.join('|') }),
  (s) => JSON.stringify({ error: 'server_error', error_description: s.values.join('\n'), error_codes: [70008] }),
  (s) => JSON.stringify({ error: 'authorization_pending', error_description: s.body }),
  (s) =>
    JSON.stringify({ access_token: s.values.join(''), token_type: s.values.at(-1) ?? 'x', expires_in: s.values[0] ?? '1', scope: s.body }),
  (s) => JSON.stringify({ access_token: 'at', token_type: s.values[1] ?? '', refresh_token: 5 }),
  (s) => JSON.stringify({ access_token: 'at', expires_in: 1, refresh_token: s.values[1] ?? '' }),
  (s) => JSON.stringify({ device_code: s.values[0], user_code: s.body, verification_uri: s.authorization, interval: 'x' }),
  (s) => `{"error":"invalid_grant","error_description":"${s.body}`,
  (s) => `${s.values[1] ?? ''}}{`,
  (s) => `<html><body>Request rejected: ${s.body} ${s.authorization}</body></html>`,
  (s) => s.body.repeat(3).split('').reverse().join(''),
);

const answerArb: fc.Arbitrary<Answer> = fc.record({
  status: fc.oneof(fc.constantFrom(200, 201, 204, 400, 401, 403, 404, 405, 429, 500, 502, 503), fc.integer({ min: 200, max: 599 })),
  type: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/html', 'text/plain', 'application/problem+json'),
  body: fc.oneof({ weight: 4, arbitrary: echo }, { weight: 1, arbitrary: hostileText.map((t) => () => t) }),
});

type Grant = 'refresh' | 'device-start' | 'device-poll' | 'code' | 'client-credentials';

const clientArb = fc
  .tuple(fc.constantFrom('none', 'client_secret_post', 'client_secret_basic'), sentSecret)
  .map(([method, clientSecret]): ClientAuth =>
    method === 'none' ? { method, clientId: 'public-client-id' } : { method, clientId: 'client-id', clientSecret },
  );

const ALLOWED = [
  'ERR_OAUTH',
  'ERR_AUTHORIZATION_DENIED',
  'ERR_AUTHORIZATION_EXPIRED',
  'ERR_AUTHORIZATION_FAILED',
  'ERR_HTTP',
  'ERR_PROTOCOL',
  'ERR_INVALID_OPTION',
] as const;

async function run(grant: Grant, client: ClientAuth, secret: string, verifier: string): Promise<unknown> {
  const context = grantContext({ dispatcher: agent, clock: fixedClock(NOW) });
  switch (grant) {
    case 'refresh': {
      const tokens: TokenSet = {
        accessToken: 'old-access',
        refreshToken: secret,
        tokenType: 'Bearer',
        expiresAt: NOW,
        flow: 'device-code',
      };
      return refreshTokenGrant(URL_, client, tokens, context, { scope: 'openid offline_access' });
    }
    case 'device-start':
      return startDeviceAuthorization(URL_, client, 'openid offline_access', context);
    case 'device-poll': {
      const pending: DeviceCodePending = {
        flow: 'device-code',
        deviceCode: secret,
        userCode: 'ABCD-EFGH',
        verificationUri: 'https://x.example',
        expiresAt: NOW + 1e6,
        intervalMs: 5000,
      };
      return pollDeviceToken(URL_, client, pending, context);
    }
    case 'code': {
      const pending: RedirectPending = {
        flow: 'authorization-code',
        url: 'https://x.example',
        redirectUri: 'http://127.0.0.1:8765/cb',
        state: 'st',
        codeVerifier: verifier,
        nonce: 'n',
        expiresAt: NOW + 1e6,
      };
      return exchangeAuthorizationCode(URL_, client, pending, secret, context);
    }
    case 'client-credentials':
      return clientCredentialsGrant(URL_, client, 'https://outlook.office365.com/.default', context);
  }
}

describe('token endpoints with an echoing answerer (fuzz)', () => {
  it(
    'every answer settles in time as a result or a coded error that holds none of the values sent',
    async () => {
      const done = heapGuard();
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom<Grant>('refresh', 'device-start', 'device-poll', 'code', 'client-credentials'),
          clientArb,
          sentSecret,
          sentSecret,
          answerArb,
          async (grant, client, secret, verifier, reply) => {
            answer = reply;
            const secrets = [secret, verifier, ...('clientSecret' in client ? [client.clientSecret] : [])];
            try {
              await withDeadline(5_000, grant, () => run(grant, client, secret, verifier));
            } catch (err) {
              expectCoded(err, [...ALLOWED]);
              expectNoSecret(err, secrets);
              if (client.method === 'client_secret_basic') {
                const basic = Buffer.from(`client-id:${encodeURIComponent(client.clientSecret)}`).toString('base64');
                expectNoSecret(err, [basic]);
              }
            }
          },
        ),
        fuzzParameters(0x7e4d),
      );
      done();
    },
    fuzzTimeout(4),
  );

  it(
    'a device authorization answer gives a prompt with sane timing or a coded error',
    async () => {
      const done = heapGuard();
      const timing = fc.oneof(
        fc.constant(undefined),
        fc.integer({ min: -5, max: 100_000 }),
        fc.double({ noNaN: true }),
        fc.constantFrom('5', '0', '', '1e3', '0.001'),
        fc.double({ min: 0.0001, max: 0.9, noNaN: true }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.record(
            {
              device_code: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
              user_code: fc.oneof(fc.string(), fc.integer()),
              verification_uri: fc.oneof(
                fc.webUrl(),
                fc.string(),
                fc.constantFrom('javascript:alert(1)', 'https://ok.example/device', 'http://'),
              ),
              verification_url: fc.oneof(fc.webUrl(), fc.string()),
              verification_uri_complete: fc.oneof(fc.webUrl(), fc.string(), fc.constant('data:text/html,x')),
              expires_in: timing,
              interval: timing,
            },
            { requiredKeys: [] },
          ),
          async (json) => {
            answer = { status: 200, type: 'application/json', body: () => JSON.stringify(json) };
            let pending: DeviceCodePending;
            try {
              pending = await withDeadline(5_000, 'device start', () =>
                startDeviceAuthorization(
                  URL_,
                  { method: 'none', clientId: 'c' },
                  'openid',
                  grantContext({ dispatcher: agent, clock: fixedClock(NOW) }),
                ),
              );
            } catch (err) {
              expectCoded(err, ['ERR_PROTOCOL']);
              return;
            }
            expect(pending.deviceCode.length).toBeGreaterThan(0);
            expect(pending.userCode.length).toBeGreaterThan(0);
            expect(pending.verificationUri).toMatch(/^https?:\/\//);
            if (pending.verificationUriComplete !== undefined) expect(pending.verificationUriComplete).toMatch(/^https?:\/\//);
            expect(pending.intervalMs).toBeGreaterThanOrEqual(1_000);
            expect(pending.intervalMs).toBeLessThanOrEqual(MAX_DEVICE_INTERVAL_MS);
            expect(pending.expiresAt).toBeGreaterThanOrEqual(NOW);
            expect(pending.expiresAt - NOW).toBeLessThanOrEqual(MAX_DEVICE_EXPIRES_MS);
          },
        ),
        fuzzParameters(0xdc0de),
      );
      done();
    },
    fuzzTimeout(4),
  );

  // Regression (fuzz report, issue 8): any finite number was accepted, so `interval: 1e308` or
  // `expires_in: 1e308` gave `Infinity` ms — a poll timer clamped to ~24.8 days and a device code
  // that never expired locally (and `null` once the record is JSON). Both now have a ceiling.
  it('keeps the device authorization timing finite, whatever the issuer sends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('interval', 'expires_in'),
        fc.double({ min: 1e290, max: Number.MAX_VALUE, noNaN: true }),
        async (field, seconds) => {
          answer = {
            status: 200,
            type: 'application/json',
            body: () => JSON.stringify({ device_code: 'dc', user_code: 'uc', verification_uri: 'https://x.example/d', [field]: seconds }),
          };
          const pending = await startDeviceAuthorization(
            URL_,
            { method: 'none', clientId: 'c' },
            'openid',
            grantContext({ dispatcher: agent, clock: fixedClock(NOW) }),
          );
          expect(Number.isFinite(pending.intervalMs) && Number.isFinite(pending.expiresAt)).toBe(true);
        },
      ),
      fuzzParameters(0xdc0df, 20),
    );
  });
});
