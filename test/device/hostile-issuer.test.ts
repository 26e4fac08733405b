/**
 * The device against a hostile issuer on 127.0.0.1 that echoes every request — body, headers,
 * the Basic credentials — in its error answers. Nothing the device sent may come back out of
 * it: not in a thrown error (message, cause chain, inspect, JSON), a log line,
 * `tokenInfo()` or a connection test. Also: issuer-driven tight loops are bounded, and a 2xx
 * answer the device refuses ends the device authorization without another poll.
 */
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMailOAuth, memoryStore, oidc, type MailOAuth } from '../../src/index.js';
import { recordingLogger } from '../helpers/fake-provider.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { DEVICE_CODE_GRANT, startHostileIssuer, type HostileIssuer } from '../peers/hostile-issuer.js';
import { selfSignedCertificate } from '../helpers/self-signed.js';

const ACCOUNT = 'scanner@example.test';
const CLIENT_ID = 'printer';
const CLIENT_SECRET = 'hostile-test-client-secret/with+special=chars';
const REDIRECT = 'http://127.0.0.1/callback';
const SECRET_PARAMS = ['client_secret', 'refresh_token', 'code', 'code_verifier', 'device_code', 'client_assertion', 'assertion', 'token'];

let issuer: HostileIssuer;
let certificate: { privateKey: string; certificate: string };

beforeAll(async () => {
  issuer = await startHostileIssuer({ clientId: CLIENT_ID, account: ACCOUNT });
  certificate = selfSignedCertificate('mail-oauth-hostile');
});
afterAll(async () => {
  await issuer?.close();
});

/** Every secret value the device sent the issuer so far, with the parts of the Basic header. */
function sentSecrets(): string[] {
  const secrets = new Set<string>([CLIENT_SECRET]);
  for (const request of issuer.requests) {
    for (const name of SECRET_PARAMS) {
      const value = request.params[name];
      if (value !== undefined) secrets.add(value);
    }
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const basic = authorization.replace(/^Basic\s+/i, '');
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      secrets.add(authorization).add(basic).add(decoded).add(decodeURIComponent(decoded));
      secrets.add(decoded.slice(decoded.indexOf(':') + 1));
    }
  }
  return [...secrets];
}

/** Everything an error shows: message, each cause, inspect and JSON. */
function errorText(err: unknown): string {
  const parts: string[] = [inspect(err, { depth: 10 }), JSON.stringify(err)];
  let current: unknown = err;
  for (let i = 0; i < 10 && current instanceof Error; i++) {
    parts.push(current.message, String(current.stack));
    current = current.cause;
  }
  return parts.join('\n');
}

/** Neither a sent secret nor its first or last 12 characters (a truncated echo) may appear. */
function expectClean(where: string, text: string): void {
  for (const secret of sentSecrets()) {
    for (const part of new Set([secret, secret.slice(0, 12), secret.slice(-12)])) {
      expect(text.includes(part), `${where} contains a sent secret (${secret.slice(0, 6)}…)`).toBe(false);
    }
  }
}

interface Setup {
  mail: MailOAuth;
  clock: ManualClock;
  logger: ReturnType<typeof recordingLogger>;
}

let current: Setup | undefined;
afterEach(async () => {
  await current?.mail.close();
  current = undefined;
  issuer.script = {};
  issuer.fallback = {};
  issuer.revocation = 'ok';
});

async function device(
  credentials: { clientSecret: string } | { certificate: typeof certificate } = { clientSecret: CLIENT_SECRET },
): Promise<Setup> {
  const clock = new ManualClock(Date.now());
  const logger = recordingLogger();
  const provider = oidc({
    id: 'hostile',
    issuer: issuer.issuer,
    clientId: CLIENT_ID,
    ...credentials,
    scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' },
  });
  const mail = await createMailOAuth({ providers: [provider], store: memoryStore(), clock, logger, random: () => 0.5 });
  for (const id of ['smtp.services', 'smtp.alert']) {
    await mail
      .page(id)
      .configure({ server: '127.0.0.1', port: 1, security: 'starttls', authMethod: 'oauth2', provider: 'hostile', account: ACCOUNT });
  }
  current = { mail, clock, logger };
  return current;
}

