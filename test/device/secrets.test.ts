import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { memoryStore, type TokenStore } from '../../src/index.js';
import { configureOAuth, makeDevice } from '../helpers/device.js';
import { invalidGrant, serverDown } from '../helpers/fake-provider.js';

const SECRET = /(access|refresh|device|verifier)-secret/;

describe('tokens never leak', () => {
  it('not into logs, errors, page objects, token info or subscriptions, through a whole life', async () => {
    const { device, clock, provider, logger } = await makeDevice();
    const seen: unknown[] = [];
    await configureOAuth(device, 'smtp.services');
    device.page('smtp.services').subscribe((s) => seen.push(s));
    seen.push(await device.page('smtp.services').getToken());
    seen.push(device.page('smtp.services').tokenInfo());
    provider.pollQueue.push('tokens');
    await clock.advance(5_000);
    provider.onRefresh = async () => {
      throw serverDown();
    };
    await clock.advance(3_000_000);
    await clock.advance(700_000);
    seen.push(
      await device
        .page('smtp.quick')
        .accessToken()
        .catch((err: unknown) => err),
    );
    provider.onRefresh = async () => {
      throw invalidGrant();
    };
    await clock.advance(300_000);
    const error = await device
      .page('smtp.quick')
      .accessToken()
      .catch((err: unknown) => err);
    seen.push(error, device.page('smtp.quick').tokenInfo());
    const printed = [
      ...logger.lines,
      inspect(device, { depth: 8 }),
      inspect(device.page('smtp.services'), { depth: 8 }),
      JSON.stringify(device.page('smtp.services')),
      ...seen.map((v) => inspect(v, { depth: 8 })),
      ...seen.map((v) => JSON.stringify(v)),
    ].join('\n');
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(printed).not.toMatch(SECRET);
    await device.close();
  });
});

describe('store failures', () => {
  it('a failed write after a renewal is an error the caller sees, and the new token is kept and stored on retry', async () => {
    const inner = memoryStore();
    let failWrites = false;
    const store: TokenStore = {
      ...inner,
      set: async (key, value) => {
        if (failWrites) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
        await inner.set(key, value);
      },
    };
    const { device, clock, provider } = await makeDevice({ store });
    await configureOAuth(device, 'smtp.services');
    provider.pollQueue.push('tokens');
    await device.page('smtp.services').getToken();
    await clock.advance(5_000);
    failWrites = true;
    const page = device.page('smtp.services');
    const rejected = await page.accessToken();
    const error = await page.renewRejectedToken(rejected).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ERR_TOKEN_REFRESH_UNAVAILABLE', params: { reason: 'ERR_STORE_WRITE' } });
    expect(provider.calls.refresh).toBe(1);
    expect(page.status).toBe('acquired');
    failWrites = false;
    await clock.advance(2_000);
    const stored = (await inner.get('smtp.main')) as { tokens: { refreshToken: string } };
    const renewed = provider.issued.at(-1) as string;
    expect(renewed).not.toBe(rejected);
    expect(stored.tokens.refreshToken).toBe(renewed.replace('access-', 'refresh-'));
    expect(await page.accessToken()).toBe(renewed);
    expect(provider.calls.refresh).toBe(1);
    await device.close();
  });
});
