import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SettingsError } from '../../src/index.js';
import { isAddrSpec, isHost } from '../../src/settings/validate.js';
import { configureOAuth, makeDevice } from '../helpers/device.js';

describe('page.configure()', () => {
  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['smtp.services', { server: 'smtp..example.com' }, 'ERR_INVALID_HOST'],
    ['smtp.services', { server: 'smtp.example.com\r\nRCPT TO:<x>' }, 'ERR_INVALID_HOST'],
    ['smtp.services', { server: '999.1.1.1' }, 'ERR_INVALID_HOST'],
    ['smtp.services', { port: 0 }, 'ERR_INVALID_PORT'],
    ['smtp.services', { port: 65_536 }, 'ERR_INVALID_PORT'],
    ['smtp.services', { port: 25.5 }, 'ERR_INVALID_PORT'],
    ['smtp.services', { timeout: 10 }, 'ERR_INVALID_TIMEOUT'],
    ['smtp.services', { security: 'ssl' }, 'ERR_INVALID_SECURITY'],
    ['smtp.services', { authMethod: 'ntlm' }, 'ERR_INVALID_AUTH_METHOD'],
    ['smtp.services', { provider: 'yahoo' }, 'ERR_UNKNOWN_PROVIDER'],
    ['smtp.services', { account: 'scanner@contoso.com\r\n' }, 'ERR_INVALID_ACCOUNT'],
    ['smtp.services', { account: 'scanner\n@contoso.com' }, 'ERR_INVALID_ACCOUNT'],
    ['smtp.services', { account: 'user\u0001auth=Bearer x' }, 'ERR_INVALID_ACCOUNT'],
    ['smtp.services', { account: '' }, 'ERR_INVALID_ACCOUNT'],
    ['smtp.services', { senderAddress: 'not an address' }, 'ERR_INVALID_SENDER_ADDRESS'],
    ['smtp.services', { senderAddress: 'a@b.com\r\nBcc: x@y.com' }, 'ERR_INVALID_SENDER_ADDRESS'],
    ['smtp.services', { senderName: 'Scanner\r\nBcc: x' }, 'ERR_INVALID_SENDER_NAME'],
    ['smtp.services', { checkInterval: 60_000 }, 'ERR_INVALID_OPTION'],
    ['pop.emailStatus', { senderAddress: 'a@b.com' }, 'ERR_INVALID_OPTION'],
    ['pop.emailStatus', { checkInterval: 1_000 }, 'ERR_INVALID_CHECK_INTERVAL'],
  ];

  it.each(bad)('%s %j → %s, settings unchanged', async (pageId, patch, code) => {
    const { device } = await makeDevice();
    await configureOAuth(device, pageId);
    const before = device.page(pageId).settings;
    const error = await device
      .page(pageId)
      .configure(patch as never)
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SettingsError);
    expect(error).toMatchObject({ code, kind: 'usage' });
    expect(device.page(pageId).settings).toEqual(before);
    await device.close();
  });

  it("accepts the manual's settings and shares them across linked pages only", async () => {
    const { device } = await makeDevice();
    const settings = {
      server: 'smtp.office365.com',
      port: 587,
      security: 'starttls',
      timeout: 30_000,
      senderName: 'Scanner 3F',
      senderAddress: 'scanner@contoso.com',
      authMethod: 'oauth2',
      provider: 'fake',
      account: 'scanner@contoso.com',
    } as const;
    await device.page('smtp.initialQuick').configure(settings);
    expect(device.page('smtp.services').settings).toEqual(settings);
    expect(device.page('smtp.alert').settings).toEqual({});
    await device.page('pop.emailStatus').configure({ server: '2001:db8::1', port: 995, security: 'tls', checkInterval: 300_000 });
    expect(device.page('pop.emailPrint').settings).toEqual({});
    await device.close();
  });

  it('refuses to change the provider or account while a token is held', async () => {
    const { device, clock, provider } = await makeDevice();
    await configureOAuth(device, 'smtp.services');
    provider.pollQueue.push('tokens');
    await device.page('smtp.services').getToken();
    await clock.advance(5_000);
    await expect(device.page('smtp.quick').configure({ account: 'other@contoso.example' })).rejects.toMatchObject({
      code: 'ERR_SETTINGS_LOCKED_BY_TOKEN',
    });
    await device.page('smtp.quick').configure({ server: 'smtp.office365.com', account: 'SCANNER@contoso.example' });
    expect(device.page('smtp.services').settings.server).toBe('smtp.office365.com');
    await device.close();
  });

  it('never accepts a host name or address with a control character (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 0x1f }), fc.string(), (a, code, b) => {
        const value = `${a}${String.fromCharCode(code)}${b}`;
        expect(isHost(value)).toBe(false);
        expect(isAddrSpec(`${value}@example.com`)).toBe(false);
      }),
    );
  });
});
