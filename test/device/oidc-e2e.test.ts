import { connect } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMailOAuth, memoryStore, oidc, type MailOAuth, type TokenStore } from '../../src/index.js';
import { CLIENTS, startOidcServer, type OidcServer } from '../peers/oidc-server.js';
import { completeAuthorizationCodeFlow, completeDeviceFlow } from '../peers/oidc-user.js';
import { recordingLogger } from '../helpers/fake-provider.js';
import { ManualClock } from '../helpers/manual-clock.js';

const ACCOUNT = 'scanner@example.test';
const REDIRECT = 'http://127.0.0.1/callback';

let server: OidcServer;

beforeAll(async () => {
  server = await startOidcServer({ redirectUris: [REDIRECT] });
});
afterAll(async () => {
  await server?.close();
});

/** A dispatcher whose connections can be made to fail, to take the token endpoint "down". */
function flakyAgent(): { agent: Agent; down: boolean } {
  const sockets = new Set<import('node:net').Socket>();
  let down = false;
  const state = {
    agent: undefined as unknown as Agent,
    get down() {
      return down;
    },
    set down(value: boolean) {
      down = value;
      // Kept-alive connections would bypass connect(): cut them too.
      if (value) for (const socket of sockets) socket.destroy();
    },
  };
  state.agent = new Agent({
    connect: (options, callback) => {
      if (down) {
        callback(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), null);
        return;
      }
      const socket = connect({ host: options.hostname, port: Number(options.port) });
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.once('connect', () => callback(null, socket));
      socket.once('error', (err) => callback(err, null));
    },
  });
  return state;
}

async function device(options: { store?: TokenStore; clock?: ManualClock; flaky?: ReturnType<typeof flakyAgent> } = {}) {
  const clock = options.clock ?? new ManualClock(Date.now());
  const store = options.store ?? memoryStore();
  const logger = recordingLogger();
  const flaky = options.flaky ?? flakyAgent();
  const provider = oidc({
    id: 'corp',
    issuer: server.issuer,
    clientId: CLIENTS.public,
    scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' },
  });
  const mail: MailOAuth = await createMailOAuth({
    providers: [provider],
    store,
    clock,
    logger,
    dispatcher: flaky.agent,
    random: () => 0.5,
  });
  await mail.page('smtp.services').configure({ authMethod: 'oauth2', provider: 'corp', account: ACCOUNT });
  return { mail, clock, store, logger, flaky, provider };
}

async function acquireByDeviceCode(setup: Awaited<ReturnType<typeof device>>): Promise<void> {
  const page = setup.mail.page('smtp.services');
  const prompt = await page.getToken({ flow: 'device-code' });
  if (prompt.kind !== 'device-code') throw new Error('expected a device code prompt');
  await completeDeviceFlow(server.issuer, prompt.userCode, ACCOUNT);
  await setup.clock.advance(5_000);
  await vi.waitFor(() => expect(page.status).toBe('acquired'), { timeout: 10_000 });
}

