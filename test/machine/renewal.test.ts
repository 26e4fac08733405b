import { describe, expect, it } from 'vitest';
import type { TokenSet } from '../../src/oauth/types.js';
import { configureOAuth, makeDevice } from '../helpers/device.js';
import { invalidGrant, serverDown } from '../helpers/fake-provider.js';

async function acquired(options: Parameters<typeof makeDevice>[0] = {}) {
  const setup = await makeDevice(options);
  await configureOAuth(setup.device, 'smtp.services');
  setup.provider.pollQueue.push('tokens');
  await setup.device.page('smtp.services').getToken();
  await setup.clock.advance(5_000);
  expect(setup.device.page('smtp.services').status).toBe('acquired');
  return setup;
}

describe('renewal', () => {
  it('10,000 concurrent accessToken() callers at expiry cause exactly one refresh', async () => {
    const { device, clock, provider } = await acquired({ refreshMarginMs: 0 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    provider.onRefresh = async (tokens: TokenSet) => {
      await gate;
      return provider.issue(tokens.flow, undefined);
    };
    // At expiry the renewal starts and is held open while 10,000 callers arrive.
    const expiry = clock.nextTimerAt() as number;
    await clock.advance(expiry - clock.now());
    expect(provider.calls.refresh).toBe(1);
    const pages = ['smtp.services', 'smtp.quick', 'smtp.initialQuick'];
    const callers = Array.from({ length: 10_000 }, (_, i) => device.page(pages[i % 3] as string).accessToken());
    await clock.advance(0);
    release();
    const tokens = await Promise.all(callers);
    expect(provider.calls.refresh).toBe(1);
    expect(new Set(tokens)).toEqual(new Set([provider.issued.at(-1)]));
    await device.close();
  });

  it('renews proactively at expiresAt − margin (default 10 minutes), by a computed timer', async () => {
    const { device, clock, provider } = await acquired();
    const issuedAt = clock.now();
    expect(clock.nextTimerAt()).toBe(issuedAt + 3_600_000 - 600_000);
    await clock.advance(3_600_000 - 600_000 - 1);
    expect(provider.calls.refresh).toBe(0);
    await clock.advance(1);
    expect(provider.calls.refresh).toBe(1);
    expect(await device.page('smtp.quick').accessToken()).toBe(provider.issued.at(-1));
    await device.close();
  });

  it('a transient failure keeps Acquired and the old token until it expires, then retries with back-off', async () => {
    const { device, clock, provider } = await acquired();
    const first = await device.page('smtp.services').accessToken();
    const expiresAt = clock.now() + 3_600_000 - 5_000 + 5_000;
    provider.onRefresh = async () => {
      throw serverDown();
    };
    await clock.advance(3_000_000); // margin reached: first attempt fails
    expect(provider.calls.refresh).toBe(1);
    expect(device.page('smtp.services').status).toBe('acquired');
    expect(await device.page('smtp.quick').accessToken()).toBe(first);

    // Back-off: 2 s ceiling with half-jitter at random 0.5 → 1.5 s, then 3 s, 6 s …
    await clock.advance(1_499);
    expect(provider.calls.refresh).toBe(1);
    await clock.advance(1);
    expect(provider.calls.refresh).toBe(2);
    await clock.advance(3_000);
    expect(provider.calls.refresh).toBe(3);
    expect(device.page('smtp.services').status).toBe('acquired');

    // After expiry, a caller gets a coded transient error (never Invalid) …
    await clock.advance(expiresAt - clock.now() + 1);
    const error = await device
      .page('smtp.services')
      .accessToken()
      .catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ERR_TOKEN_REFRESH_UNAVAILABLE', kind: 'transient' });
    expect(device.page('smtp.services').status).toBe('acquired');

    // … and once the endpoint recovers the next attempt succeeds.
    provider.onRefresh = undefined;
    await clock.advance(300_000);
    expect(await device.page('smtp.services').accessToken()).toBe(provider.issued.at(-1));
    expect(provider.issued.at(-1)).not.toBe(first);
    await device.close();
  });

  it('a definite failure goes to Invalid at once, without retrying', async () => {
    const { device, clock, provider } = await acquired();
    provider.onRefresh = async () => {
      throw invalidGrant();
    };
    await clock.advance(3_000_000);
    expect(provider.calls.refresh).toBe(1);
    expect(device.page('smtp.services').status).toBe('invalid');
    await clock.advance(3_600_000);
    expect(provider.calls.refresh).toBe(1);
    await device.close();
  });

  it('a token the server rejected is renewed once for all callers that report it', async () => {
    const { device, provider } = await acquired();
    const page = device.page('smtp.services');
    const rejected = await page.accessToken();
    const renewed = await Promise.all(Array.from({ length: 50 }, () => page.renewRejectedToken(rejected)));
    expect(provider.calls.refresh).toBe(1);
    expect(new Set(renewed)).toEqual(new Set([provider.issued.at(-1)]));
    expect(await page.renewRejectedToken(rejected)).toBe(provider.issued.at(-1));
    expect(provider.calls.refresh).toBe(1);
    await device.close();
  });

  it('two devices on one store: the second adopts the token the first renewed instead of spending the rotated-out refresh token', async () => {
    const first = await acquired();
    const second = await makeDevice({ store: first.store, clock: first.clock });
    expect(await second.device.page('smtp.quick').accessToken()).toBe(await first.device.page('smtp.services').accessToken());
    // Renewed tokens live 1 minute: shorter than the 10-minute margin, so the margin is capped at half their life.
    first.provider.lifetimeMs = 60_000;
    second.provider.lifetimeMs = 60_000;
    await first.clock.advance(3_000_000);
    expect(first.provider.calls.refresh + second.provider.calls.refresh).toBe(1);
    expect(await second.device.page('smtp.quick').accessToken()).toBe(await first.device.page('smtp.services').accessToken());
    // The adopted token is renewed again at its own due time, once.
    await first.clock.advance(30_000);
    expect(first.provider.calls.refresh + second.provider.calls.refresh).toBe(2);
    await Promise.all([first.device.close(), second.device.close()]);
  });

  it('a renewed token that lives shorter than the one it replaces is still stored (lifetimes vary)', async () => {
    const { device, provider, store } = await acquired();
    provider.lifetimeMs = 60_000;
    const page = device.page('smtp.services');
    const renewed = await page.renewRejectedToken(await page.accessToken());
    const stored = (await store.get('smtp.main')) as { tokens: { accessToken: string; refreshToken: string } };
    expect(stored.tokens.accessToken).toBe(renewed);
    expect(stored.tokens.refreshToken).toBe(renewed.replace('access-', 'refresh-'));
    await device.close();
  });

  it('short-lived tokens renew at half their life, not in a loop', async () => {
    const setup = await makeDevice();
    setup.provider.lifetimeMs = 2_000;
    await configureOAuth(setup.device, 'pop.emailStatus');
    setup.provider.pollQueue.push('tokens');
    await setup.device.page('pop.emailStatus').getToken();
    await setup.clock.advance(5_000);
    expect(setup.provider.calls.refresh).toBe(0);
    await setup.clock.advance(10_000);
    expect(setup.provider.calls.refresh).toBe(10);
    await setup.device.close();
  });
});

describe('renewal blocked by a configuration problem', () => {
  it('keeps the token Acquired, retries, and the connection test carries the provider hint', async () => {
    const { OAuthError } = await import('../../src/index.js');
    const setup = await makeDevice();
    await configureOAuth(setup.device, 'smtp.services');
    setup.provider.pollQueue.push('tokens');
    await setup.device.page('smtp.services').getToken();
    await setup.clock.advance(5_000);
    setup.provider.onRefresh = async () => {
      throw new OAuthError(
        'ERR_OAUTH',
        'invalid_client',
        { error: 'invalid_client', status: 401 },
        {
          kind: 'configuration',
          hint: 'Enable "Allow public client flows" in the app registration (AADSTS7000218)',
        },
      );
    };
    await setup.clock.advance(3_700_000);
    const page = setup.device.page('smtp.services');
    expect(page.status).toBe('acquired');
    expect(setup.provider.calls.refresh).toBeGreaterThan(3);
    const report = await page.testConnection({ locale: 'en' });
    expect(report).toMatchObject({
      ok: false,
      code: 'ERR_TOKEN_REFRESH_UNAVAILABLE',
      message: 'The token could not be updated right now. The device will retry.',
      hint: 'Enable "Allow public client flows" in the app registration (AADSTS7000218)',
    });
    await setup.device.close();
  });
});