async function signInByDeviceCode(setup: Setup, pageId = 'smtp.services'): Promise<void> {
  issuer.script[DEVICE_CODE_GRANT] = ['pending'];
  const page = setup.mail.page(pageId);
  await page.getToken({ flow: 'device-code' });
  await setup.clock.advance(5_000);
  await vi.waitFor(() => expect(issuer.grants(DEVICE_CODE_GRANT).length).toBeGreaterThan(0));
  await setup.clock.advance(5_000);
  await vi.waitFor(() => expect(page.status).toBe('acquired'));
}

async function expectNothingLeaked(setup: Setup, errors: unknown[]): Promise<void> {
  for (const [i, err] of errors.entries()) expectClean(`error ${i}`, errorText(err));
  expectClean('log lines', setup.logger.lines.join('\n'));
  for (const id of ['smtp.services', 'smtp.alert']) {
    const page = setup.mail.page(id);
    expectClean(`${id} tokenInfo`, JSON.stringify(page.tokenInfo()));
    expectClean(`${id} testConnection`, JSON.stringify(await page.testConnection()));
  }
}

describe('a hostile issuer that echoes every request in its errors', () => {
  it('device code, refresh failing definitively, client credentials, authorization code and revocation leak nothing', async () => {
    const setup = await device();
    const errors: unknown[] = [];
    const page = setup.mail.page('smtp.services');

    // Device code: an echoed authorization_pending, then tokens.
    await signInByDeviceCode(setup);
    const firstAccess = await page.accessToken();

    // A 500 whose whole body is the echo: transient, the token stays.
    issuer.script.refresh_token = ['plain-500-echo', 'json-400-echo'];
    errors.push(await page.renewRejectedToken(firstAccess).catch((err: unknown) => err));
    errors.push(await page.renewRejectedToken(firstAccess).catch((err: unknown) => err));
    expect(page.status).toBe('acquired');

    // invalid_grant with the echo in error_description and error_uri: Invalid, and every later call carries the reason.
    issuer.script.refresh_token = ['invalid-grant-echo'];
    const refreshError = await page.renewRejectedToken(firstAccess).catch((err: unknown) => err);
    errors.push(refreshError, await page.accessToken().catch((err: unknown) => err));
    expect(page.status).toBe('invalid');
    expect(errorText(refreshError)).toContain('invalid_grant');
    expect(issuer.grants('refresh_token').length).toBe(3);

    // Client credentials with the secret in a Basic header: 401 invalid_client echoing it, AADSTS hint kept.
    issuer.script.client_credentials = ['invalid-client-echo'];
    const alert = setup.mail.page('smtp.alert');
    const ccError = await alert.getToken({ flow: 'client-credentials' }).catch((err: unknown) => err);
    errors.push(ccError);
    expect(ccError).toMatchObject({ code: 'ERR_OAUTH', error: 'invalid_client' });
    // The provider's own words stay, the echoed request does not.
    expect((ccError as Error).message).toContain('invalid_client: AADSTS7000215: Invalid client secret provided.');

    // Authorization code + PKCE: the code exchange is answered with the echo of code and verifier.
    await page.deleteToken();
    const prompt = await page.getToken({ flow: 'authorization-code', redirectUri: REDIRECT });
    if (prompt.kind !== 'redirect') throw new Error('expected a redirect prompt');
    const state = new URL(prompt.url).searchParams.get('state') ?? '';
    issuer.script.authorization_code = ['invalid-grant-echo'];
    errors.push(
      await page
        .completeAuthorization(`${REDIRECT}?code=hostile-authorization-code-0123456789&state=${state}`)
        .catch((err: unknown) => err),
    );
    expect(issuer.grants('authorization_code').length).toBe(1);

    // Revocation of a fresh grant answered with the echo (400, then a 500 body): logged, never thrown.
    await signInByDeviceCode(setup);
    issuer.revocation = 'invalid-grant-echo';
    await page.deleteToken();
    await signInByDeviceCode(setup);
    issuer.revocation = 'plain-500-echo';
    await page.deleteToken();
    await vi.waitFor(() => expect(issuer.requests.filter((r) => r.path === '/revoke').length).toBe(2));
    await vi.waitFor(() => expect(setup.logger.lines.filter((l) => l.includes('revocation failed')).length).toBe(2));

    // Sanity: the device really sent each kind of secret, and the issuer really echoed it.
    const kinds = new Set(issuer.requests.flatMap((r) => Object.keys(r.params)));
    for (const name of ['device_code', 'refresh_token', 'code', 'code_verifier', 'token']) expect(kinds, name).toContain(name);
    expect(issuer.requests.every((r) => r.path !== '/token' || r.headers.authorization?.startsWith('Basic '))).toBe(true);

    await expectNothingLeaked(setup, errors);
  });

  it('a client assertion (certificate) echoed back leaks nothing', async () => {
    const setup = await device({ certificate });
    issuer.script.client_credentials = ['invalid-client-echo'];
    const error = await setup.mail
      .page('smtp.alert')
      .getToken({ flow: 'client-credentials' })
      .catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ERR_OAUTH', error: 'invalid_client' });
    expect(issuer.grants('client_credentials').at(-1)?.params.client_assertion).toMatch(/^ey/);
    await expectNothingLeaked(setup, [error]);
  });
});

