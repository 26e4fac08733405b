/**
 * Sign-in verification with Microsoft's and Google's own answers (MockAgent): the `{tenantid}`
 * issuer in the redirect's `iss`, `email_verified`, and the `nbf` a device clock runs behind.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { MockAgent } from 'undici';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceCodePending, RedirectPending } from '../../src/oauth/types.js';
import { google } from '../../src/providers/google.js';
import { microsoft365 } from '../../src/providers/microsoft365.js';
import type { AuthorizationRequest, ProviderAdapter } from '../../src/providers/types.js';
import { fixedClock, grantContext } from '../oauth/context.js';
import { rejection } from '../helpers/rejection.js';

const LOGIN = 'https://login.microsoftonline.com';
const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const TID = '9a8b7c6d-0000-4000-8000-123456789abc';
const OTHER_TID = '0f0f0f0f-1111-4222-8333-444444444444';
const ACCOUNT = 'scanner@contoso.com';
const REDIRECT = 'http://127.0.0.1:8765/callback';
const JSON_HEADERS = { headers: { 'content-type': 'application/json; charset=utf-8' } };

let agent: MockAgent;
/** The nonce of the authorization in progress: the ID token a mocked token endpoint mints carries it. */
let currentNonce: string | undefined;
let signingKey: CryptoKey;
let jwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key', alg: 'RS256', use: 'sig' };
});
beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  currentNonce = undefined;
});
afterEach(async () => {
  await agent.close();
});

interface TokenOptions {
  issuer: string;
  audience?: string;
  claims?: Record<string, unknown>;
  issuedAt?: number;
  notBefore?: boolean;
}

function idToken(options: TokenOptions): Promise<string> {
  const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...(currentNonce === undefined ? {} : { nonce: currentNonce }), ...options.claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'key' })
    .setIssuer(options.issuer)
    .setAudience(options.audience ?? CLIENT_ID)
    .setSubject('user-object-id')
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600);
  return (options.notBefore === true ? jwt.setNotBefore(iat) : jwt).sign(signingKey);
}

function counter(): { count: number } {
  return { count: 0 };
}

/** Keys, and one token answer whose ID token is minted when the request arrives. */
function interceptMicrosoft(tenant: string, token: () => Promise<string>, calls = counter()): { count: number } {
  agent
    .get(LOGIN)
    .intercept({ path: `/${tenant}/discovery/v2.0/keys`, method: 'GET' })
    .reply(200, { keys: [jwk] }, JSON_HEADERS)
    .persist();
  agent
    .get(LOGIN)
    .intercept({ path: `/${tenant}/oauth2/v2.0/token`, method: 'POST' })
    .reply(
      200,
      async () => {
        calls.count++;
        return { access_token: 'at', token_type: 'Bearer', expires_in: 3599, refresh_token: 'rt', id_token: await token() };
      },
      JSON_HEADERS,
    );
  return calls;
}

const redirectRequest: AuthorizationRequest = { protocol: 'smtp', account: ACCOUNT, flow: 'authorization-code', redirectUri: REDIRECT };

async function start(adapter: ProviderAdapter): Promise<RedirectPending> {
  const started = await adapter.startAuthorization(redirectRequest, grantContext({ dispatcher: agent }));
  if (started.kind !== 'pending' || started.pending.flow !== 'authorization-code') throw new Error('no redirect pending');
  currentNonce = started.pending.nonce;
  return started.pending;
}

const callback = (pending: RedirectPending, iss: string): string =>
  `${REDIRECT}?code=the-code&state=${pending.state}&iss=${encodeURIComponent(iss)}`;

