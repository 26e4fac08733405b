import { createPublicKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/errors.js';
import type { DeviceCodePending, RedirectPending, TokenSet } from '../../src/oauth/types.js';
import { startLoopbackListener } from '../../src/oauth/loopback.js';
import { oidc } from '../../src/providers/oidc.js';
import type { AuthorizationRequest, ProviderAdapter } from '../../src/providers/types.js';
import { grantContext } from '../oauth/context.js';
import { CLIENTS, CONFIDENTIAL_SECRET, MAIL_RESOURCE, startOidcServer } from '../peers/oidc-server.js';
import type { OidcServer } from '../peers/oidc-server.js';
import { completeAuthorizationCodeFlow, completeDeviceFlow } from '../peers/oidc-user.js';
import { rejection } from '../helpers/rejection.js';
import { selfSignedCertificate } from '../helpers/self-signed.js';

const ACCOUNT = 'scanner@example.test';
const OTHER = 'admin@example.test';
const REDIRECT = 'http://127.0.0.1:48123/callback';
const scopes = { smtp: 'mail', pop3: 'mail', imap: 'mail' };
// The peer issues 2-second tokens to exercise expiry; a real device refuses anything under 30 s.
const http = { minTokenLifetimeMs: 1_000 };

let server: OidcServer;
let adapter: ProviderAdapter;
let certificate: { privateKey: string; certificate: string };

function deviceRequest(account = ACCOUNT): AuthorizationRequest {
  return { protocol: 'smtp', account, flow: 'device-code' };
}
function redirectRequest(account = ACCOUNT): AuthorizationRequest {
  return { protocol: 'imap', account, flow: 'authorization-code', redirectUri: REDIRECT };
}

async function startDevice(account = ACCOUNT): Promise<DeviceCodePending> {
  const start = await adapter.startAuthorization(deviceRequest(account), grantContext());
  if (start.kind !== 'pending' || start.pending.flow !== 'device-code') throw new Error('no device pending');
  return start.pending;
}

async function startRedirect(account = ACCOUNT): Promise<RedirectPending> {
  const start = await adapter.startAuthorization(redirectRequest(account), grantContext());
  if (start.kind !== 'pending' || start.pending.flow !== 'authorization-code') throw new Error('no redirect pending');
  return start.pending;
}

async function deviceTokens(signIn = ACCOUNT, account = ACCOUNT): Promise<TokenSet> {
  const pending = await startDevice(account);
  await completeDeviceFlow(server.issuer, pending.userCode, signIn);
  const result = await adapter.pollDeviceAuthorization(pending, deviceRequest(account), grantContext());
  if (result.kind !== 'tokens') throw new Error(`poll gave ${result.kind}`);
  return result.tokens;
}

beforeAll(async () => {
  certificate = selfSignedCertificate('mail-oauth-test');
  const publicJwk = { ...(await exportJWK(createPublicKey(certificate.privateKey))), alg: 'PS256', use: 'sig' };
  server = await startOidcServer({ accessTokenTtl: 2, assertionClientJwks: [publicJwk] });
  adapter = oidc({ id: 'test', issuer: server.issuer, clientId: CLIENTS.public, scopes, http });
});

afterAll(async () => {
  await server.close();
});

describe('oidc adapter against oidc-provider: device flow', () => {
  it('is pending until the user finishes, then yields JWT access tokens for the signed-in account, and is polled no more', async () => {
    const pending = await startDevice();
    expect(pending.verificationUri).toBe(`${server.issuer}/device`);
    expect(pending.verificationUriComplete).toContain(pending.userCode.slice(0, 2));
    expect(pending.intervalMs).toBe(5_000); // oidc-provider sends no interval: RFC 8628's 5 s
    expect(await adapter.pollDeviceAuthorization(pending, deviceRequest(), grantContext())).toEqual({ kind: 'pending' });

    await completeDeviceFlow(server.issuer, pending.userCode, ACCOUNT);
    const before = server.tokenRequests.get('urn:ietf:params:oauth:grant-type:device_code') ?? 0;
    const result = await adapter.pollDeviceAuthorization(pending, deviceRequest(), grantContext());
    expect(result.kind).toBe('tokens');
    if (result.kind !== 'tokens') return;
    expect(server.tokenRequests.get('urn:ietf:params:oauth:grant-type:device_code')).toBe(before + 1);
    const { tokens } = result;
    expect(tokens.flow).toBe('device-code');
    expect(tokens.account).toBe(ACCOUNT);
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(tokens.expiresAt - Date.now()).toBeLessThanOrEqual(2_000);
    expect(decodeProtectedHeader(tokens.accessToken)).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: server.kid });
    expect(decodeJwt(tokens.accessToken)).toMatchObject({ aud: MAIL_RESOURCE, email: ACCOUNT, iss: server.issuer, scope: 'mail' });
  });

  it('denial at the provider ends in ERR_AUTHORIZATION_DENIED (definite), access_denied kept', async () => {
    const pending = await startDevice();
    await completeDeviceFlow(server.issuer, pending.userCode, ACCOUNT, 'deny');
    const err = await rejection(adapter.pollDeviceAuthorization(pending, deviceRequest(), grantContext()));
    expect(err).toBeInstanceOf(OAuthError);
    expect(err.code).toBe('ERR_AUTHORIZATION_DENIED');
    expect(err.kind).toBe('definite');
    expect((err as OAuthError).error).toBe('access_denied');
  });

  it('refuses a different signed-in account with ERR_ACCOUNT_MISMATCH naming both, returning no tokens', async () => {
    const err = await rejection(deviceTokens(OTHER, ACCOUNT));
    expect(err.code).toBe('ERR_ACCOUNT_MISMATCH');
    expect(err.kind).toBe('definite');
    expect(err.params).toEqual({ expected: ACCOUNT, actual: OTHER });
    expect(err.message).toContain(ACCOUNT);
    expect(err.message).toContain(OTHER);
  });

  it('accepts the same account in another case', async () => {
    const tokens = await deviceTokens(ACCOUNT, 'Scanner@Example.TEST');
    expect(tokens.account).toBe(ACCOUNT);
  });
});

