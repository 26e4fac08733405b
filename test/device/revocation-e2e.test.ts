/**
 * Revocation seen by the mail server: Dovecot introspects every token at the authorization
 * server, so a revoked grant is refused at once — while the device still holds a token that has
 * not expired. The connection test then renews once, gets the provider's definite answer, and
 * shows the manual's message; the page is Invalid. Nothing here waits for an expiry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailOAuth, memoryStore, oidc, type MailOAuth } from '../../src/index.js';
import { testPki } from '../peers/ca.js';
import { dovecotStatus, startDovecot, type DovecotPeer } from '../peers/dovecot.js';
import { CLIENTS, startOidcServer, type OidcServer } from '../peers/oidc-server.js';
import { completeAuthorizationCodeFlow } from '../peers/oidc-user.js';

const USER = 'scanner@example.test';
const REDIRECT = 'http://127.0.0.1/callback';

it.runIf(!dovecotStatus.available && dovecotStatus.required)('Dovecot is installed (required with CI=true)', () => {
  throw new Error(dovecotStatus.message);
});

describe.skipIf(!dovecotStatus.available)('a grant revoked at the provider, refused by the mail server', () => {
  const pki = testPki();
  const store = memoryStore();
  let server: OidcServer;
  let dovecot: DovecotPeer;
  let device: MailOAuth;

  beforeAll(async () => {
    server = await startOidcServer({ accessTokenTtl: 3600, redirectUris: [REDIRECT] });
    dovecot = await startDovecot({ pki, keys: [], introspectionUrl: server.mailIntrospectionUrl });
    device = await createMailOAuth({
      providers: [
        oidc({ id: 'corp', issuer: server.issuer, clientId: CLIENTS.public, scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' } }),
      ],
      store,
      ca: pki.ca,
    });
    for (const id of ['pop.emailStatus', 'pop.emailPrint']) {
      await device.page(id).configure({
        server: '127.0.0.1',
        port: dovecot.ports.pop3s,
        security: 'tls',
        timeout: 5_000,
        authMethod: 'oauth2',
        provider: 'corp',
        account: USER,
      });
      const prompt = await device.page(id).getToken({ flow: 'authorization-code', redirectUri: REDIRECT });
      if (prompt.kind !== 'redirect') throw new Error('expected a redirect prompt');
      await device.page(id).completeAuthorization(await completeAuthorizationCodeFlow(prompt.url, USER, REDIRECT));
    }
  });
  afterAll(async () => {
    await device?.close();
    await Promise.all([dovecot?.stop(), server?.close()]);
  });

  it('the connection test shows the manual message at once; the other POP page is untouched', async () => {
    const page = device.page('pop.emailStatus');
    expect(await page.testConnection({ locale: 'en' })).toEqual({ ok: true, code: 'OK', message: 'Connection test succeeded.' });

    const record = (await store.get('pop.emailStatus')) as { tokens: { refreshToken: string } };
    const res = await fetch(`${server.issuer}/token/revocation`, {
      method: 'POST',
      body: new URLSearchParams({ token: record.tokens.refreshToken, client_id: CLIENTS.public }),
    });
    expect(res.status).toBe(200);
    expect(page.status).toBe('acquired'); // the device cannot know yet

    const result = await page.testConnection({ locale: 'de' });
    expect(result).toEqual({
      ok: false,
      code: 'ERR_TOKEN_REFRESH_FAILED',
      message: 'Token-Update fehlgeschlagen. Bitte löschen Sie das Token und rufen Sie das Token erneut ab.',
    });
    expect(page.status).toBe('invalid');
    expect(await device.page('pop.emailPrint').testConnection({ locale: 'en' })).toMatchObject({ ok: true, code: 'OK' });
    expect(device.page('pop.emailPrint').status).toBe('acquired');
  });
});
