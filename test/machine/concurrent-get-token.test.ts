/**
 * Two Get Token calls on one page (finding 10). Rule: the same flow joins the sign-in in progress
 * (same prompt, one request to the provider); another flow replaces it, and whoever still waits
 * on the replaced sign-in is told with ERR_AUTHORIZATION_CANCELLED.
 */
import { describe, expect, it } from 'vitest';
import type { AuthorizationPrompt } from '../../src/index.js';
import { configureOAuth, makeDevice } from '../helpers/device.js';
import type { FakeProvider } from '../helpers/fake-provider.js';
import { rejection } from '../helpers/rejection.js';

/** Numbers each device code's user code, and holds each start until `release()`. */
function gatedStarts(provider: FakeProvider): { release: () => void } {
  const original = provider.startAuthorization.bind(provider);
  const gates: Array<() => void> = [];
  provider.startAuthorization = async (request, context) => {
    await new Promise<void>((resolve) => gates.push(resolve));
    const started = await original(request, context);
    if (started.kind === 'pending' && started.pending.flow === 'device-code') started.pending.userCode = `CODE-${provider.calls.start}`;
    return started;
  };
  return { release: () => gates.splice(0).forEach((open) => open()) };
}

const userCode = (prompt: AuthorizationPrompt): string | undefined => (prompt.kind === 'device-code' ? prompt.userCode : undefined);

describe('concurrent Get Token', () => {
  it('two calls for the same flow while it starts: one request to the provider, both callers hold the prompt that completes', async () => {
    const { device, clock, provider } = await makeDevice();
    await configureOAuth(device, 'pop.emailStatus');
    const page = device.page('pop.emailStatus');
    const gate = gatedStarts(provider);
    const first = page.getToken({ flow: 'device-code' });
    await clock.advance(0);
    const second = page.getToken({ flow: 'device-code' });
    await clock.advance(0);
    gate.release();
    const [a, b] = await Promise.all([first, second]);
    expect(userCode(a)).toBe('CODE-1');
    expect(b).toEqual(a);
    expect(provider.calls.start).toBe(1);
    expect(page.tokenInfo().prompt).toEqual(a);
    provider.pollQueue.push('tokens');
    const settled = page.waitForAuthorization();
    await clock.advance(5_000);
    await settled;
    expect(page.status).toBe('acquired');
    await device.close();
  });

  it('a second call for the same flow while waiting returns the same prompt; cancel then Get Token gives a fresh one', async () => {
    const { device, clock, provider } = await makeDevice();
    await configureOAuth(device, 'pop.emailStatus');
    const page = device.page('pop.emailStatus');
    const gate = gatedStarts(provider);
    const first = page.getToken({ flow: 'device-code' });
    await clock.advance(0);
    gate.release();
    const a = await first;
    const waiting = page.waitForAuthorization();
    const b = await page.getToken({ flow: 'device-code' });
    expect(b).toEqual(a);
    expect(provider.calls.start).toBe(1);
    // The first caller's wait is still the page's sign-in.
    provider.pollQueue.push('tokens');
    await clock.advance(5_000);
    await waiting;
    expect(page.status).toBe('acquired');
    await device.close();

    const again = await makeDevice();
    await configureOAuth(again.device, 'pop.emailStatus');
    const p = again.device.page('pop.emailStatus');
    const g = gatedStarts(again.provider);
    const one = p.getToken({ flow: 'device-code' });
    await again.clock.advance(0);
    g.release();
    await one;
    const oldWait = rejection(p.waitForAuthorization());
    p.cancelAuthorization();
    expect((await oldWait).code).toBe('ERR_AUTHORIZATION_CANCELLED');
    const fresh = p.getToken({ flow: 'device-code' });
    await again.clock.advance(0);
    g.release();
    expect(userCode(await fresh)).toBe('CODE-2');
    await again.device.close();
  });

  it('another flow while the first starts: the first caller is told ERR_AUTHORIZATION_CANCELLED, the second gets the live prompt', async () => {
    const { device, clock, provider } = await makeDevice();
    await configureOAuth(device, 'smtp.services');
    const page = device.page('smtp.services');
    const gate = gatedStarts(provider);
    const first = rejection(page.getToken({ flow: 'device-code' }));
    await clock.advance(0);
    const second = page.getToken({ flow: 'authorization-code' });
    expect(await first).toMatchObject({ code: 'ERR_AUTHORIZATION_CANCELLED', kind: 'usage' });
    await clock.advance(0);
    gate.release();
    await clock.advance(0);
    gate.release();
    const prompt = await second;
    expect(prompt).toMatchObject({ kind: 'redirect' });
    expect(page.tokenInfo().prompt).toEqual(prompt);
    await page.completeAuthorization(`http://127.0.0.1:8080/callback?code=x&state=state-${provider.calls.start}`);
    expect(page.status).toBe('acquired');
    await device.close();
  });

  it("another flow while the first waits: the first caller's waitForAuthorization rejects with ERR_AUTHORIZATION_CANCELLED; the new sign-in completes", async () => {
    const { device, clock, provider } = await makeDevice();
    await configureOAuth(device, 'smtp.services');
    const page = device.page('smtp.services');
    await page.getToken({ flow: 'device-code' });
    const firstWait = rejection(page.waitForAuthorization());
    const prompt = await page.getToken({ flow: 'authorization-code' });
    expect((await firstWait).code).toBe('ERR_AUTHORIZATION_CANCELLED');
    expect(prompt).toMatchObject({ kind: 'redirect' });
    const secondWait = page.waitForAuthorization();
    // The abandoned device code is never polled again.
    provider.pollQueue.push('tokens');
    await clock.advance(30_000);
    expect(provider.calls.poll).toBe(0);
    await page.completeAuthorization(`http://127.0.0.1:8080/callback?code=x&state=state-${provider.calls.start}`);
    await secondWait;
    expect(page.status).toBe('acquired');
    await device.close();
  });

  it('cancelAuthorization while the start is in flight: getToken rejects with ERR_AUTHORIZATION_CANCELLED', async () => {
    const { device, clock, provider } = await makeDevice();
    await configureOAuth(device, 'pop.emailStatus');
    const page = device.page('pop.emailStatus');
    const gate = gatedStarts(provider);
    const first = rejection(page.getToken({ flow: 'device-code' }));
    await clock.advance(0);
    page.cancelAuthorization();
    gate.release();
    expect((await first).code).toBe('ERR_AUTHORIZATION_CANCELLED');
    expect(page.status).toBe('not-acquired');
    await device.close();
  });
});