describe('oidc adapter against oidc-provider: authorization code + PKCE', () => {
  it('builds an S256 URL with state, nonce, prompt=consent and offline_access, and completes once', async () => {
    const pending = await startRedirect();
    const url = new URL(pending.url);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBe(pending.state);
    expect(url.searchParams.get('nonce')).toBe(pending.nonce);
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(['openid', 'email', 'offline_access', 'mail']);
    expect(url.searchParams.get('login_hint')).toBe(ACCOUNT);

    const callback = await completeAuthorizationCodeFlow(pending.url, ACCOUNT, REDIRECT);
    const tokens = await adapter.completeAuthorization(pending, callback, redirectRequest(), grantContext());
    expect(tokens.flow).toBe('authorization-code');
    expect(tokens.account).toBe(ACCOUNT);
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(decodeJwt(tokens.accessToken)).toMatchObject({ aud: MAIL_RESOURCE, email: ACCOUNT });

    const again = await rejection(adapter.completeAuthorization(pending, callback, redirectRequest(), grantContext()));
    expect(again.code).toBe('ERR_AUTHORIZATION_NOT_PENDING');
  });

  it('completes through the built-in loopback listener on 127.0.0.1 with a system-chosen port', async () => {
    const listener = await startLoopbackListener();
    try {
      expect(listener.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      const request: AuthorizationRequest = { ...redirectRequest(), redirectUri: listener.redirectUri };
      const start = await adapter.startAuthorization(request, grantContext());
      if (start.kind !== 'pending' || start.pending.flow !== 'authorization-code') throw new Error('no pending');
      const location = await completeAuthorizationCodeFlow(start.pending.url, ACCOUNT, listener.redirectUri);
      const browser = await fetch(location); // the browser follows the redirect to the device
      expect(browser.status).toBe(200);
      const tokens = await adapter.completeAuthorization(start.pending, await listener.callback, request, grantContext());
      expect(tokens.account).toBe(ACCOUNT);
    } finally {
      await listener.close();
    }
  });

  it('a cancelled loopback wait rejects with ERR_ABORTED', async () => {
    const controller = new AbortController();
    const listener = await startLoopbackListener({ signal: controller.signal });
    controller.abort();
    expect(await rejection(listener.callback)).toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('refuses a redirect with another state, and still completes with the right one', async () => {
    const pending = await startRedirect();
    const callback = await completeAuthorizationCodeFlow(pending.url, ACCOUNT, REDIRECT);
    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged');
    const err = await rejection(adapter.completeAuthorization(pending, forged.toString(), redirectRequest(), grantContext()));
    expect(err.code).toBe('ERR_STATE_MISMATCH');
    const tokens = await adapter.completeAuthorization(pending, callback, redirectRequest(), grantContext());
    expect(tokens.account).toBe(ACCOUNT);
  });

  it('reports the provider error in the redirect (user aborted) as ERR_AUTHORIZATION_DENIED', async () => {
    const pending = await startRedirect();
    const callback = await completeAuthorizationCodeFlow(pending.url, ACCOUNT, REDIRECT, 'deny');
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    const err = await rejection(adapter.completeAuthorization(pending, callback, redirectRequest(), grantContext()));
    expect(err.code).toBe('ERR_AUTHORIZATION_DENIED');
    expect((err as OAuthError).error).toBe('access_denied');
  });

  it('refuses a redirect without a code', async () => {
    const pending = await startRedirect();
    // The issuer advertises RFC 9207, so a well-formed redirect carries its `iss`.
    const url = `${REDIRECT}?state=${pending.state}&iss=${encodeURIComponent(server.issuer)}`;
    const err = await rejection(adapter.completeAuthorization(pending, url, redirectRequest(), grantContext()));
    expect(err.code).toBe('ERR_PROTOCOL');
  });

  it('refuses a different signed-in account', async () => {
    const pending = await startRedirect();
    const callback = await completeAuthorizationCodeFlow(pending.url, OTHER, REDIRECT);
    const err = await rejection(adapter.completeAuthorization(pending, callback, redirectRequest(), grantContext()));
    expect(err.code).toBe('ERR_ACCOUNT_MISMATCH');
    expect(err.params).toEqual({ expected: ACCOUNT, actual: OTHER });
  });
});

describe('oidc adapter against oidc-provider: refresh, revocation, disabled accounts', () => {
  it('rotates refresh tokens; a rotated-out one is a definite invalid_grant', async () => {
    const first = await deviceTokens();
    const second = await adapter.refresh(first, deviceRequest(), grantContext());
    expect(second.refreshToken).toEqual(expect.any(String));
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.account).toBe(ACCOUNT);
    const third = await adapter.refresh(second, deviceRequest(), grantContext());
    expect(third.refreshToken).not.toBe(second.refreshToken);

    const err = await rejection(adapter.refresh(first, deviceRequest(), grantContext()));
    expect(err).toBeInstanceOf(OAuthError);
    expect(err.code).toBe('ERR_OAUTH');
    expect(err.kind).toBe('definite');
    expect((err as OAuthError).error).toBe('invalid_grant');
  });

  it('revocation kills the grant: the next refresh is a definite invalid_grant', async () => {
    const tokens = await deviceTokens();
    await adapter.revoke?.(tokens, grantContext());
    const err = await rejection(adapter.refresh(tokens, deviceRequest(), grantContext()));
    expect(err.kind).toBe('definite');
    expect((err as OAuthError).error).toBe('invalid_grant');
  });

  it('a disabled account cannot refresh: definite invalid_grant; re-enabled accounts can sign in again', async () => {
    const tokens = await deviceTokens();
    server.disableAccount(ACCOUNT);
    try {
      const err = await rejection(adapter.refresh(tokens, deviceRequest(), grantContext()));
      expect(err.kind).toBe('definite');
      expect((err as OAuthError).error).toBe('invalid_grant');
    } finally {
      server.enableAccount(ACCOUNT);
    }
    expect((await deviceTokens()).account).toBe(ACCOUNT);
  });
});

describe('oidc adapter against oidc-provider: client credentials', () => {
  it('with a client secret (client_secret_basic): app-only JWT, renewed by running the grant again', async () => {
    const app = oidc({ id: 'app', issuer: server.issuer, clientId: CLIENTS.confidential, clientSecret: CONFIDENTIAL_SECRET, scopes, http });
    expect(app.flows).toContain('client-credentials');
    const request: AuthorizationRequest = { protocol: 'pop3', account: ACCOUNT, flow: 'client-credentials' };
    const start = await app.startAuthorization(request, grantContext());
    expect(start.kind).toBe('tokens');
    if (start.kind !== 'tokens') return;
    expect(start.tokens).toMatchObject({ flow: 'client-credentials', account: ACCOUNT });
    expect(start.tokens.refreshToken).toBeUndefined();
    expect(decodeJwt(start.tokens.accessToken)).toMatchObject({ aud: MAIL_RESOURCE, client_id: CLIENTS.confidential });
    const renewed = await app.refresh(start.tokens, request, grantContext());
    expect(renewed.accessToken).not.toBe(start.tokens.accessToken);
  });

  it('with a wrong secret: configuration error invalid_client', async () => {
    const app = oidc({ id: 'app', issuer: server.issuer, clientId: CLIENTS.confidential, clientSecret: 'wrong', scopes });
    const err = await rejection(app.startAuthorization({ protocol: 'smtp', account: ACCOUNT, flow: 'client-credentials' }, grantContext()));
    expect(err.kind).toBe('configuration');
    expect((err as OAuthError).error).toBe('invalid_client');
  });

  it('with a certificate (private_key_jwt client assertion)', async () => {
    const app = oidc({ id: 'cert', issuer: server.issuer, clientId: CLIENTS.assertion, certificate, scopes, http });
    const start = await app.startAuthorization({ protocol: 'smtp', account: ACCOUNT, flow: 'client-credentials' }, grantContext());
    expect(start.kind).toBe('tokens');
    if (start.kind === 'tokens') expect(decodeJwt(start.tokens.accessToken)).toMatchObject({ client_id: CLIENTS.assertion });
  });

  it('a public client refuses client credentials before any request', async () => {
    const err = await rejection(
      adapter.startAuthorization({ protocol: 'smtp', account: ACCOUNT, flow: 'client-credentials' }, grantContext()),
    );
    expect(err.code).toBe('ERR_FLOW_UNSUPPORTED');
    expect(err.kind).toBe('configuration');
  });
});

describe('oidc adapter: discovery', () => {
  it('an issuer that publishes no metadata is a configuration error; a mismatched issuer a protocol error', async () => {
    const missing = oidc({ id: 'x', issuer: `${server.issuer}/nowhere`, clientId: CLIENTS.public, scopes });
    const err = await rejection(missing.startAuthorization(deviceRequest(), grantContext()));
    expect(err.code).toBe('ERR_HTTP');
    expect(err.kind).toBe('configuration');

    const other = oidc({ id: 'y', issuer: server.issuer.replace('127.0.0.1', 'localhost'), clientId: CLIENTS.public, scopes });
    const mismatch = await rejection(other.startAuthorization(deviceRequest(), grantContext()));
    expect(mismatch.code).toBe('ERR_PROTOCOL');
    expect(mismatch.kind).toBe('protocol');
  });
});
