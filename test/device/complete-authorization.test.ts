/**
 * `device.completeAuthorization(callbackUrl)`: the device's one redirect route finds the page
 * whose authorization-code sign-in the redirect's `state` belongs to, against the real
 * oidc-provider on 127.0.0.1 with two pages waiting at once. An unknown or used state is refused
 * (ERR_STATE_MISMATCH) without touching any page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailOAuth, memoryStore, oidc } from '../../src/index.js';
import { CLIENTS, startOidcServer, type OidcServer } from '../peers/oidc-server.js';
import { completeAuthorizationCodeFlow } from '../peers/oidc-user.js';

const ACCOUNT = 'scanner@example.test';
const REDIRECT = 'http://127.0.0.1/callback';

let server: OidcServer;

beforeAll(async () => {
  server = await startOidcServer({ redirectUris: [REDIRECT] });
});
afterAll(async () => {
  await server?.close();
});

async function signInFor(device: Awaited<ReturnType<typeof createMailOAuth>>, id: 'smtp.alert' | 'pop.emailStatus'): Promise<string> {
  const page = device.page(id);
  await page.configure({ authMethod: 'oauth2', provider: 'corp', account: ACCOUNT });
  const prompt = await page.getToken({ flow: 'authorization-code', redirectUri: REDIRECT });
  if (prompt.kind !== 'redirect') throw new Error('expected a redirect prompt');
  return completeAuthorizationCodeFlow(prompt.url, ACCOUNT, REDIRECT);
}

describe('device.completeAuthorization routes a redirect by its state', () => {
  it('two pages waiting at once: each redirect completes its own page; unknown and used states are refused', async () => {
    const provider = oidc({
      id: 'corp',
      issuer: server.issuer,
      clientId: CLIENTS.public,
      scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' },
    });
    const device = await createMailOAuth({ providers: [provider], store: memoryStore() });
    try {
      const alert = device.page('smtp.alert');
      const pop = device.page('pop.emailStatus');
      const alertCallback = await signInFor(device, 'smtp.alert');
      const popCallback = await signInFor(device, 'pop.emailStatus');
      expect([alert.status, pop.status]).toEqual(['waiting-for-authorization', 'waiting-for-authorization']);

      const unknown = new URL(popCallback);
      unknown.searchParams.set('state', 'not-a-pending-state');
      for (const url of [unknown.href, `${REDIRECT}?code=abc`, 'not a url']) {
        await expect(device.completeAuthorization(url)).rejects.toMatchObject({ code: 'ERR_STATE_MISMATCH', kind: 'usage' });
      }
      // Refused before any page saw it: both still wait, and neither records a failure.
      expect([alert.status, pop.status]).toEqual(['waiting-for-authorization', 'waiting-for-authorization']);
      expect([alert.tokenInfo().errorCode, pop.tokenInfo().errorCode]).toEqual([undefined, undefined]);

      // The second page's redirect first: it must not land on the first page.
      await device.completeAuthorization(popCallback);
      expect([alert.status, pop.status]).toEqual(['waiting-for-authorization', 'acquired']);
      await device.completeAuthorization(alertCallback);
      expect([alert.status, pop.status]).toEqual(['acquired', 'acquired']);
      expect(device.page('smtp.services').status).toBe('not-acquired');

      for (const used of [popCallback, alertCallback]) {
        await expect(device.completeAuthorization(used)).rejects.toMatchObject({ code: 'ERR_STATE_MISMATCH', kind: 'usage' });
      }
      expect([alert.status, pop.status]).toEqual(['acquired', 'acquired']);
    } finally {
      await device.close();
    }
  });

  it('the same redirect delivered twice at once completes the page once and refuses the copy', async () => {
    const provider = oidc({
      id: 'corp',
      issuer: server.issuer,
      clientId: CLIENTS.public,
      scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' },
    });
    const device = await createMailOAuth({ providers: [provider], store: memoryStore() });
    try {
      const callback = await signInFor(device, 'smtp.alert');
      const before = server.tokenRequests.get('authorization_code') ?? 0;
      const outcomes = await Promise.allSettled([device.completeAuthorization(callback), device.completeAuthorization(callback)]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
      expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_STATE_MISMATCH' });
      expect(device.page('smtp.alert').status).toBe('acquired');
      // One code exchange: a replayed code would make oidc-provider revoke the grant.
      expect((server.tokenRequests.get('authorization_code') ?? 0) - before).toBe(1);
    } finally {
      await device.close();
    }
  });
});
