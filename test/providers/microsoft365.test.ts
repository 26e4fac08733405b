import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { MockAgent } from 'undici';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/errors.js';
import type { DeviceCodePending, TokenSet } from '../../src/oauth/types.js';
import { aadstsHint, aadstsNumber, AADSTS_HINTS } from '../../src/providers/aadsts.js';
import { microsoft365 } from '../../src/providers/microsoft365.js';
import type { AuthorizationRequest } from '../../src/providers/types.js';
import { grantContext } from '../oauth/context.js';
import { rejection } from '../helpers/rejection.js';
import { selfSignedCertificate } from '../helpers/self-signed.js';

const LOGIN = 'https://login.microsoftonline.com';
const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const TID = '9a8b7c6d-0000-4000-8000-123456789abc';
const ACCOUNT = 'scanner@contoso.com';
const JSON_HEADERS = { headers: { 'content-type': 'application/json; charset=utf-8' } };
const request: AuthorizationRequest = { protocol: 'smtp', account: ACCOUNT, flow: 'device-code' };

let agent: MockAgent;
let signingKey: CryptoKey;
let jwk: JWK;

const pending: DeviceCodePending = {
  flow: 'device-code',
  deviceCode: 'device-code-secret',
  userCode: 'ABCD-EFGH',
  verificationUri: 'https://microsoft.com/devicelogin',
  expiresAt: Date.now() + 900_000,
  intervalMs: 5_000,
};

function idToken(claims: Record<string, unknown>, tid = TID): Promise<string> {
  return new SignJWT({ tid, preferred_username: ACCOUNT, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'ms-key' })
    .setIssuer(`${LOGIN}/${tid}/v2.0`)
    .setAudience(CLIENT_ID)
    .setSubject('user-object-id')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(signingKey);
}

function interceptToken(
  tenant: string,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
  seen?: (body: string) => void,
): void {
  agent
    .get(LOGIN)
    .intercept({
      path: `/${tenant}/oauth2/v2.0/token`,
      method: 'POST',
      body: (b: string) => {
        seen?.(b);
        return true;
      },
    })
    .reply(status, body, { headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}

function interceptKeys(tenant = 'organizations'): void {
  agent
    .get(LOGIN)
    .intercept({ path: `/${tenant}/discovery/v2.0/keys`, method: 'GET' })
    .reply(200, { keys: [jwk] }, JSON_HEADERS)
    .persist();
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'ms-key', alg: 'RS256', use: 'sig' };
});

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
});

afterEach(async () => {
  await agent.close();
});

