import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDeviceAuthorization } from '../../src/oauth/device-code.js';
import type { TokenSet } from '../../src/oauth/types.js';
import { google } from '../../src/providers/google.js';
import type { AuthorizationRequest } from '../../src/providers/types.js';
import { grantContext } from '../oauth/context.js';
import { rejection } from '../helpers/rejection.js';

const OAUTH2 = 'https://oauth2.googleapis.com';
const ACCOUNT = 'scanner@example.com';
const JSON_HEADERS = { headers: { 'content-type': 'application/json; charset=utf-8' } };

let agent: MockAgent;

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
});

afterEach(async () => {
  agent.assertNoPendingInterceptors();
  await agent.close();
});

describe('google adapter', () => {
  it('refuses the device flow for mail before any request, with a coded configuration error and a hint', async () => {
    const adapter = google({ clientId: 'id.apps.googleusercontent.com', clientSecret: 's' });
    expect(adapter.flows).toEqual(['authorization-code']);
    expect(adapter.defaultFlow).toBe('authorization-code');
    const request: AuthorizationRequest = { protocol: 'smtp', account: ACCOUNT, flow: 'device-code' };
    const err = await rejection(adapter.startAuthorization(request, grantContext({ dispatcher: agent })));
    expect(err).toMatchObject({ code: 'ERR_FLOW_UNSUPPORTED', kind: 'configuration', params: { flow: 'device-code', provider: 'google' } });
    expect(err.hint).toContain('authorization-code');
  });

  it('builds the sign-in URL with access_type=offline, prompt=consent, the Gmail scope and PKCE S256', async () => {
    const adapter = google({ clientId: 'id.apps.googleusercontent.com', clientSecret: 's' });
    agent.get('https://www.googleapis.com').intercept({ path: '/oauth2/v3/certs', method: 'GET' }).reply(200, { keys: [] }, JSON_HEADERS);
    const start = await adapter.startAuthorization(
      { protocol: 'imap', account: ACCOUNT, flow: 'authorization-code', redirectUri: 'http://127.0.0.1:9004/' },
      grantContext({ dispatcher: agent }),
    );
    if (start.kind !== 'pending' || start.pending.flow !== 'authorization-code') throw new Error('no pending');
    const url = new URL(start.pending.url);
    expect(`${url.origin}${url.pathname}`).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      access_type: 'offline',
      prompt: 'consent',
      scope: 'openid email https://mail.google.com/',
      code_challenge_method: 'S256',
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:9004/',
      login_hint: ACCOUNT,
    });
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
  });

  it('a refresh answer without refresh_token keeps the old one; expires_in may be a string', async () => {
    let sent = '';
    agent
      .get(OAUTH2)
      .intercept({ path: '/token', method: 'POST', body: (b: string) => ((sent = b), true) })
      .reply(200, { access_token: 'new-at', expires_in: '3599', scope: 'https://mail.google.com/', token_type: 'Bearer' }, JSON_HEADERS);
    const held: TokenSet = {
      accessToken: 'old',
      refreshToken: 'keep-me',
      tokenType: 'Bearer',
      expiresAt: 0,
      flow: 'authorization-code',
      account: ACCOUNT,
    };
    const before = Date.now();
    const renewed = await google({ clientId: 'cid', clientSecret: 'cs' }).refresh(
      held,
      { protocol: 'smtp', account: ACCOUNT, flow: 'authorization-code' },
      grantContext({ dispatcher: agent }),
    );
    expect(renewed).toMatchObject({ accessToken: 'new-at', refreshToken: 'keep-me', account: ACCOUNT });
    expect(renewed.expiresAt).toBeGreaterThanOrEqual(before + 3_599_000);
    expect(Object.fromEntries(new URLSearchParams(sent))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'keep-me',
      client_id: 'cid',
      client_secret: 'cs',
    });
  });

  it('revokes the refresh token at Google on delete', async () => {
    let sent = '';
    agent
      .get(OAUTH2)
      .intercept({ path: '/revoke', method: 'POST', body: (b: string) => ((sent = b), true) })
      .reply(200, {}, JSON_HEADERS);
    const held: TokenSet = { accessToken: 'at', refreshToken: 'rt', tokenType: 'Bearer', expiresAt: 0, flow: 'authorization-code' };
    await google({ clientId: 'cid' }).revoke?.(held, grantContext({ dispatcher: agent }));
    expect(new URLSearchParams(sent).get('token')).toBe('rt');
    expect(new URLSearchParams(sent).get('token_type_hint')).toBe('refresh_token');
  });

  it('a revocation answered 503 is transient', async () => {
    agent
      .get(OAUTH2)
      .intercept({ path: '/revoke', method: 'POST' })
      .reply(503, 'busy', { headers: { 'content-type': 'text/plain' } });
    const held: TokenSet = { accessToken: 'at', tokenType: 'Bearer', expiresAt: 0, flow: 'authorization-code' };
    expect(
      await rejection(google({ clientId: 'cid' }).revoke?.(held, grantContext({ dispatcher: agent })) ?? Promise.resolve()),
    ).toMatchObject({
      code: 'ERR_HTTP',
      kind: 'transient',
    });
  });
});

