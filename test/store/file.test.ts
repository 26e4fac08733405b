import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FlattenedEncrypt } from 'jose';
import { describe, expect, it } from 'vitest';
import type { MailOAuthError } from '../../src/errors.js';
import { SettingsError, StoreError } from '../../src/errors.js';
import { fileStore } from '../../src/store/file.js';
import type { FileStoreOptions } from '../../src/store/file.js';
import { testStore } from './contract.js';
import { tempPaths, testKey } from './helpers.js';

const paths = tempPaths('file-store');
const key = testKey();
const otherKey = testKey(99);
const refreshToken = 'rt-0.AVYAm9Rk7Xq-SECRET-REFRESH-TOKEN-3f8a';
const accessToken = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.SECRET-ACCESS-TOKEN';

testStore('fileStore (key)', () => fileStore({ path: paths.next(), key }));
testStore('fileStore (keyProvider)', () => fileStore({ path: paths.next(), keyProvider: async () => key }));
testStore('fileStore (passphrase)', () =>
  fileStore({ path: paths.next(), passphrase: 'correct horse battery staple', pbes2Iterations: 1_000 }),
);

/** Asserts that `action` rejects with a StoreError of `code` and leaves the file at `path` byte-identical. */
async function expectStoreErrorKeepingFile(path: string, code: string, action: () => Promise<unknown>): Promise<StoreError> {
  const before = await readFile(path);
  const error = await action().then(
    () => expect.unreachable('expected a StoreError'),
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
  expect(Buffer.compare(await readFile(path), before)).toBe(0);
  return error as StoreError;
}

/** The key part of the options (distributes over the union, unlike a plain Omit). */
type KeyOptions = FileStoreOptions extends infer O ? (O extends unknown ? Omit<O, 'path'> : never) : never;

/** Every way a store with unusable file content is used: each must fail and write nothing. */
async function expectEveryOperationFails(path: string, code: string, options: KeyOptions = { key }) {
  const store = fileStore({ ...options, path });
  await expectStoreErrorKeepingFile(path, code, () => store.get('smtp.services'));
  await expectStoreErrorKeepingFile(path, code, () => store.set('smtp.services', { refreshToken: 'rt-new' }));
  await expectStoreErrorKeepingFile(path, code, () => store.set('other', { n: 1 }));
  await expectStoreErrorKeepingFile(path, code, () => store.delete('smtp.services'));
  await expectStoreErrorKeepingFile(path, code, () => store.delete('missing'));
}

async function writtenStore(path = paths.next()): Promise<string> {
  const store = fileStore({ path, key });
  await store.set('smtp.services', { tokens: { accessToken, refreshToken }, account: 'scanner@contoso.com' });
  await store.set('pop.emailStatus', { tokens: { refreshToken: `${refreshToken}-pop` } });
  return path;
}

function secretsOf(error: MailOAuthError): string {
  return [error.message, error.hint ?? '', JSON.stringify(error), String(error.stack)].join('\n');
}

describe('fileStore at rest', () => {
  it('creates the file (and its directory) with mode 0600 and keeps it so across writes', async () => {
    const path = await writtenStore();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await chmod(path, 0o644);
    await fileStore({ path, key }).set('again', { n: 1 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('never holds a token in clear (searching the raw bytes)', async () => {
    const path = await writtenStore();
    const bytes = await readFile(path);
    for (const secret of [refreshToken, accessToken, 'SECRET', 'scanner@contoso.com', 'smtp.services']) {
      expect(bytes.includes(Buffer.from(secret, 'utf8'))).toBe(false);
      expect(bytes.includes(Buffer.from(secret, 'utf16le'))).toBe(false);
      expect(bytes.includes(Buffer.from(Buffer.from(secret).toString('base64url')))).toBe(false);
    }
    expect(bytes.includes(Buffer.from(Buffer.from(key).toString('hex')))).toBe(false);
  });

  it('is a flattened JWE with dir + A256GCM, or PBES2 from a passphrase', async () => {
    const path = await writtenStore();
    const header = (text: string) =>
      JSON.parse(Buffer.from((JSON.parse(text) as { protected: string }).protected, 'base64url').toString()) as Record<string, unknown>;
    expect(header(await readFile(path, 'utf8'))).toEqual({ alg: 'dir', enc: 'A256GCM' });

    const pbes2Path = paths.next();
    await fileStore({ path: pbes2Path, passphrase: 'pw', pbes2Iterations: 1_000 }).set('k', { n: 1 });
    expect(header(await readFile(pbes2Path, 'utf8'))).toMatchObject({ alg: 'PBES2-HS256+A128KW', enc: 'A256GCM', p2c: 1_000 });
  });

  it('reads its records back in a new store instance (a restart)', async () => {
    const path = await writtenStore();
    const restarted = fileStore({ path, keyProvider: async () => testKey() });
    expect(await restarted.get('smtp.services')).toMatchObject({ tokens: { refreshToken } });
  });

  it('round-trips with the default PBES2 iteration count and a normalised passphrase', async () => {
    const path = paths.next();
    await fileStore({ path, passphrase: 'Gr\u00fc\u00dfe' }).set('k', { refreshToken });
    // "ü" as u + combining diaeresis: the same passphrase typed on another keyboard.
    expect(await fileStore({ path, passphrase: 'Gru\u0308\u00dfe' }).get('k')).toEqual({ refreshToken });
  }, 20_000);

  it('leaves no temporary files behind, and sweeps those a killed writer left', async () => {
    const path = await writtenStore();
    const leftover = join(dirname(path), '.oauth.jwe.12345.abcdef.tmp');
    await writeFile(leftover, 'half a write');
    const store = fileStore({ path, key });
    await store.set('x', { n: 1 });
    expect((await readdir(dirname(path))).sort()).toEqual(['oauth.jwe']);
  });
});

describe('fileStore refuses a file it cannot read, and leaves it as it is', () => {
  it('wrong key → ERR_STORE_KEY', async () => {
    const path = await writtenStore();
    await expectEveryOperationFails(path, 'ERR_STORE_KEY', { key: otherKey });
    await expectEveryOperationFails(path, 'ERR_STORE_KEY', { keyProvider: async () => otherKey });
    await expectEveryOperationFails(path, 'ERR_STORE_KEY', { passphrase: 'not the key', pbes2Iterations: 1_000 });
    expect(await fileStore({ path, key }).get('smtp.services')).toMatchObject({ tokens: { refreshToken } });
  });

  it('wrong passphrase → ERR_STORE_KEY', async () => {
    const path = paths.next();
    await fileStore({ path, passphrase: 'right', pbes2Iterations: 1_000 }).set('k', { refreshToken });
    await expectEveryOperationFails(path, 'ERR_STORE_KEY', { passphrase: 'wrong', pbes2Iterations: 1_000 });
    await expectEveryOperationFails(path, 'ERR_STORE_KEY', { key });
  });

  it('a tampered byte anywhere → ERR_STORE_CORRUPT', async () => {
    const path = await writtenStore();
    const original = await readFile(path, 'utf8');
    const envelope = JSON.parse(original) as Record<string, string>;
    const spots = ['protected', 'iv', 'ciphertext', 'tag', 'sha256'].map((member) => {
      const value = envelope[member] ?? '';
      return original.indexOf(value) + Math.floor(value.length / 2);
    });
    spots.push(0, original.length - 3);
    for (const at of spots) {
      const bytes = Buffer.from(original);
      const flipped = bytes[at] === 0x41 ? 0x42 : 0x41; // stays printable, so only the content is wrong
      bytes[at] = flipped;
      await writeFile(path, bytes);
      await expectEveryOperationFails(path, 'ERR_STORE_CORRUPT');
    }
  });

  it('a truncated file → ERR_STORE_CORRUPT', async () => {
    const path = await writtenStore();
    const length = (await stat(path)).size;
    const original = await readFile(path);
    for (const size of [0, 1, Math.floor(length / 2), length - 2]) {
      await writeFile(path, original);
      await truncate(path, size);
      await expectEveryOperationFails(path, 'ERR_STORE_CORRUPT');
    }
  });

  it('a file that is not a store JWE → ERR_STORE_CORRUPT', async () => {
    const path = paths.next();
    await mkdir(dirname(path), { recursive: true });
    for (const content of ['{"refreshToken":"rt"}', '[]', 'null', 'eyJhbGciOiJkaXIifQ..aa.bb.cc', '\u0000\u0001binary']) {
      await writeFile(path, content);
      await expectEveryOperationFails(path, 'ERR_STORE_CORRUPT');
    }
  });

  it('a file from a newer version → ERR_STORE_VERSION', async () => {
    const path = paths.next();
    await mkdir(dirname(path), { recursive: true });
    const plaintext = new TextEncoder().encode(JSON.stringify({ v: 2, records: {}, somethingNew: true }));
    const jwe = await new FlattenedEncrypt(plaintext).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(key);
    const parts = [jwe.protected, jwe.encrypted_key ?? '', jwe.iv, jwe.ciphertext, jwe.tag].join('.');
    const sha256 = createHash('sha256').update(parts).digest('base64url');
    await writeFile(path, JSON.stringify({ ...jwe, sha256 }));
    const error = await expectStoreErrorKeepingFile(path, 'ERR_STORE_VERSION', () => fileStore({ path, key }).get('k'));
    expect(error.kind).toBe('configuration');
    await expectEveryOperationFails(path, 'ERR_STORE_VERSION');
  });

  it('puts no secret in its errors', async () => {
    const path = await writtenStore();
    const passphrase = 'my-very-secret-passphrase';
    const errors: MailOAuthError[] = [];
    for (const options of [{ key: otherKey }, { passphrase, pbes2Iterations: 1_000 }] as const) {
      await fileStore({ path, ...options })
        .get('smtp.services')
        .catch((err: MailOAuthError) => errors.push(err));
    }
    expect(errors).toHaveLength(2);
    for (const error of errors) {
      const text = secretsOf(error);
      for (const secret of [refreshToken, accessToken, passphrase, Buffer.from(otherKey).toString('hex')]) {
        expect(text).not.toContain(secret);
      }
    }
  });
});

describe('fileStore I/O and key errors', () => {
  it('a path that is a directory → ERR_STORE_READ (transient)', async () => {
    const path = paths.next();
    await mkdir(path, { recursive: true });
    const error = await fileStore({ path, key })
      .get('k')
      .catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ERR_STORE_READ', kind: 'transient' });
  });

  it('a directory that cannot be created → ERR_STORE_WRITE (transient)', async () => {
    const blocker = paths.next('not-a-directory');
    await mkdir(dirname(blocker), { recursive: true });
    await writeFile(blocker, 'a file where the directory should be');
    const error = await fileStore({ path: join(blocker, 'oauth.jwe'), key })
      .set('k', { n: 1 })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'ERR_STORE_WRITE', kind: 'transient' });
  });

  it('a keyProvider that fails or returns a wrong-sized key → ERR_STORE_KEY, file untouched', async () => {
    const path = await writtenStore();
    const failing = await expectStoreErrorKeepingFile(path, 'ERR_STORE_KEY', () =>
      fileStore({ path, keyProvider: () => Promise.reject(new Error('secure element busy')) }).set('k', {}),
    );
    expect(failing.kind).toBe('transient');
    const short = await expectStoreErrorKeepingFile(path, 'ERR_STORE_KEY', () =>
      fileStore({ path, keyProvider: async () => new Uint8Array(16) }).get('k'),
    );
    expect(short.kind).toBe('configuration');
  });

  it('a value JSON cannot hold → StoreError (usage) and nothing written', async () => {
    const path = await writtenStore();
    const store = fileStore({ path, key });
    await expectStoreErrorKeepingFile(path, 'ERR_STORE_WRITE', () => store.set('k', 10n));
    await expectStoreErrorKeepingFile(path, 'ERR_STORE_WRITE', () => store.set('k', undefined));
  });

  it('refuses bad options with SettingsError ERR_INVALID_OPTION', () => {
    const bad: unknown[] = [
      { path: 'x' },
      { path: '', key },
      { path: 'x', key: new Uint8Array(16) },
      { path: 'x', key: 'a string key' },
      { path: 'x', key, passphrase: 'both' },
      { path: 'x', passphrase: '' },
      { path: 'x', passphrase: 'pw', pbes2Iterations: 999 },
      { path: 'x', keyProvider: 'not a function' },
      { path: 'x', key, lockTimeoutMs: -1 },
      { path: 'x', key, staleLockMs: Number.NaN },
    ];
    for (const options of bad) {
      let thrown: unknown;
      try {
        fileStore(options as FileStoreOptions);
      } catch (err) {
        thrown = err;
      }
      expect(
        thrown,
        JSON.stringify(options, (_, v: unknown) => (v instanceof Uint8Array ? `bytes(${v.length})` : v)),
      ).toBeInstanceOf(SettingsError);
      expect((thrown as SettingsError).code).toBe('ERR_INVALID_OPTION');
    }
  });

  it('keeps its own copy of the key', async () => {
    const path = paths.next();
    const mine = testKey(5);
    const store = fileStore({ path, key: mine });
    mine.fill(0);
    await store.set('k', { n: 1 });
    expect(await fileStore({ path, key: testKey(5) }).get('k')).toEqual({ n: 1 });
  });
});

describe('fileStore locking within and across store instances', () => {
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.on('exit', resolve));
    return child.pid ?? expect.unreachable('no pid');
  }

  function lockFile(path: string, owner: Record<string, unknown>): Promise<void> {
    return writeFile(`${path}.lock`, JSON.stringify({ host: 'ignored', nonce: 'n', createdAt: 0, ...owner }));
  }

  it('a get inside withLock sees what another instance wrote', async () => {
    const path = paths.next();
    const a = fileStore({ path, key });
    const b = fileStore({ path, key });
    await a.set('k', { n: 1 });
    expect(await a.get('k')).toEqual({ n: 1 });
    await b.set('k', { n: 2 });
    await a.withLock?.('k', async () => expect(await a.get('k')).toEqual({ n: 2 }));
  });

  it('two instances writing different keys at once lose nothing', async () => {
    const path = paths.next();
    const stores = [fileStore({ path, key }), fileStore({ path, key })] as const;
    await Promise.all(Array.from({ length: 20 }, (_, n) => stores[n % 2 === 0 ? 0 : 1].set(`k${n}`, { n })));
    const check = fileStore({ path, key });
    for (let n = 0; n < 20; n++) expect(await check.get(`k${n}`)).toEqual({ n });
  });

  it('withLock across two instances is exclusive', async () => {
    const path = paths.next();
    const stores = [fileStore({ path, key }), fileStore({ path, key })] as const;
    await stores[0].set('counter', { n: 0 });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const store = stores[i % 2 === 0 ? 0 : 1];
        if (store.withLock === undefined) return expect.unreachable();
        return store.withLock('counter', async () => {
          const { n } = (await store.get('counter')) as { n: number };
          await store.set('counter', { n: n + 1 });
        });
      }),
    );
    expect(await stores[1].get('counter')).toEqual({ n: 20 });
  });

  it('recovers a lock left by a dead process at once', async () => {
    const path = await writtenStore();
    const { hostname } = await import('node:os');
    await lockFile(path, { pid: await deadPid(), host: hostname() });
    const started = Date.now();
    await fileStore({ path, key, lockTimeoutMs: 5_000 }).set('k', { n: 1 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('waits for a live holder, then fails with ERR_STORE_LOCKED without writing', async () => {
    const path = await writtenStore();
    const { hostname } = await import('node:os');
    await lockFile(path, { pid: process.ppid, host: hostname() });
    const started = Date.now();
    await expectStoreErrorKeepingFile(path, 'ERR_STORE_LOCKED', () => fileStore({ path, key, lockTimeoutMs: 300 }).set('k', { n: 1 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // A holder on another host cannot be checked by pid: only age frees it.
    await lockFile(path, { pid: 1, host: 'another-device' });
    await expectStoreErrorKeepingFile(path, 'ERR_STORE_LOCKED', () => fileStore({ path, key, lockTimeoutMs: 100 }).set('k', { n: 1 }));
  });

  it('recovers a lock older than staleLockMs even if its pid looks alive', async () => {
    const path = await writtenStore();
    await lockFile(path, { pid: process.ppid, host: 'another-device' });
    const old = new Date(Date.now() - 10_000);
    await utimes(`${path}.lock`, old, old);
    await fileStore({ path, key, staleLockMs: 5_000, lockTimeoutMs: 2_000 }).set('k', { n: 1 });
    expect(await fileStore({ path, key }).get('k')).toEqual({ n: 1 });
  });

  it('recovers an empty lock file (holder killed between create and write)', async () => {
    const path = await writtenStore();
    await writeFile(`${path}.lock`, '');
    const old = new Date(Date.now() - 5_000);
    await utimes(`${path}.lock`, old, old);
    await fileStore({ path, key, lockTimeoutMs: 2_000 }).set('k', { n: 1 });
  });

  it('keeps a long-held lock fresh so that it is never judged stale', async () => {
    const path = paths.next();
    const store = fileStore({ path, key, staleLockMs: 200 });
    const ages: number[] = [];
    await store.withLock?.('k', async () => {
      const dir = dirname(path);
      const lock = (await readdir(dir)).find((name) => name.endsWith('.lock')) ?? expect.unreachable('no lock file');
      for (let i = 0; i < 8; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        ages.push(Date.now() - (await stat(join(dir, lock))).mtimeMs);
      }
    });
    expect(Math.max(...ages)).toBeLessThan(200);
    expect((await readdir(dirname(path))).filter((name) => name.endsWith('.lock'))).toEqual([]);
  });
});

describe('fileStore reads once and writes in batches (boot and setup linear in the number of pages)', () => {
  /** A key provider that counts its calls: one call per decryption or encryption. */
  function countingKey(): { keyProvider: () => Promise<Uint8Array>; calls: () => number } {
    let calls = 0;
    return {
      keyProvider: async () => {
        calls++;
        return key;
      },
      calls: () => calls,
    };
  }

  /** Sets the file's times to an hour before this test file started, as for a store written before this boot. */
  const past = new Date(Date.now() - 3_600_000);
  async function age(path: string): Promise<void> {
    await utimes(path, past, past);
  }

  async function storeWith(count: number): Promise<string> {
    const path = paths.next();
    const writer = fileStore({ path, key });
    await Promise.all(Array.from({ length: count }, (_, n) => writer.set(`page.${n}`, { n, tokens: { refreshToken } })));
    return path;
  }

  it('restoring 50 pages at once, and reading them again, decrypts the file once', async () => {
    const path = await storeWith(50);
    const counter = countingKey();
    const store = fileStore({ path, keyProvider: counter.keyProvider });
    const first = await Promise.all(Array.from({ length: 50 }, (_, n) => store.get(`page.${n}`)));
    for (let n = 0; n < 50; n++) expect(await store.get(`page.${n}`)).toEqual(first[n]);
    expect(first[49]).toEqual({ n: 49, tokens: { refreshToken } });
    expect(counter.calls()).toBe(1);
  });

  it('50 sets issued together become one encrypted write, each resolving once it is on disk', async () => {
    const path = paths.next();
    const counter = countingKey();
    const store = fileStore({ path, keyProvider: counter.keyProvider });
    const reader = fileStore({ path, key });
    await Promise.all(
      Array.from({ length: 50 }, async (_, n) => {
        await store.set(`page.${n}`, { n });
        // Durable before it resolves: a fresh instance (another process, after a restart) sees it.
        expect(await fileStore({ path, key }).get(`page.${n}`)).toEqual({ n });
      }),
    );
    expect(counter.calls()).toBe(1);
    for (let n = 0; n < 50; n++) expect(await reader.get(`page.${n}`)).toEqual({ n });
  });

  it('sets and deletes of one key in one batch end in the last one issued', async () => {
    const path = paths.next();
    const store = fileStore({ path, key });
    await store.set('k', { n: 0 });
    await Promise.all([store.set('k', { n: 1 }), store.delete('k'), store.set('other', { n: 2 })]);
    expect(await fileStore({ path, key }).get('k')).toBeUndefined();
    await Promise.all([store.delete('k'), store.set('k', { n: 3 })]);
    expect(await fileStore({ path, key }).get('k')).toEqual({ n: 3 });
  });

  it('a set issued while a write is in flight joins the next write, not a later one', async () => {
    const path = paths.next();
    const counter = countingKey();
    const store = fileStore({ path, keyProvider: counter.keyProvider });
    const first = store.set('a', { n: 1 });
    await new Promise((resolve) => setImmediate(resolve)); // the first write has started
    await Promise.all([first, ...Array.from({ length: 20 }, (_, n) => store.set(`b${n}`, { n }))]);
    expect(counter.calls()).toBeLessThanOrEqual(3); // one write, at most one read, one write
    expect(await fileStore({ path, key }).get('b19')).toEqual({ n: 19 });
  });

  it('a value a caller changes after get does not change the next get', async () => {
    const path = await storeWith(2);
    const store = fileStore({ path, key });
    const record = (await store.get('page.1')) as { n: number };
    record.n = 99;
    expect(await store.get('page.1')).toEqual({ n: 1, tokens: { refreshToken } });
  });

  it('an old file replaced by another instance is read again', async () => {
    const path = await storeWith(2);
    await age(path);
    const a = fileStore({ path, key });
    const b = fileStore({ path, key });
    expect(await a.get('page.1')).toMatchObject({ n: 1 });
    await b.set('page.1', { n: 2, tokens: { refreshToken } }); // same size: only the identity tells
    await age(path);
    expect(await a.get('page.1')).toMatchObject({ n: 2 });
  });

  it('an old file changed in place, even with its times put back, is read again', async () => {
    const path = await storeWith(2);
    await age(path);
    const store = fileStore({ path, key });
    expect(await store.get('page.0')).toMatchObject({ n: 0 });
    const bytes = await readFile(path);
    const at = bytes.indexOf('"ciphertext":"') + 20;
    bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
    await writeFile(path, bytes);
    await age(path); // mtime back as it was; ctime cannot be put back
    await expectStoreErrorKeepingFile(path, 'ERR_STORE_CORRUPT', () => store.get('page.0'));
  });

  it('a removed file reads as empty', async () => {
    const path = await storeWith(1);
    const store = fileStore({ path, key });
    expect(await store.get('page.0')).toMatchObject({ n: 0 });
    await rm(path);
    expect(await store.get('page.0')).toBeUndefined();
  });
});
