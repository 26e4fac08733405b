/**
 * Sign-in verification against the real oidc-provider peer: RFC 9207 `iss` in the redirect,
 * `email_verified`, a device clock that is off, and the redirect URI checked at Get Token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailOAuth, memoryStore } from '../../src/index.js';
import type { RedirectPending } from '../../src/oauth/types.js';
import { oidc } from '../../src/providers/oidc.js';
import type { AuthorizationRequest, GrantContext, ProviderAdapter } from '../../src/providers/types.js';
import { fixedClock, grantContext } from '../oauth/context.js';
import { CLIENTS, startOidcServer } from '../peers/oidc-server.js';
import type { OidcServer } from '../peers/oidc-server.js';
import { completeAuthorizationCodeFlow, completeDeviceFlow } from '../peers/oidc-user.js';
import { rejection } from '../helpers/rejection.js';

const ACCOUNT = 'scanner@example.test';
const UNVERIFIED = 'unverified@example.test';
const REDIRECT = 'http://127.0.0.1/callback';
const scopes = { smtp: 'mail', pop3: 'mail', imap: 'mail' };

let server: OidcServer;
let adapter: ProviderAdapter;

beforeAll(async () => {
  server = await startOidcServer({ redirectUris: [REDIRECT], accounts: [ACCOUNT, UNVERIFIED], unverifiedAccounts: [UNVERIFIED] });
  adapter = oidc({ id: 'corp', issuer: server.issuer, clientId: CLIENTS.public, scopes });
});
afterAll(async () => {
  await server?.close();
});

const request = (account = ACCOUNT): AuthorizationRequest => ({
  protocol: 'smtp',
  account,
  flow: 'authorization-code',
  redirectUri: REDIRECT,
});

async function signIn(account: string, context: GrantContext = grantContext()): Promise<{ pending: RedirectPending; callback: string }> {
  const start = await adapter.startAuthorization(request(account), context);
  if (start.kind !== 'pending' || start.pending.flow !== 'authorization-code') throw new Error('no redirect pending');
  return { pending: start.pending, callback: await completeAuthorizationCodeFlow(start.pending.url, account, REDIRECT) };
}

describe('RFC 9207: the redirect must carry the issuer it advertises', () => {
  it('refuses the real redirect with iss stripped or replaced, without spending the code; the real one then completes', async () => {
    const metadata = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    const { pending, callback } = await signIn(ACCOUNT);
    expect(new URL(callback).searchParams.get('iss')).toBe(server.issuer);

    const stripped = new URL(callback);
    stripped.searchParams.delete('iss');
    const replaced = new URL(callback);
    replaced.searchParams.set('iss', 'http://127.0.0.1:1');
    const before = server.tokenRequests.get('authorization_code') ?? 0;
    for (const forged of [stripped, replaced]) {
      const err = await rejection(adapter.completeAuthorization(pending, forged.href, request(), grantContext()));
      expect(err).toMatchObject({ code: 'ERR_STATE_MISMATCH', kind: 'usage' });
    }
    expect(server.tokenRequests.get('authorization_code') ?? 0).toBe(before);

    const tokens = await adapter.completeAuthorization(pending, callback, request(), grantContext());
    expect(tokens.account).toBe(ACCOUNT);
  });

  it('through the page: the stripped redirect leaves the sign-in waiting', async () => {
    const mail = await createMailOAuth({ providers: [adapter], store: memoryStore() });
    try {
      const page = mail.page('smtp.services');
      await page.configure({ authMethod: 'oauth2', provider: 'corp', account: ACCOUNT });
      const prompt = await page.getToken({ flow: 'authorization-code', redirectUri: REDIRECT });
      if (prompt.kind !== 'redirect') throw new Error('expected a redirect prompt');
      const callback = await completeAuthorizationCodeFlow(prompt.url, ACCOUNT, REDIRECT);
      const stripped = new URL(callback);
      stripped.searchParams.delete('iss');
      await expect(page.completeAuthorization(stripped.href)).rejects.toMatchObject({ code: 'ERR_STATE_MISMATCH' });
      expect(page.status).toBe('waiting-for-authorization');
      await page.completeAuthorization(callback);
      expect(page.status).toBe('acquired');
    } finally {
      await mail.close();
    }
  });
});

describe('redirect URI checked at Get Token', () => {
  it('a non-URL, a fragment or plain http to a LAN host is refused at once; the page stays Not Acquired', async () => {
    const mail = await createMailOAuth({ providers: [adapter], store: memoryStore() });
    try {
      const page = mail.page('smtp.services');
      await page.configure({ authMethod: 'oauth2', provider: 'corp', account: ACCOUNT });
      for (const redirectUri of ['callback', 'http://127.0.0.1/callback#x', 'http://printer.local/callback']) {
        await expect(page.getToken({ flow: 'authorization-code', redirectUri })).rejects.toMatchObject({
          code: 'ERR_INVALID_REDIRECT_URI',
          kind: 'usage',
        });
        expect(page.status).toBe('not-acquired');
      }
      const prompt = await page.getToken({ flow: 'authorization-code', redirectUri: REDIRECT });
      expect(prompt.kind).toBe('redirect');
    } finally {
      await mail.close();
    }
  });
});

describe('email_verified: false never satisfies the account check', () => {
  it('authorization code: ERR_ACCOUNT_MISMATCH although the address equals the page account', async () => {
    const { pending, callback } = await signIn(UNVERIFIED);
    const err = await rejection(adapter.completeAuthorization(pending, callback, request(UNVERIFIED), grantContext()));
    expect(err).toMatchObject({ code: 'ERR_ACCOUNT_MISMATCH', kind: 'definite', params: { expected: UNVERIFIED, actual: UNVERIFIED } });
    expect(err.hint).toContain('unverified');
  });

  it('device code: the same', async () => {
    const device: AuthorizationRequest = { protocol: 'smtp', account: UNVERIFIED, flow: 'device-code' };
    const start = await adapter.startAuthorization(device, grantContext());
    if (start.kind !== 'pending' || start.pending.flow !== 'device-code') throw new Error('no device pending');
    await completeDeviceFlow(server.issuer, start.pending.userCode, UNVERIFIED);
    const err = await rejection(adapter.pollDeviceAuthorization(start.pending, device, grantContext()));
    expect(err.code).toBe('ERR_ACCOUNT_MISMATCH');
  });
});

describe('a device clock off by more than the ID token lifetime', () => {
  it('fails with ERR_ID_TOKEN whose hint points at the device clock, with no secret in it', async () => {
    const ahead = fixedClock(Date.now() + 2 * 3600_000); // the peer's ID tokens live 1 hour
    const context = grantContext({ clock: ahead });
    const { pending, callback } = await signIn(ACCOUNT, context);
    const err = await rejection(adapter.completeAuthorization(pending, callback, request(), context));
    expect(err).toMatchObject({ code: 'ERR_ID_TOKEN', kind: 'definite' });
    expect(err.hint).toMatch(
      /^Check the device's date and time: the ID token was issued at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ but the device clock says /,
    );
    expect(err.hint).toContain(new Date(ahead.now()).toISOString().slice(0, 16));
    const code = new URL(callback).searchParams.get('code') ?? '';
    expect(code.length).toBeGreaterThan(10);
    expect(JSON.stringify(err.toJSON())).not.toContain(code);
  });
});
