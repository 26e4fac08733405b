import { describe, expect, it } from 'vitest';
import { localize, TokenStateError } from '../../src/index.js';
import { configureOAuth, makeDevice } from '../helpers/device.js';
import { invalidGrant } from '../helpers/fake-provider.js';

const linked = ['smtp.services', 'smtp.quick', 'smtp.initialQuick'];
const independent = ['smtp.alert', 'pop.emailStatus', 'pop.internetFax', 'pop.emailPrint'];

describe('the manual: linked SMTP pages share one token', () => {
  it('a token obtained on smtp.services shows on the linked pages and on no other', async () => {
    const { device, clock, provider } = await makeDevice();
    await configureOAuth(device, 'smtp.services');
    const prompt = await device.page('smtp.services').getToken({ flow: 'device-code' });
    expect(prompt).toMatchObject({ kind: 'device-code', userCode: 'WDJB-MJHT', verificationUri: 'https://login.example.test/device' });
    for (const id of linked) expect(device.page(id).status).toBe('waiting-for-authorization');

    provider.pollQueue.push('pending', 'tokens');
    await clock.advance(10_000);

    for (const id of linked) expect(device.page(id).status).toBe('acquired');
    for (const id of independent) expect(device.page(id).status).toBe('not-acquired');
    expect(device.page('smtp.quick').settings).toMatchObject({ provider: 'fake', authMethod: 'oauth2' });
    expect(device.page('smtp.alert').settings).toEqual({});
    await device.close();
  });

  it('Delete on smtp.quick returns all three linked pages to Not Acquired', async () => {
    const { device, clock, provider } = await makeDevice();
    await configureOAuth(device, 'smtp.services');
    await configureOAuth(device, 'smtp.alert');
    provider.pollQueue.push('tokens');
    await device.page('smtp.services').getToken();
    await device.page('smtp.alert').getToken();
    await clock.advance(5_000);
    provider.pollQueue.push('tokens');
    await clock.advance(5_000);
    expect(device.page('smtp.alert').status).toBe('acquired');

    const seen: string[] = [];
    device.page('smtp.initialQuick').subscribe((info) => seen.push(info.status));
    await device.page('smtp.quick').deleteToken();
    for (const id of linked) expect(device.page(id).status).toBe('not-acquired');
    expect(device.page('smtp.alert').status).toBe('acquired');
    expect(seen).toEqual(['not-acquired']);
    expect(provider.calls.revoke).toBe(1);
    await device.close();
  });

  it('a definite refresh failure makes the linked pages Invalid with the manual message in en, de and ja', async () => {
    const { device, clock, provider } = await makeDevice();
    await configureOAuth(device, 'smtp.services');
    provider.pollQueue.push('tokens');
    await device.page('smtp.services').getToken();
    await clock.advance(5_000);
    provider.onRefresh = async () => {
      throw invalidGrant();
    };
    await clock.advance(3_600_000);
    for (const id of linked) expect(device.page(id).status).toBe('invalid');
    expect(device.page('smtp.alert').status).toBe('not-acquired');

    const error = await device
      .page('smtp.initialQuick')
      .accessToken()
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TokenStateError);
    expect((error as TokenStateError).code).toBe('ERR_TOKEN_REFRESH_FAILED');
    expect(localize((error as TokenStateError).code, 'en')).toBe('Token update failed. Please delete the token and obtain it again.');
    expect(localize((error as TokenStateError).code, 'de')).toBe(
      'Token-Update fehlgeschlagen. Bitte löschen Sie das Token und rufen Sie das Token erneut ab.',
    );
    expect(localize((error as TokenStateError).code, 'ja')).toBe('トークンの更新に失敗しました。トークンを削除して再度取得してください。');
    expect(device.page('smtp.quick').tokenInfo('de')).toMatchObject({
      status: 'invalid',
      statusText: 'Ungültig',
      errorCode: 'ERR_TOKEN_REFRESH_FAILED',
      reasonCode: 'ERR_OAUTH',
    });

    // The manual's remedy: Delete, then Get Token again.
    await device.page('smtp.quick').deleteToken();
    expect(device.page('smtp.services').status).toBe('not-acquired');
    await device.close();
  });
});

describe('the manual: connection test before a token exists', () => {
  it('says what to do, in the device language, without contacting any server', async () => {
    const { device } = await makeDevice({ locale: 'ja' });
    expect(await device.page('pop.emailStatus').testConnection()).toEqual({
      ok: false,
      code: 'ERR_NOT_CONFIGURED',
      message: '先にOAuth 2.0、プロバイダー、アカウント名を設定してください。',
    });
    await configureOAuth(device, 'pop.emailStatus');
    expect(await device.page('pop.emailStatus').testConnection({ locale: 'de' })).toEqual({
      ok: false,
      code: 'ERR_TOKEN_NOT_ACQUIRED',
      message: 'Es wurde kein Token abgerufen. Klicken Sie auf [Token abrufen].',
    });
    await device.close();
  });
});
