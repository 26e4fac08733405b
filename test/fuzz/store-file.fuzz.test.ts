/**
 * Fuzzing of the encrypted store file (`src/store/file.ts`): arbitrary bytes, damaged and
 * re-digested JWE envelopes, forged protected headers and well-encrypted payloads of any shape.
 * Whatever is on disk, `get` ends in a coded `ERR_STORE_CORRUPT` / `ERR_STORE_KEY` /
 * `ERR_STORE_VERSION`, `set` refuses to replace a file it cannot read (leaving it byte for
 * byte), and no error shows the key, the passphrase or a stored token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { FlattenedEncrypt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileStore } from '../../src/store/file.js';
import type { TokenStore } from '../../src/store/types.js';
import { FUZZ_RUNS, expectCoded, expectNoSecret, fuzzParameters, fuzzTimeout, heapGuard, secretArb, withDeadline } from './helpers.js';

const STORE_CODES = ['ERR_STORE_CORRUPT', 'ERR_STORE_KEY', 'ERR_STORE_VERSION'] as const;
const SCOPE = 'smtp.services';
const key = randomBytes(32);
const otherKey = randomBytes(32);
const passphrase = `pass-${randomBytes(12).toString('hex')}`;
/** The key in every text form an error could show it in. */
const keySecrets = [key.toString('hex'), key.toString('base64'), key.toString('base64url'), passphrase];

let root = '';
beforeAll(async () => {
  // tmpfs when there is one: the property is about parsing, not about the disk.
  root = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'mail-oauth-fuzz-store-'));
});
afterAll(async () => {
  if (root !== '') await rm(root, { recursive: true, force: true });
});

const b64url = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url');
const digest = (jwe: Record<string, unknown>): string =>
  createHash('sha256')
    .update([jwe.protected ?? '', jwe.encrypted_key ?? '', jwe.iv ?? '', jwe.ciphertext, jwe.tag ?? ''].map(String).join('.'))
    .digest('base64url');

/** An envelope as file.ts writes it, around any plaintext, encrypted with `withKey`. */
async function sealed(plaintext: Uint8Array, withKey: Uint8Array = key): Promise<Record<string, unknown>> {
  const jwe = await new FlattenedEncrypt(plaintext).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(withKey);
  return { ...jwe, sha256: digest(jwe as unknown as Record<string, unknown>) };
}

const secretPair = fc.tuple(secretArb, secretArb);

function recordOf(accessToken: string, refreshToken: string): Record<string, unknown> {
  return {
    v: 1,
    phase: 'acquired',
    settings: {},
    tokens: { accessToken, refreshToken, tokenType: 'Bearer', expiresAt: 1, flow: 'device-code' },
  };
}

const JWE_MEMBERS = ['protected', 'encrypted_key', 'iv', 'ciphertext', 'tag', 'sha256', 'aad', 'header', 'unprotected', 'extra'] as const;

/** A protected header a forger might write (alg/enc swaps, PBES2 counts, zip, crit). */
const forgedHeader = fc
  .record(
    {
      alg: fc.constantFrom('dir', 'none', 'A256KW', 'PBES2-HS256+A128KW', 'RSA-OAEP', 'ECDH-ES', ''),
      enc: fc.constantFrom('A256GCM', 'A128GCM', 'A128CBC-HS256', 'none', ''),
      p2c: fc.oneof(fc.integer({ min: -2, max: 2000 }), fc.constantFrom(600_001, 2 ** 31, 2 ** 53, 1e300, 1.5, '1000')),
      p2s: fc.base64String({ maxLength: 24 }),
      zip: fc.constant('DEF'),
      crit: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
      kid: fc.string({ maxLength: 20 }),
    },
    { requiredKeys: [] },
  )
  .map((header) => b64url(JSON.stringify(header)));

type Case = {
  name: string;
  build: (valid: Record<string, unknown>, validText: string, tokens: readonly [string, string]) => Promise<string | Uint8Array>;
};

/** What may end up on disk. `valid` is a good envelope holding tokens from `secrets`. */
const fileCase: fc.Arbitrary<Case> = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((bytes): Case => ({ name: 'random bytes', build: async () => bytes })),
  fc.jsonValue({ maxDepth: 3 }).map((value): Case => ({ name: 'any JSON', build: async () => JSON.stringify(value) ?? '' })),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([at, bit]): Case => ({
    name: 'bit flip',
    build: async (_valid, text) => {
      const bytes = Buffer.from(text);
      const i = at % bytes.length;
      bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
      return bytes;
    },
  })),
  fc.nat().map((at): Case => ({ name: 'truncated', build: async (_v, text) => text.slice(0, at % text.length) })),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([at, bytes]): Case => ({
    name: 'bytes inserted',
    build: async (_v, text) => {
      const buf = Buffer.from(text);
      const i = at % buf.length;
      return Buffer.concat([buf.subarray(0, i), bytes, buf.subarray(i)]);
    },
  })),
  fc
    .tuple(
      fc.constantFrom(...JWE_MEMBERS),
      fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.base64String({ maxLength: 64 }), fc.constant(undefined)),
      fc.boolean(),
    )
    .map(([member, value, redigest]): Case => ({
      name: `member ${member} ${value === undefined ? 'removed' : 'replaced'}${redigest ? ', digest fixed' : ''}`,
      build: async (valid) => {
        const jwe: Record<string, unknown> = { ...valid };
        if (value === undefined) delete jwe[member];
        else jwe[member] = value;
        if (redigest && member !== 'sha256') jwe.sha256 = digest(jwe);
        return JSON.stringify(jwe);
      },
    })),
  forgedHeader.map((header): Case => ({
    name: 'forged protected header, digest fixed',
    build: async (valid) => {
      const jwe = { ...valid, protected: header };
      return JSON.stringify({ ...jwe, sha256: digest(jwe) });
    },
  })),
  fc
    .tuple(
      fc.oneof(
        fc.uint8Array({ maxLength: 256 }),
        fc.jsonValue({ maxDepth: 3 }).map((value) => new TextEncoder().encode(JSON.stringify(value) ?? '')),
        fc
          .record(
            { v: fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.integer({ min: -3, max: 5 })), records: fc.jsonValue({ maxDepth: 3 }) },
            { requiredKeys: [] },
          )
          .map((payload) => new TextEncoder().encode(JSON.stringify(payload))),
      ),
      fc.boolean(),
    )
    .map(([plaintext, wrongKey]): Case => ({
      name: `payload of any shape${wrongKey ? ', another key' : ''}`,
      build: async () => JSON.stringify(await sealed(plaintext, wrongKey ? otherKey : key)),
    })),
);