describe('Get Token against a real authorization server (oidc-provider on 127.0.0.1)', () => {
  it('device code: Waiting for Authorization until the user finishes, then Acquired, polling stops', async () => {
    const setup = await device();
    const page = setup.mail.page('smtp.quick');
    const polls = () => server.tokenRequests.get('urn:ietf:params:oauth:grant-type:device_code') ?? 0;
    const before = polls();
    const prompt = await setup.mail.page('smtp.services').getToken({ flow: 'device-code' });
    if (prompt.kind !== 'device-code') throw new Error('expected a device code prompt');
    expect(prompt.verificationUri).toBe(`${server.issuer}/device`);
    await setup.clock.advance(5_000);
    await vi.waitFor(() => expect(polls()).toBe(before + 1));
    expect(page.status).toBe('waiting-for-authorization');
    await completeDeviceFlow(server.issuer, prompt.userCode, ACCOUNT);
    expect(page.status).toBe('waiting-for-authorization');
    await setup.clock.advance(5_000);
    await vi.waitFor(() => expect(page.status).toBe('acquired'));
    await setup.clock.advance(60_000);
    expect(polls()).toBe(before + 2);
    expect(page.tokenInfo().account).toBe(ACCOUNT);
    expect(setup.mail.page('smtp.alert').status).toBe('not-acquired');
    await setup.mail.close();
  });

  it('denial ends Not Acquired with a coded reason', async () => {
    const setup = await device();
    const page = setup.mail.page('smtp.services');
    const prompt = await page.getToken({ flow: 'device-code' });
    if (prompt.kind !== 'device-code') throw new Error('expected a device code prompt');
    const settled = page.waitForAuthorization().then(
      () => undefined,
      (err: unknown) => err,
    );
    await completeDeviceFlow(server.issuer, prompt.userCode, ACCOUNT, 'deny');
    await setup.clock.advance(5_000);
    expect(await settled).toMatchObject({ code: 'ERR_AUTHORIZATION_DENIED' });
    expect(page.status).toBe('not-acquired');
    await setup.mail.close();
  });

  it('authorization code + PKCE through the page, refusing a forged redirect first', async () => {
    const setup = await device();
    const page = setup.mail.page('smtp.initialQuick');
    const prompt = await page.getToken({ flow: 'authorization-code', redirectUri: REDIRECT });
    if (prompt.kind !== 'redirect') throw new Error('expected a redirect prompt');
    const callback = await completeAuthorizationCodeFlow(prompt.url, ACCOUNT, REDIRECT);
    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged');
    await expect(page.completeAuthorization(forged.href)).rejects.toMatchObject({ code: 'ERR_STATE_MISMATCH' });
    expect(page.status).toBe('waiting-for-authorization');
    await page.completeAuthorization(callback);
    expect(setup.mail.page('smtp.services').status).toBe('acquired');
    await setup.mail.close();
  });

  it('signing in as another user than the account entered is refused and nothing is stored', async () => {
    const setup = await device();
    const page = setup.mail.page('smtp.services');
    const prompt = await page.getToken({ flow: 'device-code' });
    if (prompt.kind !== 'device-code') throw new Error('expected a device code prompt');
    const settled = page.waitForAuthorization().then(
      () => undefined,
      (err: unknown) => err,
    );
    await completeDeviceFlow(server.issuer, prompt.userCode, 'admin@example.test');
    await setup.clock.advance(5_000);
    const error = await settled;
    expect(error).toMatchObject({ code: 'ERR_ACCOUNT_MISMATCH', params: { expected: ACCOUNT, actual: 'admin@example.test' } });
    expect(page.status).toBe('not-acquired');
    const stored = JSON.stringify(await setup.store.get('smtp.main'));
    expect(stored).not.toMatch(/accessToken|refreshToken/);
    await setup.mail.close();
  });

  it('rotation: every renewal stores the newest refresh token before the access token is used', async () => {
    const setup = await device();
    await acquireByDeviceCode(setup);
    const page = setup.mail.page('smtp.services');
    const record = async () => (await setup.store.get('smtp.main')) as { tokens: { refreshToken: string; accessToken: string } };
    const first = await record();
    let token = await page.accessToken();
    for (let i = 0; i < 3; i++) {
      token = await page.renewRejectedToken(token);
      const stored = await record();
      expect(stored.tokens.accessToken).toBe(token);
      expect(stored.tokens.refreshToken).not.toBe(first.tokens.refreshToken);
    }
    // The first refresh token was rotated out: spending it now is a definite failure at the server.
    await expect(
      setup.provider.refresh(
        {
          ...(await record()).tokens,
          refreshToken: first.tokens.refreshToken,
          tokenType: 'Bearer',
          expiresAt: 0,
          flow: 'device-code',
        } as never,
        { protocol: 'smtp', account: ACCOUNT, flow: 'device-code' },
        { signal: new AbortController().signal, dispatcher: undefined, clock: setup.clock, logger: setup.logger },
      ),
    ).rejects.toMatchObject({ kind: 'definite' });
    await setup.mail.close();
  });

  it('a revoked grant ends Invalid with the manual message', async () => {
    const setup = await device();
    await acquireByDeviceCode(setup);
    const page = setup.mail.page('smtp.services');
    const stored = (await setup.store.get('smtp.main')) as { tokens: Parameters<NonNullable<typeof setup.provider.revoke>>[0] };
    await setup.provider.revoke?.(stored.tokens, {
      signal: new AbortController().signal,
      dispatcher: undefined,
      clock: setup.clock,
      logger: setup.logger,
    });
    const error = await page.renewRejectedToken(await page.accessToken()).catch((err: unknown) => err);
    expect(error).toMatchObject({
      code: 'ERR_TOKEN_REFRESH_FAILED',
      message: 'Token update failed. Please delete the token and obtain it again.',
    });
    expect(setup.mail.page('smtp.quick').status).toBe('invalid');
    await setup.mail.close();
  });

  it('a disabled account ends Invalid', async () => {
    const setup = await device();
    await acquireByDeviceCode(setup);
    server.disableAccount(ACCOUNT);
    try {
      const page = setup.mail.page('smtp.services');
      await page.renewRejectedToken(await page.accessToken()).catch(() => undefined);
      expect(page.status).toBe('invalid');
    } finally {
      server.enableAccount(ACCOUNT);
    }
    await setup.mail.close();
  });

  it('token endpoint down: no false Invalid, the old token serves until expiry, Acquired and renewed once it recovers', async () => {
    const setup = await device();
    await acquireByDeviceCode(setup);
    const page = setup.mail.page('smtp.services');
    const old = await page.accessToken();
    setup.flaky.down = true;
    const error = await page.renewRejectedToken(old).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ERR_TOKEN_REFRESH_UNAVAILABLE', kind: 'transient' });
    expect(page.status).toBe('acquired');
    expect(await page.accessToken()).toBe(old);
    setup.flaky.down = false;
    await setup.clock.advance(2_000);
    await vi.waitFor(async () => expect(await page.accessToken()).not.toBe(old));
    expect(page.status).toBe('acquired');
    expect(setup.logger.lines.join('\n')).not.toContain(old);
    await setup.mail.close();
  });
});
