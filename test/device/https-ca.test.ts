/**
 * The device's `ca` option reaches token endpoints too: an authorization server on HTTPS with a
 * certificate from the test CA is trusted with `ca` and refused without it (no false Invalid).
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailOAuth, oidc } from '../../src/index.js';
import { testPki } from '../peers/ca.js';

const pki = testPki();
let server: Server;
let issuer: string;
let tokenRequests = 0;

beforeAll(async () => {
  server = createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(
        JSON.stringify({ issuer, token_endpoint: `${issuer}/token`, token_endpoint_auth_methods_supported: ['client_secret_basic'] }),
      );
      return;
    }
    if (req.url === '/token' && req.method === 'POST') {
      tokenRequests += 1;
      res.end(JSON.stringify({ access_token: `app-only-access-${tokenRequests}`, token_type: 'Bearer', expires_in: 3600 }));
      return;
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function device(ca: string | undefined) {
  const provider = oidc({
    id: 'corp',
    issuer,
    clientId: 'printer',
    clientSecret: 'test-only-secret',
    scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' },
  });
  const mail = await createMailOAuth({ providers: [provider], ...(ca === undefined ? {} : { ca }) });
  await mail.page('smtp.alert').configure({ authMethod: 'oauth2', provider: 'corp', account: 'scanner@example.test' });
  return mail;
}

describe('ca option for token endpoints', () => {
  it('trusts an HTTPS authorization server signed by the given CA (client credentials, app-only)', async () => {
    const mail = await device(pki.ca);
    expect(await mail.page('smtp.alert').getToken({ flow: 'client-credentials' })).toEqual({ kind: 'none' });
    expect(mail.page('smtp.alert').status).toBe('acquired');
    expect(await mail.page('smtp.alert').accessToken()).toBe(`app-only-access-${tokenRequests}`);
    await mail.close();
  });

  it('without the CA the server is not trusted: a coded TLS error, nothing acquired', async () => {
    const before = tokenRequests;
    const mail = await device(undefined);
    await expect(mail.page('smtp.alert').getToken({ flow: 'client-credentials' })).rejects.toMatchObject({ code: 'ERR_TLS' });
    expect(mail.page('smtp.alert').status).toBe('not-acquired');
    expect(tokenRequests).toBe(before);
    await mail.close();
  });
});