describe('issuer-driven tight loops are bounded', () => {
  it('an interval of 0.001 s is polled at most once a second', async () => {
    const fast = await startHostileIssuer({ clientId: CLIENT_ID, account: ACCOUNT, interval: 0.001 });
    try {
      fast.fallback[DEVICE_CODE_GRANT] = 'pending';
      const clock = new ManualClock(Date.now());
      const provider = oidc({
        id: 'hostile',
        issuer: fast.issuer,
        clientId: CLIENT_ID,
        scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' },
      });
      const mail = await createMailOAuth({
        providers: [provider],
        store: memoryStore(),
        clock,
        logger: recordingLogger(),
        random: () => 0.5,
      });
      current = { mail, clock, logger: recordingLogger() };
      const page = mail.page('smtp.services');
      await page.configure({ authMethod: 'oauth2', provider: 'hostile', account: ACCOUNT });
      await page.getToken({ flow: 'device-code' });
      // 10 s of device time in 50 ms steps, each with a moment of real time for the HTTP round trip.
      for (let i = 0; i < 200; i++) {
        await clock.advance(50);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const polls = fast.grants(DEVICE_CODE_GRANT).length;
      expect(polls).toBeGreaterThanOrEqual(5);
      expect(polls).toBeLessThanOrEqual(11);
    } finally {
      await fast.close();
    }
  });

  it('a refresh answer with expires_in 0.001 is a protocol error retried with back-off, not a renewal loop', async () => {
    const setup = await device();
    const page = setup.mail.page('smtp.services');
    await signInByDeviceCode(setup);
    const first = await page.accessToken();
    issuer.fallback.refresh_token = 'short-lived';
    const before = issuer.grants('refresh_token').length;
    const error = await page.renewRejectedToken(first).catch((err: unknown) => err);
    // 30 s of device time in 100 ms steps, each with a moment of real time for the HTTP round trip.
    for (let i = 0; i < 300; i++) {
      await setup.clock.advance(100);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const refreshes = issuer.grants('refresh_token').length - before;
    // Back-off of 2 s doubling: about 4 attempts in 30 s; a loop would make hundreds.
    expect(refreshes).toBeLessThanOrEqual(8);
    expect(error).toMatchObject({ kind: 'transient' });
    expect(errorText(error)).toMatch(/ERR_PROTOCOL|expires_in/);
    expect(page.status).toBe('acquired');
    expect(await page.accessToken()).toBe(first);
  });
});

describe('a 2xx answer the device refuses ends the device authorization', () => {
  it.each(['bad-200-echo', 'short-lived'] as const)(
    '%s: Not Acquired with the error, the device code is not sent again',
    async (script) => {
      const setup = await device();
      const page = setup.mail.page('smtp.services');
      issuer.script[DEVICE_CODE_GRANT] = [script];
      const before = issuer.grants(DEVICE_CODE_GRANT).length;
      await page.getToken({ flow: 'device-code' });
      const settled = page.waitForAuthorization().then(
        () => undefined,
        (err: unknown) => err,
      );
      await setup.clock.advance(5_000);
      const error = await settled;
      expect(error).toMatchObject({ code: 'ERR_AUTHORIZATION_FAILED' });
      expect(page.status).toBe('not-acquired');
      expect(page.tokenInfo().errorCode).toBe('ERR_AUTHORIZATION_FAILED');
      await setup.clock.advance(60_000);
      expect(issuer.grants(DEVICE_CODE_GRANT).length - before).toBe(1);
      await expectNothingLeaked(setup, [error]);
    },
  );
});
