import { describe, expect, it } from 'vitest';
import type { MailOAuthEvent } from '../../src/index.js';
import { configureOAuth, makeDevice } from '../helpers/device.js';

const DAY = 24 * 3_600_000;

/** A device whose access tokens live 10 days, so that only the keep-alive (default 3 days) renews within a week. */
async function acquiredLongLived() {
  const setup = await makeDevice();
  setup.provider.lifetimeMs = 10 * DAY;
  const events: MailOAuthEvent[] = [];
  setup.device.subscribe((event) => events.push(event));
  await configureOAuth(setup.device, 'smtp.services');
  setup.provider.pollQueue.push('tokens');
  await setup.device.page('smtp.services').getToken();
  await setup.clock.advance(5_000);
  expect(setup.device.page('smtp.services').status).toBe('acquired');
  return { ...setup, events };
}

describe('idle refresh-token keep-alive', () => {
  it('renews an idle token once after keepAliveMs (default 3 days), by a machine timer', async () => {
    const { device, clock, provider, events } = await acquiredLongLived();
    const signedIn = clock.now();
    expect(device.page('smtp.quick').tokenInfo().nextRenewalAt).toBe(signedIn + 3 * DAY);
    await clock.advance(3 * DAY - 1);
    expect(provider.calls.refresh).toBe(0);
    await clock.advance(1);
    expect(provider.calls.refresh).toBe(1);
    expect(events.filter((e) => e.type === 'token.renewed')).toEqual([expect.objectContaining({ keepAlive: true, scope: 'smtp.main' })]);
    // Once: the next keep-alive is 3 days after this renewal.
    expect(device.page('smtp.services').tokenInfo()).toMatchObject({ renewedAt: signedIn + 3 * DAY, nextRenewalAt: signedIn + 6 * DAY });
    await clock.advance(DAY);
    expect(provider.calls.refresh).toBe(1);
    await device.close();
  });

  it('does not renew a busy token (its refresh token was used recently)', async () => {
    const { device, clock, provider, events } = await acquiredLongLived();
    const signedIn = clock.now();
    await clock.advance(2 * DAY);
    const page = device.page('smtp.services');
    await page.renewRejectedToken(await page.accessToken()); // used: a server refused the token
    expect(provider.calls.refresh).toBe(1);
    await clock.advance(DAY); // 3 days after sign-in, 1 day after the last use
    expect(provider.calls.refresh).toBe(1);
    await clock.advance(2 * DAY - 1);
    expect(provider.calls.refresh).toBe(1);
    await clock.advance(1); // 3 days after the last use
    expect(provider.calls.refresh).toBe(2);
    expect(clock.now()).toBe(signedIn + 5 * DAY);
    expect(events.filter((e) => e.type === 'token.renewed').map((e) => e.type === 'token.renewed' && e.keepAlive)).toEqual([false, true]);
    await device.close();
  });

  it('keepAliveMs: 0 turns it off', async () => {
    const setup = await makeDevice({ keepAliveMs: 0 });
    setup.provider.lifetimeMs = 10 * 24 * 3_600_000;
    await configureOAuth(setup.device, 'smtp.services');
    setup.provider.pollQueue.push('tokens');
    await setup.device.page('smtp.services').getToken();
    await setup.clock.advance(5_000);
    await setup.clock.advance(7 * DAY);
    expect(setup.provider.calls.refresh).toBe(0);
    await setup.device.close();
  });
});