describe("microsoft365: the redirect's iss against the {tenantid} issuer", () => {
  it('organizations: an iss naming the tenant of the ID token completes', async () => {
    const adapter = microsoft365({ clientId: CLIENT_ID });
    interceptMicrosoft('organizations', () =>
      idToken({ issuer: `${LOGIN}/${TID}/v2.0`, claims: { tid: TID, preferred_username: ACCOUNT } }),
    );
    const pending = await start(adapter);
    const ok = await adapter.completeAuthorization(
      pending,
      callback(pending, `${LOGIN}/${TID}/v2.0`),
      redirectRequest,
      grantContext({ dispatcher: agent }),
    );
    expect(ok.account).toBe(ACCOUNT);
  });

  it('organizations: a redirect naming another tenant than the ID token is refused (ERR_ID_TOKEN), nothing returned', async () => {
    const adapter = microsoft365({ clientId: CLIENT_ID });
    const calls = interceptMicrosoft('organizations', () =>
      idToken({ issuer: `${LOGIN}/${TID}/v2.0`, claims: { tid: TID, preferred_username: ACCOUNT } }),
    );
    const pending = await start(adapter);
    const err = await rejection(
      adapter.completeAuthorization(
        pending,
        callback(pending, `${LOGIN}/${OTHER_TID}/v2.0`),
        redirectRequest,
        grantContext({ dispatcher: agent }),
      ),
    );
    expect(err).toMatchObject({ code: 'ERR_ID_TOKEN', kind: 'definite' });
    expect(err.message).toContain('RFC 9207');
    expect(calls.count).toBe(1);
  });

  it('an iss that is not Microsoft-shaped, or another tenant than the configured GUID, is refused before the code is exchanged', async () => {
    const calls = interceptMicrosoft(TID, () =>
      idToken({ issuer: `${LOGIN}/${TID}/v2.0`, claims: { tid: TID, preferred_username: ACCOUNT } }),
    );
    const adapter = microsoft365({ clientId: CLIENT_ID, tenant: TID });
    const pending = await start(adapter);
    for (const iss of ['https://login.evil.example/v2.0', `https://login.evil.example/${TID}/v2.0`, `${LOGIN}/${OTHER_TID}/v2.0`]) {
      const err = await rejection(
        adapter.completeAuthorization(pending, callback(pending, iss), redirectRequest, grantContext({ dispatcher: agent })),
      );
      expect(err, iss).toMatchObject({ code: 'ERR_STATE_MISMATCH', kind: 'usage' });
    }
    expect(calls.count).toBe(0);
    const ok = await adapter.completeAuthorization(
      pending,
      callback(pending, `${LOGIN}/${TID}/v2.0`),
      redirectRequest,
      grantContext({ dispatcher: agent }),
    );
    expect(ok.account).toBe(ACCOUNT);
    expect(calls.count).toBe(1);
  });
});

describe('microsoft365: account claims', () => {
  const pollRequest: AuthorizationRequest = { protocol: 'smtp', account: ACCOUNT, flow: 'device-code' };
  const pending: DeviceCodePending = {
    flow: 'device-code',
    deviceCode: 'device-code-secret',
    userCode: 'ABCD-EFGH',
    verificationUri: 'https://microsoft.com/devicelogin',
    expiresAt: Date.now() + 900_000,
    intervalMs: 5_000,
  };
  const poll = (claims: Record<string, unknown>, options: Partial<TokenOptions> = {}, now?: number) => {
    interceptMicrosoft('organizations', () => idToken({ issuer: `${LOGIN}/${TID}/v2.0`, claims: { tid: TID, ...claims }, ...options }));
    const context = grantContext({ dispatcher: agent, ...(now === undefined ? {} : { clock: fixedClock(now) }) });
    return microsoft365({ clientId: CLIENT_ID }).pollDeviceAuthorization(pending, pollRequest, context);
  };

  it('an unverified email equal to the account does not pass; preferred_username does', async () => {
    const err = await rejection(poll({ email: ACCOUNT, email_verified: false, preferred_username: 'admin@contoso.com' }));
    expect(err).toMatchObject({ code: 'ERR_ACCOUNT_MISMATCH', params: { expected: ACCOUNT, actual: 'admin@contoso.com' } });
    const ok = await poll({ email: 'someone@else.example', email_verified: false, preferred_username: ACCOUNT });
    expect(ok.kind === 'tokens' && ok.tokens.account).toBe(ACCOUNT);
  });

  it('a device clock a day behind meets the nbf Microsoft sends: the hint names the device clock', async () => {
    const issuedAt = Math.floor(Date.now() / 1000);
    const err = await rejection(poll({ preferred_username: ACCOUNT }, { issuedAt, notBefore: true }, issuedAt * 1000 - 86_400_000));
    expect(err.code).toBe('ERR_ID_TOKEN');
    expect(err.hint).toContain("Check the device's date and time");
    expect(err.hint).toContain(new Date(issuedAt * 1000).toISOString().slice(0, 19));
  });
});

describe('google: email_verified', () => {
  it('an ID token whose email is marked unverified is ERR_ACCOUNT_MISMATCH', async () => {
    const adapter = google({ clientId: 'client.apps.googleusercontent.com', clientSecret: 'not-a-secret' });
    agent
      .get('https://www.googleapis.com')
      .intercept({ path: '/oauth2/v3/certs', method: 'GET' })
      .reply(200, { keys: [jwk] }, JSON_HEADERS)
      .persist();
    const token = (verified: boolean) =>
      idToken({
        issuer: 'https://accounts.google.com',
        audience: 'client.apps.googleusercontent.com',
        claims: { email: ACCOUNT, email_verified: verified },
      });
    for (const verified of [false, true]) {
      const pending = await start(adapter);
      const body = { access_token: 'at', token_type: 'Bearer', expires_in: 3599, id_token: await token(verified) };
      agent.get('https://oauth2.googleapis.com').intercept({ path: '/token', method: 'POST' }).reply(200, body, JSON_HEADERS);
      const outcome = adapter.completeAuthorization(
        pending,
        callback(pending, 'https://accounts.google.com'),
        redirectRequest,
        grantContext({ dispatcher: agent }),
      );
      if (verified) expect((await outcome).account).toBe(ACCOUNT);
      else expect(await rejection(outcome)).toMatchObject({ code: 'ERR_ACCOUNT_MISMATCH', kind: 'definite' });
    }
  });
});
