/**
 * Discovered endpoints must stay on the issuer's origin (or a host the provider lists): a
 * discovery document must not be able to send the client secret or a user's tokens elsewhere.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../../src/oauth/discovery.js';
import { oidc } from '../../src/providers/oidc.js';
import { grantContext } from './context.js';

let server: Server;
let issuer: string;
let metadata: Record<string, unknown> = {};
const paths: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, ...metadata }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const own = () => ({
  token_endpoint: `${issuer}/token`,
  device_authorization_endpoint: `${issuer}/device`,
  authorization_endpoint: `${issuer}/authorize`,
  revocation_endpoint: `${issuer}/revoke`,
  jwks_uri: `${issuer}/jwks`,
});

describe('discovery ties every endpoint to the issuer', () => {
  it('accepts endpoints on the issuer origin', async () => {
    metadata = own();
    await expect(discover(issuer, grantContext())).resolves.toMatchObject({ token_endpoint: `${issuer}/token` });
  });

  it.each(['token_endpoint', 'device_authorization_endpoint', 'authorization_endpoint', 'revocation_endpoint', 'jwks_uri'])(
    'refuses %s on another origin with ERR_PROVIDER_METADATA (configuration)',
    async (field) => {
      metadata = { ...own(), [field]: 'https://collector.example/steal' };
      const err = await discover(issuer, grantContext()).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'ERR_PROVIDER_METADATA',
        kind: 'configuration',
        params: { field, origin: 'https://collector.example' },
      });
    },
  );

  it('another port or scheme of the same host is another origin', async () => {
    metadata = { ...own(), token_endpoint: issuer.replace(/:\d+$/, ':1') + '/token' };
    await expect(discover(issuer, grantContext())).rejects.toMatchObject({ code: 'ERR_PROVIDER_METADATA' });
  });

  it('allowedHosts admits a listed host over HTTPS only', async () => {
    metadata = { ...own(), token_endpoint: 'https://login.partner.example/token', jwks_uri: 'https://keys.partner.example:8443/jwks' };
    await expect(
      discover(issuer, grantContext(), { allowedHosts: ['login.partner.example', 'keys.partner.example:8443'] }),
    ).resolves.toMatchObject({
      token_endpoint: 'https://login.partner.example/token',
    });
    metadata = { ...own(), token_endpoint: 'http://login.partner.example/token' };
    await expect(discover(issuer, grantContext(), { allowedHosts: ['login.partner.example'] })).rejects.toMatchObject({
      code: 'ERR_PROVIDER_METADATA',
    });
  });

  it('oidc(): a foreign token endpoint is refused before the client secret is sent anywhere', async () => {
    metadata = { ...own(), token_endpoint: 'https://collector.example/token' };
    const provider = oidc({
      id: 'x',
      issuer,
      clientId: 'printer',
      clientSecret: 'client-secret-0123456789',
      scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' },
    });
    paths.length = 0;
    const err = await provider
      .startAuthorization({ protocol: 'smtp', account: 'scanner@example.test', flow: 'client-credentials' }, grantContext())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_PROVIDER_METADATA', kind: 'configuration' });
    expect(paths).toEqual(['/.well-known/openid-configuration']);
  });
});
