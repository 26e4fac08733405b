import { describe, expect, it } from 'vitest';
import { OAuthError, type MailOAuthEvent } from '../../src/index.js';
import { configureOAuth, makeDevice } from '../helpers/device.js';
import { serverDown } from '../helpers/fake-provider.js';

async function acquired(options: Parameters<typeof makeDevice>[0] = {}) {
  const setup = await makeDevice(options);
  const events: MailOAuthEvent[] = [];
  const stop = setup.device.subscribe((event) => events.push(event));
  await configureOAuth(setup.device, 'smtp.services');
  setup.provider.pollQueue.push('tokens');
  await setup.device.page('smtp.services').getToken();
  await setup.clock.advance(5_000);
  return { ...setup, events, stop };
}

describe('device events (fake provider, manual clock)', () => {
  it('a transient renewal failure says attempt and the retry time the machine then keeps', async () => {
    const { device, clock, provider, events, logger } = await acquired();
    provider.onRefresh = async () => {
      throw serverDown();
    };
    const page = device.page('smtp.services');
    await page.renewRejectedToken(await page.accessToken()).catch(() => undefined);
    const failed = events.find((e) => e.type === 'token.renewal-failed');
    expect(failed).toMatchObject({
      attempt: 1,
      code: 'ERR_HTTP',
      at: clock.now(),
      pages: ['smtp.services', 'smtp.quick', 'smtp.initialQuick'],
    });
    expect(page.status).toBe('acquired');
    const nextRetryAt = failed?.type === 'token.renewal-failed' ? failed.nextRetryAt : 0;
    expect(nextRetryAt).toBeGreaterThan(clock.now());
    await clock.advance(nextRetryAt - clock.now() - 1);
    expect(provider.calls.refresh).toBe(1);
    await clock.advance(1);
    expect(provider.calls.refresh).toBe(2);
    expect(logger.lines.some((line) => line.startsWith('warn token renewal failed') && line.includes('"attempt":1'))).toBe(true);
    await device.close();
  });

  it('Delete says whether the provider revoked the token; unsubscribe stops events; a throwing listener harms nothing', async () => {
    const { device, clock, events, stop } = await acquired();
    device.subscribe(() => {
      throw new Error('listener bug');
    });
    await device.page('smtp.quick').deleteToken();
    await clock.advance(0);
    expect(events.at(-1)).toMatchObject({ type: 'token.deleted', revoked: true, scope: 'smtp.main' });
    stop();
    await device.page('smtp.services').getToken();
    expect(events.some((e) => e.type === 'authorization.started' && e.at === clock.now() && events.indexOf(e) > 2)).toBe(false);
    device.page('smtp.services').cancelAuthorization();
    await device.close();
  });

  it('an answer showing a replayed refresh token says the token file may have been copied', async () => {
    const { device, provider, events } = await acquired();
    // Keycloak's exact answer when a rotated-out refresh token is presented again.
    provider.onRefresh = async () => {
      throw new OAuthError(
        'ERR_OAUTH',
        'The grant is no longer valid',
        { error: 'invalid_grant', errorDescription: 'Maximum allowed refresh token reuse exceeded', status: 400 },
        { kind: 'definite' },
      );
    };
    const page = device.page('smtp.services');
    await page.renewRejectedToken(await page.accessToken()).catch(() => undefined);
    expect(page.tokenInfo()).toMatchObject({
      status: 'invalid',
      errorCode: 'ERR_TOKEN_REFRESH_FAILED',
      reasonCode: 'ERR_OAUTH',
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any, expect.objectContaining, ...) as any
      hint: expect.stringMatching(/copied to another device/),
    });
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers (expect.any, expect.objectContaining, ...) as any
    expect(events.find((e) => e.type === 'token.invalid')).toMatchObject({ hint: expect.stringMatching(/copied/) });
    await device.close();
  });

  it('page.subscribe hands TokenInfo when the prompt or error changes, not only the status', async () => {
    const { device, provider, clock } = await acquired();
    const seen: string[] = [];
    device.page('smtp.quick').subscribe((info) => seen.push(`${info.status}:${info.errorCode ?? ''}`));
    provider.onRefresh = async () => {
      throw serverDown();
    };
    const page = device.page('smtp.services');
    await page.renewRejectedToken(await page.accessToken()).catch(() => undefined);
    expect(seen).toEqual(['acquired:ERR_HTTP']);
    provider.onRefresh = undefined;
    await clock.advance(10 * 60_000);
    expect(seen).toEqual(['acquired:ERR_HTTP', 'acquired:']);
    await device.close();
  });
});