describe("Google's device endpoint (documented answers, non-mail scopes)", () => {
  it('normalises verification_url to verificationUri', async () => {
    agent
      .get(OAUTH2)
      .intercept({ path: '/device/code', method: 'POST' })
      .reply(
        200,
        { device_code: 'dc', user_code: 'GQVQ-JKEC', verification_url: 'https://www.google.com/device', expires_in: 1800, interval: 5 },
        JSON_HEADERS,
      );
    const before = Date.now();
    const pending = await startDeviceAuthorization(
      `${OAUTH2}/device/code`,
      { method: 'none', clientId: 'cid' },
      'email',
      grantContext({ dispatcher: agent }),
    );
    expect(pending).toMatchObject({
      flow: 'device-code',
      userCode: 'GQVQ-JKEC',
      verificationUri: 'https://www.google.com/device',
      intervalMs: 5_000,
    });
    expect(pending.expiresAt).toBeGreaterThanOrEqual(before + 1_800_000);
  });

  it('invalid_scope (the Gmail scope) is a configuration error', async () => {
    agent
      .get(OAUTH2)
      .intercept({ path: '/device/code', method: 'POST' })
      .reply(400, { error: 'invalid_scope', error_description: 'Invalid device flow scope: https://mail.google.com/' }, JSON_HEADERS);
    const err = await rejection(
      startDeviceAuthorization(
        `${OAUTH2}/device/code`,
        { method: 'none', clientId: 'cid' },
        'https://mail.google.com/',
        grantContext({ dispatcher: agent }),
      ),
    );
    expect(err).toMatchObject({ code: 'ERR_OAUTH', kind: 'configuration', error: 'invalid_scope' });
  });
});

describe('google service account (JWT bearer) against a local token endpoint', () => {
  it('signs an RS256 assertion with sub = mailbox and gets an app token; renewal re-runs the grant', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const assertions: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        assertions.push(form.get('assertion') ?? '');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: `sa-token-${assertions.length}`, token_type: 'Bearer', expires_in: 3599 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const tokenUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    try {
      const adapter = google({
        clientId: 'cid',
        serviceAccount: {
          client_email: 'printer@project.iam.gserviceaccount.com',
          private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
          private_key_id: 'key-1',
          token_uri: tokenUri,
        },
      });
      expect(adapter.flows).toEqual(['authorization-code', 'jwt-bearer']);
      const request: AuthorizationRequest = { protocol: 'smtp', account: ACCOUNT, flow: 'jwt-bearer' };
      const start = await adapter.startAuthorization(request, grantContext());
      expect(start).toEqual({
        kind: 'tokens',
        // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any, expect.objectContaining, ...) as any
        tokens: expect.objectContaining({ accessToken: 'sa-token-1', flow: 'jwt-bearer', account: ACCOUNT }),
      });
      if (start.kind !== 'tokens') return;
      expect(start.tokens.refreshToken).toBeUndefined();

      const assertion = assertions[0] ?? '';
      expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'RS256', kid: 'key-1' });
      const { payload } = await jwtVerify(assertion, publicKey, {
        issuer: 'printer@project.iam.gserviceaccount.com',
        audience: tokenUri,
        subject: ACCOUNT,
      });
      expect(payload.scope).toBe('https://mail.google.com/');

      const renewed = await adapter.refresh(start.tokens, request, grantContext());
      expect(renewed.accessToken).toBe('sa-token-2');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