describe('microsoft365: endpoints, scopes and servers', () => {
  it('starts a device authorization at the tenant with the delegated SMTP scope; no verification_uri_complete', async () => {
    let sent = '';
    agent
      .get(LOGIN)
      .intercept({ path: '/contoso.onmicrosoft.com/oauth2/v2.0/devicecode', method: 'POST', body: (b: string) => ((sent = b), true) })
      .reply(
        200,
        {
          user_code: 'ABCD-EFGH',
          device_code: 'dc',
          verification_uri: 'https://microsoft.com/devicelogin',
          expires_in: 900,
          interval: 5,
          message: 'To sign in…',
        },
        JSON_HEADERS,
      );
    agent
      .get(LOGIN)
      .intercept({ path: '/contoso.onmicrosoft.com/discovery/v2.0/keys', method: 'GET' })
      .reply(200, { keys: [jwk] }, JSON_HEADERS);
    const adapter = microsoft365({ clientId: CLIENT_ID, tenant: 'contoso.onmicrosoft.com' });
    const start = await adapter.startAuthorization(request, grantContext({ dispatcher: agent }));
    expect(start).toEqual({
      kind: 'pending',
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any, expect.objectContaining, ...) as any
      pending: expect.objectContaining({
        flow: 'device-code',
        userCode: 'ABCD-EFGH',
        verificationUri: 'https://microsoft.com/devicelogin',
        intervalMs: 5_000,
      }),
    });
    if (start.kind === 'pending') expect(start.pending).not.toHaveProperty('verificationUriComplete');
    const params = new URLSearchParams(sent);
    expect(params.get('client_id')).toBe(CLIENT_ID);
    expect(params.get('scope')).toBe('openid email profile offline_access https://outlook.office.com/SMTP.Send');
  });

  it('knows each cloud: login host, scopes, mail servers', async () => {
    expect(microsoft365({ clientId: CLIENT_ID }).mailServer('smtp')).toEqual({
      host: 'smtp.office365.com',
      port: 587,
      security: 'starttls',
    });
    expect(microsoft365({ clientId: CLIENT_ID }).mailServer('pop3')).toEqual({ host: 'outlook.office365.com', port: 995, security: 'tls' });
    expect(microsoft365({ clientId: CLIENT_ID, cloud: 'usgov' }).mailServer('imap')).toEqual({
      host: 'outlook.office365.us',
      port: 993,
      security: 'tls',
    });
    expect(microsoft365({ clientId: CLIENT_ID, cloud: 'usgov-dod' }).mailServer('pop3')?.host).toBe('outlook-dod.office365.us');

    let sent = '';
    agent
      .get('https://login.partner.microsoftonline.cn')
      .intercept({ path: '/organizations/oauth2/v2.0/token', method: 'POST', body: (b: string) => ((sent = b), true) })
      .reply(200, { access_token: 'at', token_type: 'Bearer', expires_in: '3599', refresh_token: 'rt2' }, JSON_HEADERS);
    const china = microsoft365({ clientId: CLIENT_ID, cloud: 'china' });
    const held: TokenSet = {
      accessToken: 'a',
      refreshToken: 'rt1',
      tokenType: 'Bearer',
      expiresAt: 0,
      flow: 'device-code',
      account: ACCOUNT,
    };
    const renewed = await china.refresh(held, { ...request, protocol: 'imap' }, grantContext({ dispatcher: agent }));
    expect(renewed.refreshToken).toBe('rt2');
    expect(renewed.account).toBe(ACCOUNT);
    expect(new URLSearchParams(sent).get('scope')).toBe(
      'openid email profile offline_access https://partner.outlook.cn/IMAP.AccessAsUser.All',
    );
  });

  it('refuses a malformed tenant and an empty client id as configuration errors', () => {
    expect(() => microsoft365({ clientId: CLIENT_ID, tenant: 'a/b' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', kind: 'usage' }),
    );
    expect(() => microsoft365({ clientId: '' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });

  it('offers client credentials only with a credential; deleting is local (no request)', async () => {
    expect(microsoft365({ clientId: CLIENT_ID }).flows).toEqual(['device-code', 'authorization-code']);
    expect(microsoft365({ clientId: CLIENT_ID, clientSecret: 's' }).flows).toContain('client-credentials');
    const held: TokenSet = { accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', expiresAt: 0, flow: 'device-code' };
    await expect(microsoft365({ clientId: CLIENT_ID }).revoke?.(held, grantContext({ dispatcher: agent }))).resolves.toBeUndefined();
  });
});

describe('microsoft365: device polling with documented answers', () => {
  const poll = (adapter = microsoft365({ clientId: CLIENT_ID })) =>
    adapter.pollDeviceAuthorization(pending, request, grantContext({ dispatcher: agent }));

  it('authorization_pending → pending, slow_down → slow-down', async () => {
    interceptToken('organizations', 400, {
      error: 'authorization_pending',
      error_description: 'AADSTS70016: OAuth 2.0 device flow error. Authorization is pending.',
      error_codes: [70016],
    });
    expect(await poll()).toEqual({ kind: 'pending' });
    interceptToken('organizations', 400, { error: 'slow_down', error_codes: [] });
    expect(await poll()).toEqual({ kind: 'slow-down' });
  });

  it('authorization_declined → ERR_AUTHORIZATION_DENIED (definite), RFC 6749 fields kept', async () => {
    interceptToken('organizations', 400, {
      error: 'authorization_declined',
      error_description: 'AADSTS70000: The user declined.',
      error_codes: [70000],
      error_uri: 'https://login.microsoftonline.com/error?code=70000',
    });
    const err = await rejection(poll());
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({
      code: 'ERR_AUTHORIZATION_DENIED',
      kind: 'definite',
      error: 'authorization_declined',
      errorUri: 'https://login.microsoftonline.com/error?code=70000',
      status: 400,
    });
  });

  it('expired_token → ERR_AUTHORIZATION_EXPIRED', async () => {
    interceptToken('organizations', 400, { error: 'expired_token', error_codes: [70019] });
    expect(await rejection(poll())).toMatchObject({ code: 'ERR_AUTHORIZATION_EXPIRED', kind: 'definite' });
  });

  it('AADSTS7000218 (public client flows disabled) is a configuration error with the hint', async () => {
    interceptToken('organizations', 401, {
      error: 'invalid_client',
      error_description: "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      error_codes: [7000218],
    });
    const err = await rejection(poll());
    expect(err).toMatchObject({ code: 'ERR_OAUTH', kind: 'configuration', error: 'invalid_client', hint: AADSTS_HINTS[7000218] });
  });

  it('tokens with a valid ID token from the {tenantid} issuer: account taken from it', async () => {
    interceptKeys();
    interceptToken('organizations', 200, {
      access_token: 'at',
      refresh_token: 'rt',
      token_type: 'Bearer',
      expires_in: 3599,
      id_token: await idToken({}),
    });
    const result = await poll();
    expect(result).toEqual({
      kind: 'tokens',
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any, expect.objectContaining, ...) as any
      tokens: expect.objectContaining({ accessToken: 'at', refreshToken: 'rt', account: ACCOUNT, flow: 'device-code' }),
    });
  });

  it('another signed-in account → ERR_ACCOUNT_MISMATCH naming both', async () => {
    interceptKeys();
    interceptToken('organizations', 200, {
      access_token: 'at',
      token_type: 'Bearer',
      id_token: await idToken({ preferred_username: 'admin@contoso.com' }),
    });
    const err = await rejection(poll());
    expect(err).toMatchObject({ code: 'ERR_ACCOUNT_MISMATCH', params: { expected: ACCOUNT, actual: 'admin@contoso.com' } });
  });

  it('an ID token from another tenant than a GUID tenant, or without tid, is refused (ERR_ID_TOKEN)', async () => {
    const tenant = '00000000-1111-2222-3333-444444444444';
    interceptKeys(tenant);
    interceptToken(tenant, 200, { access_token: 'at', token_type: 'Bearer', id_token: await idToken({}) });
    const adapter = microsoft365({ clientId: CLIENT_ID, tenant });
    expect(await rejection(poll(adapter))).toMatchObject({ code: 'ERR_ID_TOKEN', kind: 'definite' });

    interceptKeys();
    interceptToken('organizations', 200, { access_token: 'at', token_type: 'Bearer', id_token: await idToken({}, 'not-a-guid') });
    expect(await rejection(poll())).toMatchObject({ code: 'ERR_ID_TOKEN' });
  });

  it('an ID token with a bad signature is refused', async () => {
    interceptKeys();
    const other = await generateKeyPair('RS256');
    const forged = await new SignJWT({ tid: TID, preferred_username: ACCOUNT })
      .setProtectedHeader({ alg: 'RS256', kid: 'ms-key' })
      .setIssuer(`${LOGIN}/${TID}/v2.0`)
      .setAudience(CLIENT_ID)
      .setSubject('s')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(other.privateKey);
    interceptToken('organizations', 200, { access_token: 'at', token_type: 'Bearer', id_token: forged });
    expect(await rejection(poll())).toMatchObject({ code: 'ERR_ID_TOKEN', kind: 'definite' });
  });
});

describe('microsoft365: refresh errors by the error field, hints by AADSTS number', () => {
  const held: TokenSet = {
    accessToken: 'a',
    refreshToken: 'r',
    tokenType: 'Bearer',
    expiresAt: 0,
    flow: 'authorization-code',
    account: ACCOUNT,
  };
  const refresh = () => microsoft365({ clientId: CLIENT_ID }).refresh(held, request, grantContext({ dispatcher: agent }));

  it.each([
    ['invalid_grant', 700082, 'definite'],
    ['invalid_grant', 70008, 'definite'],
    ['invalid_grant', 50173, 'definite'],
    ['invalid_grant', 65001, 'definite'],
    ['invalid_grant', 50076, 'definite'],
    ['invalid_grant', 53003, 'definite'],
    ['unauthorized_client', 700016, 'configuration'],
    ['invalid_request', 90002, 'configuration'],
    ['temporarily_unavailable', 50033, 'transient'],
    ['invalid_request', 90024, 'configuration'],
  ] as const)('%s with AADSTS%i → %s with its hint', async (error, number, kind) => {
    interceptToken('organizations', 400, { error, error_description: `AADSTS${number}: text.\r\nTrace ID: x`, error_codes: [number] });
    const err = await rejection(refresh());
    expect(err).toMatchObject({ code: 'ERR_OAUTH', kind, error, hint: AADSTS_HINTS[number] });
    expect(err.message).not.toContain('Trace ID');
  });

  it('429 with Retry-After → transient ERR_HTTP with the wait', async () => {
    interceptToken('organizations', 429, {}, { 'content-type': 'text/plain', 'retry-after': '30' });
    expect(await rejection(refresh())).toMatchObject({ code: 'ERR_HTTP', kind: 'transient', retryAfterMs: 30_000, responseCode: 429 });
  });

  it('never puts the refresh token into the error', async () => {
    interceptToken('organizations', 400, { error: 'invalid_grant', error_description: 'AADSTS700082: expired', error_codes: [700082] });
    const err = await rejection(refresh());
    expect(JSON.stringify(err.toJSON())).not.toContain('"r"');
    expect(err.message).not.toMatch(/\br\b/);
  });
});

describe('microsoft365: client credentials with a certificate', () => {
  it('signs a client assertion with x5t#S256 for the token endpoint and asks for .default', async () => {
    const certificate = selfSignedCertificate('printer');
    let sent = '';
    interceptToken('contoso.com', 200, { access_token: 'app-token', token_type: 'Bearer', expires_in: 3599 }, {}, (b) => (sent = b));
    const adapter = microsoft365({ clientId: CLIENT_ID, tenant: 'contoso.com', certificate });
    const start = await adapter.startAuthorization(
      { protocol: 'pop3', account: ACCOUNT, flow: 'client-credentials' },
      grantContext({ dispatcher: agent }),
    );
    expect(start).toEqual({
      kind: 'tokens',
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any, expect.objectContaining, ...) as any
      tokens: expect.objectContaining({ accessToken: 'app-token', flow: 'client-credentials', account: ACCOUNT }),
    });

    const params = new URLSearchParams(sent);
    expect(params.get('grant_type')).toBe('client_credentials');
    expect(params.get('scope')).toBe('https://outlook.office365.com/.default');
    expect(params.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const assertion = params.get('client_assertion') ?? '';
    const thumbprint = createHash('sha256').update(new X509Certificate(certificate.certificate).raw).digest('base64url');
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'PS256', 'x5t#S256': thumbprint });
    const { payload } = await jwtVerify(assertion, createPublicKey(certificate.privateKey), {
      issuer: CLIENT_ID,
      subject: CLIENT_ID,
      audience: `${LOGIN}/contoso.com/oauth2/v2.0/token`,
    });
    expect(payload.jti).toEqual(expect.any(String));
  });
});

describe('aadsts table', () => {
  it('reads the number from error_codes or the description', () => {
    expect(aadstsNumber({ error: 'invalid_client', errorCodes: [], errorDescription: 'AADSTS7000218: x', status: 401 })).toBe(7000218);
    expect(aadstsNumber({ error: 'invalid_client', errorCodes: [65001], status: 400 })).toBe(65001);
    expect(aadstsHint({ error: 'invalid_grant', errorCodes: [1], status: 400 })).toBeUndefined();
    expect(aadstsHint({ error: 'temporarily_unavailable', errorCodes: [], status: 503 })).toBe(AADSTS_HINTS[50033]);
  });
});
