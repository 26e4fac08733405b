/**
 * The write-only password setting of the `plain`/`login` methods: validated, kept in the token
 * store per scope (encrypted by fileStore), shared by linked pages, loaded at boot, removed when
 * cleared or when the method changes, never shown, and unchanged when the store write fails.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { fileStore, memoryStore, type TokenStore } from '../../src/index.js';
import { passwordKey } from '../../src/store/password.js';
import { pageCredentials } from '../../src/transports/page-source.js';
import { makeDevice } from '../helpers/device.js';
import { codeOf } from '../transports/helpers.js';

const PASSWORD = 'Tr0ub4dor&3-secret';
const login = { server: '127.0.0.1', port: 1, authMethod: 'login', account: 'scanner', password: PASSWORD } as const;

/** A store whose writes fail while `failing` says so for a key. */
function flakyStore(failing: (key: string) => boolean): TokenStore & { records: TokenStore } {
  const records = memoryStore();
  return {
    records,
    get: (key) => records.get(key),
    async set(key, value) {
      if (failing(key)) throw new Error('disk full');
      await records.set(key, value);
    },
    async delete(key) {
      if (failing(key)) throw new Error('disk full');
      await records.delete(key);
    },
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('password setting', () => {
  it('is validated: 1–256 characters, no CR/LF/NUL, a string; POP3 refuses authMethod none', async () => {
    const { device } = await makeDevice();
    const page = device.page('smtp.alert');
    for (const bad of ['x'.repeat(257), 'a\rb', 'a\nb', 'a\0b', 42]) {
      expect(await codeOf(() => page.configure({ ...login, password: bad as string }))).toBe('ERR_INVALID_PASSWORD');
    }
    expect(page.passwordSet).toBe(false);
    expect(page.settings).toEqual({});
    await page.configure({ ...login, password: 'p'.repeat(256) });
    expect(page.passwordSet).toBe(true);
    expect(await codeOf(() => device.page('pop.emailStatus').configure({ authMethod: 'none' }))).toBe('ERR_INVALID_AUTH_METHOD');
    await device.page('smtp.services').configure({ authMethod: 'none' });
    await device.close();
  });

  it('is never shown: not in settings, tokenInfo, inspect/JSON of page, device or settings, nor in logs', async () => {
    const { device, logger, store } = await makeDevice();
    const page = device.page('smtp.services');
    await page.configure(login);
    await page.testConnection(); // fails (no such server): its log lines and report must not carry it either
    const printed = [
      JSON.stringify(page.settings),
      inspect(page.settings),
      JSON.stringify(page.tokenInfo()),
      inspect(page, { depth: 8, showHidden: true }),
      JSON.stringify(page),
      inspect(device, { depth: 8, showHidden: true }),
      JSON.stringify(await page.testConnection()),
      ...logger.lines,
    ].join('\n');
    expect(printed).not.toContain(PASSWORD);
    expect(page.settings).toEqual({ server: '127.0.0.1', port: 1, authMethod: 'login', account: 'scanner' });
    // …but it is in the store, under the scope's own key, beside (not inside) the settings record.
    expect(await store.get(passwordKey('smtp.main'))).toEqual({ v: 1, password: PASSWORD });
    expect(JSON.stringify(await store.get('smtp.main'))).not.toContain(PASSWORD);
    await device.close();
  });

  it('is shared by linked pages and builds password credentials', async () => {
    const { device } = await makeDevice();
    await device.page('smtp.quick').configure({ ...login, authMethod: 'plain' });
    const linked = device.page('smtp.initialQuick');
    expect(linked.passwordSet).toBe(true);
    expect(device.page('smtp.alert').passwordSet).toBe(false);
    const credentials = pageCredentials(linked);
    expect(credentials).toMatchObject({ method: 'plain', user: 'scanner' });
    expect(credentials.method === 'plain' && (await credentials.password())).toBe(PASSWORD);
    expect(pageCredentials(device.page('smtp.services')).method).toBe('plain');
    await device.page('smtp.alert').configure({ authMethod: 'none' });
    expect(pageCredentials(device.page('smtp.alert'))).toEqual({ method: 'none' });
    await device.page('pop.emailStatus').configure({ authMethod: 'login', account: 'scanner' });
    expect(await codeOf(async () => pageCredentials(device.page('pop.emailStatus')))).toBe('ERR_PASSWORD_NOT_SET');
    await device.close();
  });

  it('is removed by "" or null, and when the method leaves plain/login; kept when the field is left out', async () => {
    const { device, store } = await makeDevice();
    const page = device.page('pop.emailPrint');
    await page.configure(login);
    await page.configure({ port: 110 });
    expect(page.passwordSet).toBe(true);
    await page.configure({ password: '' });
    expect(page.passwordSet).toBe(false);
    expect(await store.get(passwordKey('pop.emailPrint'))).toBeUndefined();
    await page.configure({ password: PASSWORD });
    await page.configure({ password: null });
    expect(page.passwordSet).toBe(false);
    await page.configure({ password: PASSWORD });
    await page.configure({ authMethod: 'oauth2', provider: 'fake' });
    expect(page.passwordSet).toBe(false);
    expect(await store.get(passwordKey('pop.emailPrint'))).toBeUndefined();
    // A password sent along with a token method is dropped, not kept for later.
    await page.configure({ authMethod: 'oauth2', password: PASSWORD });
    expect(page.passwordSet).toBe(false);
    await device.close();
  });

  it('is encrypted at rest by fileStore and loaded again at boot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mail-oauth-password-'));
    dirs.push(dir);
    const path = join(dir, 'oauth.jwe');
    const key = new Uint8Array(32).fill(7);
    const first = await makeDevice({ store: fileStore({ path, key }) });
    await first.device.page('smtp.services').configure(login);
    await first.device.close();
    expect(readFileSync(path).toString('latin1')).not.toContain(PASSWORD);
    const second = await makeDevice({ store: fileStore({ path, key }) });
    const page = second.device.page('smtp.quick');
    expect(page.passwordSet).toBe(true);
    const credentials = pageCredentials(page);
    expect(credentials.method === 'login' && (await credentials.password())).toBe(PASSWORD);
    await second.device.close();
  });

  it('leaves password and settings unchanged when the password cannot be written', async () => {
    let failing = false;
    const store = flakyStore((key) => failing && key.startsWith('password:'));
    const { device } = await makeDevice({ store });
    const page = device.page('smtp.services');
    await page.configure(login);
    const before = page.settings;
    failing = true;
    expect(await codeOf(() => page.configure({ authMethod: 'plain', account: 'other', password: 'new-password' }))).toBe('ERR_STORE_WRITE');
    expect(await codeOf(() => page.configure({ password: '' }))).toBe('ERR_STORE_WRITE');
    expect(await codeOf(() => page.configure({ authMethod: 'oauth2', provider: 'fake' }))).toBe('ERR_STORE_WRITE');
    expect(page.settings).toEqual(before);
    expect(page.passwordSet).toBe(true);
    expect(await store.records.get(passwordKey('smtp.main'))).toEqual({ v: 1, password: PASSWORD });
    failing = false;
    await device.close();
  });

  it('puts the old password back when the settings cannot be written after it', async () => {
    let failing = false;
    const store = flakyStore((key) => failing && !key.startsWith('password:'));
    const { device } = await makeDevice({ store });
    const page = device.page('smtp.services');
    await page.configure(login);
    failing = true;
    expect(await codeOf(() => page.configure({ port: 2, password: 'new-password' }))).toBe('ERR_STORE_WRITE');
    expect(await store.records.get(passwordKey('smtp.main'))).toEqual({ v: 1, password: PASSWORD });
    const credentials = pageCredentials(page);
    expect(credentials.method === 'login' && (await credentials.password())).toBe(PASSWORD);
    failing = false;
    await device.close();
  });

  it('refuses a malformed stored password record at boot instead of dropping it', async () => {
    const store = memoryStore();
    await store.set(passwordKey('smtp.alert'), { password: 42 });
    expect(await codeOf(() => makeDevice({ store }))).toBe('ERR_STORE_CORRUPT');
  });
});
