import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMailOAuth, memoryStore, oidc, type MailOAuthEvent, type TokenStore } from '../../src/index.js';
import { CLIENTS, startOidcServer, type OidcServer } from '../peers/oidc-server.js';
import { completeDeviceFlow } from '../peers/oidc-user.js';
import { recordingLogger } from '../helpers/fake-provider.js';
import { ManualClock } from '../helpers/manual-clock.js';

const ACCOUNT = 'scanner@example.test';
const LINKED = ['smtp.services', 'smtp.quick', 'smtp.initialQuick'];

let server: OidcServer;
beforeAll(async () => {
  server = await startOidcServer();
});
afterAll(async () => {
  await server?.close();
});

/** A store that remembers every secret it was ever given, so a test can search output for all of them. */
function recordingStore(): { store: TokenStore; secrets: Set<string> } {
  const inner = memoryStore();
  const secrets = new Set<string>();
  const collect = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    for (const [key, field] of Object.entries(value)) {
      if (typeof field === 'string' && /^(accessToken|refreshToken|deviceCode|codeVerifier)$/.test(key)) secrets.add(field);
      else collect(field);
    }
  };
  const store = Object.create(inner) as TokenStore;
  store.set = async (key, value) => {
    collect(value);
    return inner.set(key, value);
  };
  return { store, secrets };
}

describe('lifecycle events against a real authorization server (oidc-provider on 127.0.0.1)', () => {
  it('sign-in, renewal and a disabled account give started, completed, renewed, invalid — with scope and linked pages, and no secret anywhere', async () => {
    const clock = new ManualClock(Date.now());
    const logger = recordingLogger();
    const { store, secrets } = recordingStore();
    const provider = oidc({
      id: 'corp',
      issuer: server.issuer,
      clientId: CLIENTS.public,
      scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' },
    });
    const device = await createMailOAuth({ providers: [provider], store, clock, logger, random: () => 0.5 });
    const events: MailOAuthEvent[] = [];
    const stop = device.subscribe((event) => events.push(event));
    const page = device.page('smtp.services');
    await page.configure({ authMethod: 'oauth2', provider: 'corp', account: ACCOUNT });

    const prompt = await page.getToken({ flow: 'device-code' });
    if (prompt.kind !== 'device-code') throw new Error('expected a device code prompt');
    await completeDeviceFlow(server.issuer, prompt.userCode, ACCOUNT);
    await clock.advance(5_000);
    await vi.waitFor(() => expect(page.status).toBe('acquired'), { timeout: 10_000 });
    const acquired = page.tokenInfo();
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any, expect.objectContaining, ...) as any
    expect(acquired).toMatchObject({ acquiredAt: clock.now(), expiresAt: expect.any(Number), nextRenewalAt: expect.any(Number) });
    expect(acquired.renewedAt).toBeUndefined();
    expect(acquired.scopes).toContain('mail');

    await clock.advance(60_000);
    await page.renewRejectedToken(await page.accessToken());
    expect(page.tokenInfo().renewedAt).toBe(clock.now());

    server.disableAccount(ACCOUNT);
    try {
      await page.renewRejectedToken(await page.accessToken()).catch(() => undefined);
    } finally {
      server.enableAccount(ACCOUNT);
    }
    expect(page.status).toBe('invalid');
    const info = device.page('smtp.quick').tokenInfo();
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any, expect.objectContaining, ...) as any
    expect(info).toMatchObject({ status: 'invalid', errorCode: 'ERR_TOKEN_REFRESH_FAILED', reasonCode: expect.stringMatching(/^ERR_/) });
    expect(device.localize(info.errorCode ?? 'OK')).toBe('Token update failed. Please delete the token and obtain it again.');

    const life = events.filter((e) =>
      ['authorization.started', 'authorization.completed', 'token.renewed', 'token.invalid'].includes(e.type),
    );
    expect(life.map((e) => e.type)).toEqual(['authorization.started', 'authorization.completed', 'token.renewed', 'token.invalid']);
    for (const event of life) {
      expect(event).toMatchObject({ scope: 'smtp.main', provider: 'corp', account: ACCOUNT });
      expect([...event.pages]).toEqual(LINKED);
      expect(event.at).toBeLessThanOrEqual(clock.now());
    }
    expect(life[0]).toMatchObject({ flow: 'device-code' });
    expect(life[3]).toMatchObject({ code: 'ERR_TOKEN_REFRESH_FAILED', reasonCode: info.reasonCode });

    // The logger hears the same facts, Invalid at warn.
    expect(logger.lines.some((line) => line.startsWith('warn token invalid') && line.includes('"scope":"smtp.main"'))).toBe(true);
    expect(logger.lines.some((line) => line.startsWith('info token renewed'))).toBe(true);

    // Every token, refresh token and device code the store ever held: in no event, no log line.
    expect(secrets.size).toBeGreaterThanOrEqual(5);
    const output = [...events.map((e) => JSON.stringify(e)), ...logger.lines].join('\n');
    for (const secret of secrets) expect(output).not.toContain(secret);

    stop();
    await page.deleteToken();
    await vi.waitFor(() => expect(logger.lines.some((line) => line.startsWith('info token deleted'))).toBe(true));
    expect(events.some((e) => e.type === 'token.deleted')).toBe(false);
    await device.close();
  });
});
