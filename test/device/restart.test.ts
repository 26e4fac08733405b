import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/index.js';
import type { TokenStore } from '../../src/store/types.js';
import { ACCOUNT, configureOAuth, makeDevice } from '../helpers/device.js';
import { invalidGrant } from '../helpers/fake-provider.js';
import { ManualClock } from '../helpers/manual-clock.js';

describe('restart', () => {
  it('statuses, settings and tokens of every page come back from the store', async () => {
    const store = memoryStore();
    const clock = new ManualClock();
    const first = await makeDevice({ store, clock });
    await first.device.page('smtp.quick').configure({
      server: 'smtp.office365.com',
      port: 587,
      security: 'starttls',
      timeout: 30_000,
      senderName: 'Scanner 3F',
      senderAddress: 'scanner@contoso.example',
      authMethod: 'oauth2',
      provider: 'fake',
      account: ACCOUNT,
    });
    await configureOAuth(first.device, 'smtp.alert', 'alerts@contoso.example');
    await configureOAuth(first.device, 'pop.emailStatus');
    await configureOAuth(first.device, 'pop.emailPrint');
    first.provider.pollQueue.push('tokens');
    await first.device.page('smtp.quick').getToken();
    await first.clock.advance(5_000);
    first.provider.pollQueue.push('tokens');
    await first.device.page('pop.emailStatus').getToken();
    await first.clock.advance(5_000);
    await first.device.page('smtp.alert').getToken(); // left waiting
    first.provider.onRefresh = async () => {
      throw invalidGrant();
    };
    await first.device
      .page('pop.emailStatus')
      .renewRejectedToken(await first.device.page('pop.emailStatus').accessToken())
      .catch(() => undefined);
    const smtpToken = await first.device.page('smtp.services').accessToken();
    const before = Object.fromEntries(first.device.pages().map((p) => [p.id, { status: p.status, settings: p.settings }]));
    await first.device.close();

    const second = await makeDevice({ store, clock });
    const after = Object.fromEntries(second.device.pages().map((p) => [p.id, { status: p.status, settings: p.settings }]));
    expect(after).toEqual(before);
    expect(after).toMatchObject({
      'smtp.services': { status: 'acquired' },
      'smtp.initialQuick': { status: 'acquired' },
      'smtp.alert': { status: 'waiting-for-authorization' },
      'pop.emailStatus': { status: 'invalid' },
      'pop.emailPrint': { status: 'not-acquired' },
      'pop.internetFax': { status: 'not-acquired' },
    });
    expect(await second.device.page('smtp.initialQuick').accessToken()).toBe(smtpToken);
    expect(second.provider.calls.refresh).toBe(0);
    // The restored device-code authorization keeps polling.
    second.provider.pollQueue.push('tokens');
    await second.clock.advance(5_000);
    expect(second.device.page('smtp.alert').status).toBe('acquired');
    await second.device.close();
  });

  it('an authorization that expired while the device was off comes back Not Acquired', async () => {
    const store = memoryStore();
    const clock = new ManualClock();
    const first = await makeDevice({ store, clock });
    await configureOAuth(first.device, 'smtp.alert');
    await first.device.page('smtp.alert').getToken();
    await first.device.close();
    await clock.advance(901_000);
    const second = await makeDevice({ store, clock });
    expect(second.device.page('smtp.alert').status).toBe('not-acquired');
    expect(second.device.page('smtp.alert').settings.account).toBe(ACCOUNT);
    await second.device.close();
  });

  it('an expired token restored after a long power-off is renewed on first use', async () => {
    const store = memoryStore();
    const clock = new ManualClock();
    const first = await makeDevice({ store, clock });
    await configureOAuth(first.device, 'pop.emailPrint');
    first.provider.pollQueue.push('tokens');
    await first.device.page('pop.emailPrint').getToken();
    await first.clock.advance(5_000);
    await first.device.close();
    await clock.advance(30 * 86_400_000);
    const second = await makeDevice({ store, clock });
    const token = await second.device.page('pop.emailPrint').accessToken();
    expect(second.provider.calls.refresh).toBe(1);
    expect(token).toBe(second.provider.issued.at(-1));
    await second.device.close();
  });

  it('with persistRefreshTokens: false the refresh token never reaches the store, and after restart the page says why it needs a new token', async () => {
    const writes: unknown[] = [];
    const inner = memoryStore();
    const store: TokenStore = {
      ...inner,
      set: async (key, value) => {
        writes.push(structuredClone(value));
        await inner.set(key, value);
      },
    };
    const clock = new ManualClock();
    const first = await makeDevice({ store, clock, persistRefreshTokens: false });
    await configureOAuth(first.device, 'smtp.services');
    first.provider.pollQueue.push('tokens');
    await first.device.page('smtp.services').getToken();
    await first.clock.advance(5_000);
    await first.clock.advance(3_000_000); // renews with the in-memory refresh token
    expect(first.provider.calls.refresh).toBe(1);
    await first.device.close();
    expect(JSON.stringify(writes)).not.toMatch(/refresh-secret/);

    const second = await makeDevice({ store, clock, persistRefreshTokens: false });
    expect(second.device.page('smtp.services').status).toBe('acquired');
    await second.clock.advance(3_600_000);
    expect(second.device.page('smtp.services').status).toBe('invalid');
    const error = await second.device
      .page('smtp.quick')
      .accessToken()
      .catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ERR_NO_REFRESH_TOKEN', hint: 'Refresh tokens are not stored on this device by policy.' });
    expect(second.provider.calls.refresh).toBe(0);
    await second.device.close();
  });

  it('a record from a newer firmware is a coded error, not a reset', async () => {
    const store = memoryStore();
    await store.set('smtp.main', { v: 99, settings: {}, phase: 'acquired' });
    await expect(makeDevice({ store })).rejects.toMatchObject({ code: 'ERR_STORE_VERSION' });
    expect(await store.get('smtp.main')).toEqual({ v: 99, settings: {}, phase: 'acquired' });
    await store.set('smtp.main', { v: 1, settings: {}, phase: 'sideways' });
    await expect(makeDevice({ store })).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' });
  });
});