async function expectRefusedAndUntouched(store: TokenStore, path: string, secrets: string[]): Promise<{ code: string }> {
  const before = await readFile(path);
  let code = '';
  try {
    await withDeadline(5_000, 'store.get', () => store.get(SCOPE));
    throw new Error('unreachable');
  } catch (err) {
    if (err instanceof Error && err.message === 'unreachable') throw err;
    expectCoded(err, [...STORE_CODES]);
    expectNoSecret(err, secrets);
    code = err.code;
  }
  // Plain try/catch rather than `expect(…).rejects`: vitest keeps every such promise until the test
  // ends, which over 100 000 cases would read as a leak in the heap check.
  const written = await withDeadline(5_000, 'store.set', () => store.set(SCOPE, { v: 1 })).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect((written as { code?: unknown } | undefined)?.code).toBe(code);
  expect((await readFile(path)).equals(before)).toBe(true);
  return { code };
}

describe('file store (fuzz)', () => {
  it(
    'whatever bytes are on disk: the record as written, or a coded refusal that leaves the file as it was and shows no key or token',
    async () => {
      const done = heapGuard();
      const path = join(root, 'direct', 'oauth.jwe');
      await mkdir(join(root, 'direct'));
      const store = fileStore({ path, key });
      const seen = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(fileCase, secretPair, fc.integer({ min: 0, max: 9 }), async (c, [accessToken, refreshToken], sample) => {
          const record = recordOf(accessToken, refreshToken);
          const valid = await sealed(new TextEncoder().encode(JSON.stringify({ v: 1, records: { [SCOPE]: record } })));
          const text = `${JSON.stringify(valid)}\n`;
          const secrets = [...keySecrets, accessToken, refreshToken];
          await writeFile(path, await c.build(valid, text, [accessToken, refreshToken]));
          let got: unknown;
          try {
            got = await withDeadline(5_000, 'store.get', () => store.get(SCOPE));
          } catch (err) {
            expectCoded(err, [...STORE_CODES]);
            expectNoSecret(err, secrets);
            seen.set(`${c.name.split(',')[0]} → ${err.code}`, (seen.get(`${c.name.split(',')[0]} → ${err.code}`) ?? 0) + 1);
            // A sample of refusals also tries a write: it must not replace what it cannot read.
            if (sample === 0) await expectRefusedAndUntouched(store, path, secrets);
            return;
          }
          // Accepted: the file still decrypts under our key, so it is a payload we (or the test) sealed.
          if (c.name.startsWith('payload of any shape')) return;
          expect(got).toEqual(record);
        }),
        fuzzParameters(0x5707e),
      );
      expect(seen.size).toBeGreaterThan(FUZZ_RUNS >= 1000 ? 5 : 0);
      done();
    },
    fuzzTimeout(6),
  );

  it(
    'a passphrase store refuses forged PBES2 headers without spending more than its iteration bound',
    async () => {
      const path = join(root, 'pbes2', 'oauth.jwe');
      await mkdir(join(root, 'pbes2'));
      const store = fileStore({ path, passphrase, pbes2Iterations: 1_000 });
      await store.set(SCOPE, recordOf('access-placeholder-0123456789', 'refresh-placeholder-0123456789'));
      const valid = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      const runs = Math.max(50, Math.floor(FUZZ_RUNS / 50));
      await fc.assert(
        fc.asyncProperty(forgedHeader, fc.boolean(), async (header, keepDigest) => {
          const jwe = { ...valid, protected: header };
          await writeFile(path, JSON.stringify(keepDigest ? jwe : { ...jwe, sha256: digest(jwe) }));
          const started = performance.now();
          const err = await withDeadline(10_000, 'store.get', () => store.get(SCOPE)).then(
            () => new Error('a forged header was accepted'),
            (e: unknown) => e,
          );
          expectCoded(err, [...STORE_CODES]);
          expectNoSecret(err, keySecrets);
          expect(performance.now() - started).toBeLessThan(5_000);
        }),
        fuzzParameters(0x9b35, runs),
      );
    },
    fuzzTimeout(20, Math.max(50, Math.floor(FUZZ_RUNS / 50))),
  );
});
