import { describe, expect, it } from 'vitest';
import { OAuthError, TransportError } from '../../src/index.js';
import { configureOAuth, makeDevice } from '../helpers/device.js';

describe('authorization (Get Token)', () => {
  it('device code: polls every interval, adds 5 s on slow_down, and stops the moment tokens arrive', async () => {
    const { device, clock, provider } = await makeDevice();
    await configureOAuth(device, 'pop.emailStatus');
    await device.page('pop.emailStatus').getToken({ flow: 'device-code' });
    provider.pollQueue.push('pending', 'slow-down', 'pending', 'tokens');
    await clock.advance(4_999);
    expect(provider.calls.poll).toBe(0);
    await clock.advance(1); // 5 s: pending
    await clock.advance(5_000); // 10 s: slow_down → interval 10 s
    expect(provider.calls.poll).toBe(2);
    await clock.advance(9_999);
    expect(provider.calls.poll).toBe(2);
    await clock.advance(1); // 20 s: pending
    await clock.advance(10_000); // 30 s: tokens
    expect(provider.calls.poll).toBe(4);
    expect(device.page('pop.emailStatus').status).toBe('acquired');
    await clock.advance(600_000);
    expect(provider.calls.poll).toBe(4);
    await device.close();
  });

  it('device code: the machine polls at most once a second even when a pending record says 1 ms (restored from old firmware)', async () => {
    const { device, clock, provider } = await makeDevice();
    const start = provider.startAuthorization.bind(provider);
    provider.startAuthorization = async (request, context) => {
      const started = await start(request, context);
      return started.kind === 'pending' && started.pending.flow === 'device-code'
        ? { ...started, pending: { ...started.pending, intervalMs: 1 } }
        : started;
    };
    await configureOAuth(device, 'pop.emailStatus');
    await device.page('pop.emailStatus').getToken({ flow: 'device-code' });
    await clock.advance(10_000);
    expect(provider.calls.poll).toBeGreaterThan(0);
    expect(provider.calls.poll).toBeLessThanOrEqual(10);
    await device.close();
  });

  it('device code: a pending record asking for a huge interval still polls within a minute', async () => {
    const { device, clock, provider } = await makeDevice();
    const start = provider.startAuthorization.bind(provider);
    provider.startAuthorization = async (request, context) => {
      const started = await start(request, context);
      return started.kind === 'pending' && started.pending.flow === 'device-code'
        ? { ...started, pending: { ...started.pending, intervalMs: 1e300 } }
        : started;
    };
    await configureOAuth(device, 'pop.emailStatus');
    await device.page('pop.emailStatus').getToken({ flow: 'device-code' });
    await clock.advance(60_000);
    expect(provider.calls.poll).toBe(1);
    await device.close();
  });

  it('device code: a transient poll failure backs off and keeps waiting; denial ends Not Acquired with a coded reason', async () => {
    const { device, clock, provider } = await makeDevice();
    const page = device.page('pop.emailStatus');
    await configureOAuth(device, 'pop.emailStatus');
    await page.getToken();
    const settled = page.waitForAuthorization();
    settled.catch(() => undefined);
    provider.pollQueue.push(
      new TransportError('ERR_HTTP_TIMEOUT', 'timed out', { kind: 'transient' }),
      'pending',
      new OAuthError('ERR_AUTHORIZATION_DENIED', 'declined', { error: 'access_denied' }, { kind: 'definite' }),
    );
    await clock.advance(5_000);
    expect(page.status).toBe('waiting-for-authorization');
    await clock.advance(120_000);
    expect(page.status).toBe('not-acquired');
    await expect(settled).rejects.toMatchObject({ code: 'ERR_AUTHORIZATION_DENIED' });
    expect(page.tokenInfo().errorCode).toBe('ERR_AUTHORIZATION_DENIED');
    await device.close();
  });

  it('device code: expiry ends the wait with ERR_AUTHORIZATION_EXPIRED', async () => {
    const { device, clock } = await makeDevice();
    const page = device.page('pop.emailStatus');
    await configureOAuth(device, 'pop.emailStatus');
    await page.getToken();
    const settled = page.waitForAuthorization();
    settled.catch(() => undefined);
    await clock.advance(900_000);
    await expect(settled).rejects.toMatchObject({ code: 'ERR_AUTHORIZATION_EXPIRED' });
    expect(page.status).toBe('not-acquired');
    await device.close();
  });

  it('redirect: a forged callback is refused and the real sign-in still completes', async () => {
    const { device, provider } = await makeDevice();
    const page = device.page('smtp.services');
    await configureOAuth(device, 'smtp.services');
    const prompt = await page.getToken({ flow: 'authorization-code', redirectUri: 'https://printer.local/oauth/callback' });
    expect(prompt).toMatchObject({ kind: 'redirect', url: 'https://login.example.test/authorize?state=state-1' });
    await expect(page.completeAuthorization('https://printer.local/oauth/callback?code=x&state=forged')).rejects.toMatchObject({
      code: 'ERR_STATE_MISMATCH',
    });
    expect(page.status).toBe('waiting-for-authorization');
    await page.completeAuthorization('https://printer.local/oauth/callback?code=x&state=state-1');
    expect(device.page('smtp.initialQuick').status).toBe('acquired');
    expect(provider.calls.exchange).toBe(2);
    await expect(page.completeAuthorization('https://printer.local/oauth/callback?code=x&state=state-1')).rejects.toMatchObject({
      code: 'ERR_AUTHORIZATION_NOT_PENDING',
    });
    await device.close();
  });

  it('redirect: an error in the redirect ends Not Acquired with a coded reason', async () => {
    const { device } = await makeDevice();
    const page = device.page('smtp.services');
    await configureOAuth(device, 'smtp.services');
    await page.getToken({ flow: 'authorization-code' });
    await expect(page.completeAuthorization('http://127.0.0.1:8080/callback?error=access_denied&state=state-1')).rejects.toMatchObject({
      code: 'ERR_AUTHORIZATION_DENIED',
    });
    expect(page.status).toBe('not-acquired');
    await device.close();
  });

  it('cancel returns to Not Acquired; Get Token needs OAuth 2.0, a provider and an account; a held token must be deleted first', async () => {
    const { device, clock, provider } = await makeDevice();
    const page = device.page('smtp.alert');
    await expect(page.getToken()).rejects.toMatchObject({ code: 'ERR_NOT_CONFIGURED' });
    await page.configure({ provider: 'fake', account: 'a@contoso.example', authMethod: 'plain' });
    await expect(page.getToken()).rejects.toMatchObject({ code: 'ERR_NOT_CONFIGURED' });
    await page.configure({ authMethod: 'oauth2' });
    await page.getToken();
    page.cancelAuthorization();
    expect(page.status).toBe('not-acquired');
    await clock.advance(60_000);
    expect(provider.calls.poll).toBe(0);
    provider.pollQueue.push('tokens');
    await page.getToken();
    await clock.advance(5_000);
    await expect(page.getToken()).rejects.toMatchObject({ code: 'ERR_TOKEN_ALREADY_ACQUIRED' });
    await expect(page.getToken({ flow: 'client-credentials' as never })).rejects.toMatchObject({ code: 'ERR_TOKEN_ALREADY_ACQUIRED' });
    await device.close();
  });

  it('a flow the provider does not offer is refused before any request', async () => {
    const { device, provider } = await makeDevice();
    (provider as { flows: readonly string[] }).flows = ['authorization-code'];
    await configureOAuth(device, 'smtp.alert');
    await expect(device.page('smtp.alert').getToken({ flow: 'device-code' })).rejects.toMatchObject({ code: 'ERR_FLOW_UNSUPPORTED' });
    expect(provider.calls.start).toBe(0);
    await device.close();
  });
});

describe('closing the device', () => {
  it('aborts waiting callers with ERR_DEVICE_CLOSED and refuses later calls; timers stop', async () => {
    const { device, clock, provider } = await makeDevice();
    await configureOAuth(device, 'smtp.services');
    provider.pollQueue.push('tokens');
    await device.page('smtp.services').getToken();
    await clock.advance(5_000);
    let release!: () => void;
    provider.onRefresh = async (tokens) => {
      await new Promise<void>((resolve) => (release = resolve));
      return provider.issue(tokens.flow, undefined);
    };
    const page = device.page('smtp.services');
    const waiting = page.renewRejectedToken(await page.accessToken()).catch((err: unknown) => err);
    await clock.advance(0);
    await device.close();
    expect(await waiting).toMatchObject({ code: 'ERR_DEVICE_CLOSED' });
    await expect(page.accessToken()).rejects.toMatchObject({ code: 'ERR_DEVICE_CLOSED' });
    await expect(page.getToken()).rejects.toMatchObject({ code: 'ERR_DEVICE_CLOSED' });
    release();
    const before = provider.calls.refresh;
    await clock.advance(86_400_000);
    expect(provider.calls.refresh).toBe(before);
    await device.close();
  });
});
