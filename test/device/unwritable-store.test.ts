/**
 * A store that cannot be written (finding 5). The real fileStore fails through its own code when
 * its directory is replaced by a file (tests run as root, so chmod would not stop a write); a
 * wrapping store fails `set` on demand where a test needs precise control.
 */
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { fileStore, memoryStore } from '../../src/index.js';
import type { TokenStore } from '../../src/store/types.js';
import { ACCOUNT, configureOAuth, makeDevice } from '../helpers/device.js';
import { rejection } from '../helpers/rejection.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A real file store in `<tmp>/state/oauth.jwe`, and a switch that turns `state/` into a plain file. */
function breakableFileStore(): { store: TokenStore; breakDir: () => void; repairDir: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'mail-oauth-unwritable-'));
  dirs.push(root);
  const dir = join(root, 'state');
  mkdirSync(dir);
  const store = fileStore({ path: join(dir, 'oauth.jwe'), key: randomBytes(32) });
  return {
    store,
    breakDir: () => {
      rmSync(dir, { recursive: true, force: true });
      writeFileSync(dir, 'not a directory');
    },
    repairDir: () => {
      rmSync(dir, { force: true });
      mkdirSync(dir);
    },
  };
}

/** A memory store whose writes fail while `failing` is set. */
function switchableStore(): { store: TokenStore; inner: TokenStore; fail: (on: boolean) => void } {
  const inner = memoryStore();
  let failing = false;
  const store: TokenStore = {
    ...inner,
    set: async (key, value) => {
      if (failing) throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
      await inner.set(key, value);
    },
  };
  return { store, inner, fail: (on) => (failing = on) };
}

describe('an unwritable store', () => {
  it('device-code sign-in (real fileStore, directory replaced by a file): waiters get ERR_STORE_WRITE, the page stays Not Acquired and says why', async () => {
    const { store, breakDir, repairDir } = breakableFileStore();
    const { device, clock, provider } = await makeDevice({ store });
    await configureOAuth(device, 'smtp.services');
    const page = device.page('smtp.services');
    await page.getToken({ flow: 'device-code' });
    const settled = rejection(page.waitForAuthorization());
    breakDir();
    provider.pollQueue.push('tokens');
    await clock.advance(5_000);

    const error = await settled;
    expect(error).toMatchObject({ code: 'ERR_STORE_WRITE', kind: 'transient' });
    // Tokens that could not be stored are not shown as Acquired, on any linked page.
    expect(page.status).toBe('not-acquired');
    expect(device.page('smtp.quick').status).toBe('not-acquired');
    expect(page.tokenInfo()).toMatchObject({ status: 'not-acquired', errorCode: 'ERR_STORE_WRITE' });
    expect((await rejection(page.accessToken())).code).toBe('ERR_TOKEN_NOT_ACQUIRED');
    expect(JSON.stringify(error)).not.toMatch(/secret/);

    // Once the store is writable again, Get Token works and the error is gone.
    repairDir();
    provider.pollQueue.push('tokens');
    await page.getToken({ flow: 'device-code' });
    const done = page.waitForAuthorization();
    await clock.advance(5_000);
    await done; // the file store's write is real I/O
    expect(page.status).toBe('acquired');
    expect(page.tokenInfo().errorCode).toBeUndefined();
    expect(await page.accessToken()).toBe(provider.issued.at(-1));
    await device.close();
  });

  it('a flow that yields tokens at once (client credentials): getToken rejects with ERR_STORE_WRITE and the page stays Not Acquired', async () => {
    const { store, fail } = switchableStore();
    const { device } = await makeDevice({ store });
    await configureOAuth(device, 'smtp.alert');
    const page = device.page('smtp.alert');
    fail(true);
    expect(await rejection(page.getToken({ flow: 'client-credentials' }))).toMatchObject({ code: 'ERR_STORE_WRITE', kind: 'transient' });
    expect(page.status).toBe('not-acquired');
    expect(page.tokenInfo().errorCode).toBe('ERR_STORE_WRITE');
    fail(false);
    expect(await page.getToken({ flow: 'client-credentials' })).toEqual({ kind: 'none' });
    expect(page.status).toBe('acquired');
    await device.close();
  });

  it('redirect sign-in: completeAuthorization and waitForAuthorization both reject with ERR_STORE_WRITE', async () => {
    const { store, fail } = switchableStore();
    const { device } = await makeDevice({ store });
    await configureOAuth(device, 'smtp.services');
    const page = device.page('smtp.services');
    await page.getToken({ flow: 'authorization-code' });
    const settled = rejection(page.waitForAuthorization());
    fail(true);
    expect(await rejection(page.completeAuthorization('http://127.0.0.1:8080/callback?code=x&state=state-1'))).toMatchObject({
      code: 'ERR_STORE_WRITE',
    });
    expect((await settled).code).toBe('ERR_STORE_WRITE');
    expect(page.status).toBe('not-acquired');
    await device.close();
  });

  it('configure: a failed write throws ERR_STORE_WRITE, keeps the previous settings in memory and shows the error; a later write clears it', async () => {
    const { store, inner, fail } = switchableStore();
    const { device } = await makeDevice({ store });
    const page = device.page('pop.emailStatus');
    await page.configure({
      server: 'pop.old.example',
      port: 995,
      security: 'tls',
      authMethod: 'oauth2',
      provider: 'fake',
      account: ACCOUNT,
    });
    const before = page.settings;
    fail(true);
    expect(await rejection(page.configure({ server: 'pop.new.example' }))).toMatchObject({ code: 'ERR_STORE_WRITE', kind: 'transient' });
    expect(page.settings).toEqual(before);
    expect(page.tokenInfo().errorCode).toBe('ERR_STORE_WRITE');
    fail(false);
    await page.configure({ port: 1995 });
    // The failed change is not resurrected by the next one.
    expect(page.settings).toEqual({ ...before, port: 1995 });
    expect(((await inner.get(page.scopeId)) as { settings: { server: string } }).settings.server).toBe('pop.old.example');
    expect(page.tokenInfo().errorCode).toBeUndefined();
    await device.close();
  });

  it('Delete: a failed write keeps the token Acquired (as the store still holds it), unrevoked, and says why', async () => {
    const { store, fail } = switchableStore();
    const { device, clock, provider } = await makeDevice({ store });
    await configureOAuth(device, 'smtp.services');
    const page = device.page('smtp.services');
    provider.pollQueue.push('tokens');
    await page.getToken({ flow: 'device-code' });
    await clock.advance(5_000);
    const token = await page.accessToken();
    fail(true);
    expect(await rejection(page.deleteToken())).toMatchObject({ code: 'ERR_STORE_WRITE' });
    expect(page.status).toBe('acquired');
    expect(page.tokenInfo().errorCode).toBe('ERR_STORE_WRITE');
    expect(provider.calls.revoke).toBe(0);
    expect(await page.accessToken()).toBe(token);
    fail(false);
    await page.deleteToken();
    expect(page.status).toBe('not-acquired');
    expect(provider.calls.revoke).toBe(1);
    await device.close();
  });
});
