/**
 * The token-endpoint layer against an issuer that echoes every request: the errors the grant
 * functions throw — with their RFC 6749 fields and cause chains intact — hold no sent secret,
 * in any form (raw, URL-encoded, JSON-escaped, decoded Basic credentials, a truncated fragment),
 * while the provider's `error` and its AADSTS hint survive.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/errors.js';
import type { ClientAuth } from '../../src/oauth/client-auth.js';
import { clientCredentialsGrant } from '../../src/oauth/client-credentials.js';
import { pollDeviceToken } from '../../src/oauth/device-code.js';
import { redactor, sentSecrets } from '../../src/oauth/redact.js';
import { refreshTokenGrant } from '../../src/oauth/refresh.js';
import { revokeToken } from '../../src/oauth/revocation.js';
import type { TokenSet } from '../../src/oauth/types.js';
import { aadstsHint } from '../../src/providers/aadsts.js';
import { DEVICE_CODE_GRANT, startHostileIssuer, type HostileIssuer } from '../peers/hostile-issuer.js';
import { grantContext } from './context.js';

const SECRET = 'client "secret" with/odd+chars=&%';
const REFRESH = 'refresh-token-0123456789-abcdefghijklmnopqrstuvwxyz';
const basic: ClientAuth = { method: 'client_secret_basic', clientId: 'printer', clientSecret: SECRET };
const post: ClientAuth = { method: 'client_secret_post', clientId: 'printer', clientSecret: SECRET };
const tokens: TokenSet = {
  accessToken: 'access-0123456789',
  refreshToken: REFRESH,
  tokenType: 'Bearer',
  expiresAt: 0,
  flow: 'device-code',
};

let issuer: HostileIssuer;
beforeAll(async () => {
  issuer = await startHostileIssuer({ clientId: 'printer', account: 'scanner@example.test' });
});
afterAll(async () => {
  await issuer.close();
});

function everything(err: unknown): string {
  return `${inspect(err, { depth: 10 })}\n${JSON.stringify(err)}\n${String((err as Error).stack)}`;
}

function forms(value: string): string[] {
  return [
    value,
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    JSON.stringify(value).slice(1, -1),
    value.slice(0, 12),
    value.slice(-12),
  ];
}

function expectNoSecret(err: unknown, secrets: string[]): void {
  const text = everything(err);
  for (const secret of secrets) for (const form of forms(secret)) expect(text, form).not.toContain(form);
}

describe('errors of the token endpoint hold nothing the request sent', () => {
  it('refresh with client_secret_basic answered invalid_grant with the echo: definite, error kept, no secret anywhere', async () => {
    issuer.script.refresh_token = ['invalid-grant-echo'];
    const err = await refreshTokenGrant(`${issuer.issuer}/token`, basic, tokens, grantContext()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({ code: 'ERR_OAUTH', kind: 'definite', error: 'invalid_grant', params: { error: 'invalid_grant' } });
    expect((err as OAuthError).errorDescription).toContain('[redacted]');
    expect((err as OAuthError).errorUri).toContain('https://errors.example/');
    const header = issuer.requests.at(-1)?.headers.authorization ?? '';
    expect(header).toMatch(/^Basic /);
    expectNoSecret(err, [REFRESH, SECRET, header, header.slice(6), `printer:${encodeURIComponent(SECRET)}`]);
  });

  it('client credentials with client_secret_post answered invalid_client: the AADSTS hint survives, the secret does not', async () => {
    issuer.script.client_credentials = ['invalid-client-echo'];
    const err = await clientCredentialsGrant(`${issuer.issuer}/token`, post, 'mail', grantContext(), { hint: aadstsHint }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'ERR_OAUTH', kind: 'configuration', error: 'invalid_client' });
    expect((err as OAuthError).hint).toBe('The client secret is invalid; check the secret configured on the device.');
    expect((err as OAuthError).message).toContain('AADSTS7000215');
    expectNoSecret(err, [SECRET]);
  });

  it('a 500 or a JSON-typed 400 whose whole body is the echo, and a revocation echo', async () => {
    for (const step of ['plain-500-echo', 'json-400-echo'] as const) {
      issuer.script.refresh_token = [step];
      const err = await refreshTokenGrant(`${issuer.issuer}/token`, basic, tokens, grantContext()).catch((e: unknown) => e);
      expect(err, step).toMatchObject({ kind: step === 'plain-500-echo' ? 'transient' : 'protocol' });
      expectNoSecret(err, [REFRESH, SECRET]);
    }
    issuer.revocation = 'invalid-grant-echo';
    const err = await revokeToken(`${issuer.issuer}/revoke`, post, REFRESH, 'refresh_token', grantContext()).catch((e: unknown) => e);
    expect(err).toMatchObject({ error: 'invalid_grant' });
    expectNoSecret(err, [REFRESH, SECRET]);
  });

  it('a device poll answered 200 with the echo as token_type ends the authorization without the device code in it', async () => {
    issuer.script[DEVICE_CODE_GRANT] = ['bad-200-echo'];
    const deviceCode = 'device-code-0123456789-abcdefghijklmnop';
    const pending = {
      flow: 'device-code' as const,
      deviceCode,
      userCode: 'ABCD',
      verificationUri: 'http://127.0.0.1/',
      expiresAt: Date.now() + 60_000,
      intervalMs: 5_000,
    };
    const err = await pollDeviceToken(`${issuer.issuer}/token`, basic, pending, grantContext()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_AUTHORIZATION_FAILED', kind: 'definite', params: { reason: 'ERR_PROTOCOL' } });
    expectNoSecret(err, [deviceCode, SECRET]);
  });
});

describe('redactor', () => {
  it('removes a value, its URL-encoded and JSON-escaped forms, longest first', () => {
    const redact = redactor(['a "b"/c+d', 'abcdefgh', 'abcdefgh-longer']);
    expect(redact('x a "b"/c+d y a%20%22b%22%2Fc%2Bd z a+%22b%22%2Fc%2Bd w a \\"b\\"/c+d')).toBe(
      'x [redacted] y [redacted] z [redacted] w [redacted]',
    );
    expect(redact('abcdefgh-longer abcdefgh')).toBe('[redacted] [redacted]');
  });

  it('takes non-public form values and every part of a Basic header; public parameters stay', () => {
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: 'printer-app-id',
      scope: 'openid offline_access',
      refresh_token: 'rt-12345',
      short: 'x',
    });
    const header = `Basic ${Buffer.from('printer:s%2Bcret').toString('base64')}`;
    const secrets = sentSecrets(body, { authorization: header });
    expect(secrets).toEqual(
      expect.arrayContaining(['rt-12345', header, header.slice(6), 'printer:s%2Bcret', 'printer:s+cret', 's%2Bcret', 's+cret']),
    );
    expect(secrets).not.toContain('printer-app-id');
    expect(secrets).not.toContain('openid offline_access');
    expect(secrets).not.toContain('x');
  });
});
