import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { loadJose } from '../lib/lazy.js';
import type { FlattenedJWE } from 'jose';
import { SettingsError, StoreError } from '../errors.js';
import { sweepTemporaryFiles, writeFileAtomic } from './atomic-write.js';
import { corrupt, decrypt, digestOf, directCipher, type Cipher } from './jwe.js';
import { sweepSetAsideLocks, withFileLock } from './lock.js';
import type { FileLockOptions } from './lock.js';
import type { TokenStore } from './types.js';

/**
 * Options of {@link fileStore}: a path and exactly one of `key` (a fixed 256-bit device key,
 * `dir` + `A256GCM`), `keyProvider` (the key fetched on every operation, e.g. from a secure
 * element, `dir` + `A256GCM`) or `passphrase` (`PBES2-HS256+A128KW` + `A256GCM`).
 * @category Token storage
 */
export type FileStoreOptions = {
  /**
   * The store file, e.g. `/var/lib/device/oauth.jwe`. Its directory must be on a local file
   * system; the store also creates `<path>.lock`, `<path>.<hash>.lock` and short-lived
   * `.<name>.*.tmp` files next to it.
   */
  path: string;
  /** How long an operation waits for another process's lock before failing with `ERR_STORE_LOCKED`, in milliseconds. Default 30 000. */
  lockTimeoutMs?: number;
  /**
   * A lock file untouched for this long is treated as abandoned, in milliseconds. Holders touch
   * their lock every quarter of it, so a live holder never loses it; a dead holder on this host is
   * detected at once by its pid. Default 20 000.
   */
  staleLockMs?: number;
} & (
  | {
      /** The 32-byte key. The store keeps its own copy. */
      key: Uint8Array;
    }
  | {
      /** Returns the 32-byte key. Called for each write and each read of a changed file; cache inside it if fetching is slow. */
      keyProvider: () => Promise<Uint8Array>;
    }
  | {
      /** The passphrase (Unicode-normalised to NFC, so every keyboard produces the same bytes). */
      passphrase: string;
      /**
       * PBKDF2 iterations for each write (at least 1 000). Each write costs one derivation; a read of
       * an unchanged file reuses the last one. Default 600 000 (OWASP's figure for PBKDF2-HMAC-SHA256).
       */
      pbes2Iterations?: number;
    }
);

/** Version of the decrypted payload; a newer file is refused rather than misread. */
const FORMAT_VERSION = 1;
const DEFAULT_PBES2_ITERATIONS = 600_000;
const MIN_PBES2_ITERATIONS = 1_000;
const KEY_BYTES = 32;
const JWE_MEMBERS = new Set(['protected', 'encrypted_key', 'iv', 'ciphertext', 'tag', 'sha256']);

/** The store file: a flattened JWE (RFC 7516 §7.2.2) plus an unkeyed digest of its parts. */
interface Envelope extends FlattenedJWE {
  /**
   * SHA-256 of the JWE's parts. AES-GCM cannot tell a wrong key from a damaged file; this digest
   * can, without revealing anything about the key. A forger who also fixes the digest is still
   * stopped by the GCM tag — the error then says "wrong key".
   */
  sha256: string;
}

/**
 * A {@link TokenStore} in one encrypted file, safe across processes. Meant for devices that must
 * keep their tokens through restarts and power cuts.
 *
 * - **Encrypted**: the file is a JWE (`dir` + `A256GCM` with a 256-bit key, or
 *   `PBES2-HS256+A128KW` from a passphrase); no token appears in clear.
 * - **Atomic**: every write goes to a temporary file that is fsynced and renamed over the store,
 *   and the directory is fsynced; after a crash the file holds the previous or the new content.
 * - **Safe across processes**: writes, and {@link TokenStore.withLock}, take lock files created
 *   with `O_EXCL`; a lock left by a dead process is recovered. Every `get` checks the file
 *   (inode, size, times; its bytes when it changed recently), so a read inside `withLock` sees
 *   what another process wrote.
 * - **Read once, written in batches**: the records are decrypted when the file changed, not on
 *   every `get`, so restoring N pages at boot costs one decryption; `set`s and `delete`s issued
 *   together, or while a write is in flight, share one write, and each resolves once the write
 *   that holds it is durable.
 * - **Never reset**: a file that cannot be decrypted or parsed makes every operation fail with a
 *   {@link StoreError} and is left byte for byte as it was, writes included.
 *
 * All records live in one file (a JSON map inside the JWE) rather than one file per key: one
 * path to configure and back up, one file to keep at mode 0600, and a write of one scope can
 * never leave two files describing different moments.
 *
 * Records are stored as JSON. Errors: `ERR_STORE_KEY` (wrong or unavailable key),
 * `ERR_STORE_CORRUPT` (truncated, tampered or not a store file), `ERR_STORE_VERSION` (written by
 * a newer version), `ERR_STORE_READ` / `ERR_STORE_WRITE` (I/O, transient), `ERR_STORE_LOCKED`
 * (another process held the lock past `lockTimeoutMs`, transient).
 *
 * @example
 * ```ts
 * const key = await readDeviceKey();              // 32 bytes, e.g. from a secure element
 * const store = fileStore({ path: '/var/lib/device/oauth.jwe', key });
 * await store.set('smtp.services', record);
 * const again = await store.get('smtp.services');
 *
 * // or: fileStore({ path, keyProvider: () => secureElement.read('oauth-store-key') })
 * // or: fileStore({ path, passphrase: process.env.STORE_PASSPHRASE! })
 * ```
 * @category Token storage
 */
export function fileStore(options: FileStoreOptions): TokenStore {
  if (typeof options !== 'object' || options === null) throw invalidOption('options must be an object');
  if (typeof options.path !== 'string' || options.path === '') throw invalidOption('path must be a non-empty string');
  const path = resolve(options.path);
  const lockOptions: FileLockOptions = {
    timeoutMs: positiveNumber(options.lockTimeoutMs, 30_000, 'lockTimeoutMs'),
    staleMs: positiveNumber(options.staleLockMs, 20_000, 'staleLockMs'),
  };
  const cipher = makeCipher(options);
  let swept = false;
  const reads = createReadPipeline(path, cipher);
  const writes = createWriteBatcher(async (changes) => {
    await withFileLock(`${path}.lock`, lockOptions, async (lock) => {
      // Read under the lock: another process may have written since our last read, and a file we
      // cannot decrypt must stop the write instead of being replaced.
      const records = new Map((await reads.snapshot()).records);
      let changed = false;
      for (const [key, json] of changes()) {
        if (json === undefined) changed = records.delete(key) || changed;
        else {
          records.set(key, json);
          changed = true;
        }
      }
      if (!changed) return;
      if (!swept) {
        // A writer or lock breaker killed mid-way leaves files behind; one sweep per instance
        // keeps them from piling up across crashes.
        await sweepTemporaryFiles(path);
        await sweepSetAsideLocks(dirname(path), `${basename(path)}.`);
        swept = true;
      }
      const text = sealEnvelope(await cipher.seal(serialize(records)));
      await writeFileAtomic(path, text, { mode: 0o600, beforeRename: () => lock.assertHeld() });
      // Still under the lock, so the file on disk is the one just written.
      await reads.wrote(text, records);
    });
  });

  return {
    async get(key) {
      const json = (await reads.snapshot()).records.get(key);
      // Parsed per call: callers may change what they get without touching the cache.
      return json === undefined ? undefined : (JSON.parse(json) as unknown);
    },
    async set(key, value) {
      // Validate before joining a write so that a bad value never costs one, nor fails others.
      await writes.submit(key, toJson(value));
    },
    async delete(key) {
      await writes.submit(key, undefined);
    },
    withLock(key, fn) {
      const tag = createHash('sha256').update(key).digest('hex').slice(0, 16);
      return withFileLock(`${path}.${tag}.lock`, lockOptions, () => fn());
    },
  };
}

/** The decrypted store as last read or written, with what identified the file then. */
interface Snapshot {
  /** Each record as its JSON text. */
  records: ReadonlyMap<string, string>;
  /** The envelope as read or written: equal bytes need no decryption. */
  text: string | undefined;
  identity: string | undefined;
  /** Wall-clock milliseconds taken just before the file was identified. */
  identifiedAt: number;
  /** Newest of the file's mtime and ctime then, in milliseconds. */
  changedAt: number;
}

/**
 * How long after a file's last change its identity (inode, size, mtime, ctime) cannot be trusted
 * to tell a later change apart: timestamps advance by the kernel's coarse clock, and by whole
 * seconds on jffs2 or two on FAT. Within this window the bytes are compared instead.
 */
const SAME_TIMESTAMP_WINDOW_MS = 2_500;

const EMPTY: Snapshot = { records: new Map(), text: undefined, identity: undefined, identifiedAt: 0, changedAt: 0 };

/**
 * Reads of the store file, one at a time. Every caller joins the next read that has not started
 * yet, so a read always starts after its caller asked (what `withLock` readers rely on), and a
 * boot restoring N scopes at once costs one or two reads instead of N. A read of an unchanged
 * file (same identity, or same bytes) reuses the records decrypted before.
 */
function createReadPipeline(
  path: string,
  cipher: Cipher,
): { snapshot(): Promise<Snapshot>; wrote(text: string, records: ReadonlyMap<string, string>): Promise<void> } {
  let cached: Snapshot = EMPTY;
  let running: Promise<unknown> = Promise.resolve();
  let waiting: Promise<Snapshot> | undefined;

  async function refresh(): Promise<Snapshot> {
    const identifiedAt = Date.now();
    let file: { identity: string; changedAt: number } | undefined;
    try {
      file = identify(await stat(path, { bigint: true }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw readError(err, path);
    }
    if (file === undefined) return (cached = EMPTY);
    if (file.identity === cached.identity && file.changedAt < cached.identifiedAt - SAME_TIMESTAMP_WINDOW_MS) {
      return cached;
    }
    let text: string;
    let opened: { identity: string; changedAt: number };
    try {
      // Identify the handle we read, so the identity kept describes exactly these bytes.
      const handle = await open(path, 'r');
      try {
        opened = identify(await handle.stat({ bigint: true }));
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return (cached = EMPTY);
      throw readError(err, path);
    }
    const records = text === cached.text ? cached.records : parsePayload(await cipher.open(parseEnvelope(text, path)), path);
    return (cached = { records, text, ...opened, identifiedAt });
  }

  return {
    snapshot() {
      if (waiting !== undefined) return waiting;
      const next = running.then(() => {
        waiting = undefined;
        return refresh().catch((err: unknown) => {
          // A file we cannot read must fail every operation until it is readable again.
          cached = EMPTY;
          throw err;
        });
      });
      waiting = next;
      running = next.catch(() => undefined);
      return next;
    },
    async wrote(text, records) {
      const identifiedAt = Date.now();
      try {
        cached = { records, text, ...identify(await stat(path, { bigint: true })), identifiedAt };
      } catch {
        // The write is durable; the next read will simply read it back.
        cached = EMPTY;
      }
    },
  };
}

function identify(stats: BigIntStats): { identity: string; changedAt: number } {
  const changedNs = stats.mtimeNs > stats.ctimeNs ? stats.mtimeNs : stats.ctimeNs;
  return {
    identity: `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`,
    changedAt: Number(changedNs / 1_000_000n),
  };
}

/**
 * Collects `set`s and `delete`s into batches written as one file each. A batch stays open until
 * its write starts, which is after the write in flight (in this process) ends; every caller's
 * promise settles with the write that holds its change, so each still resolves only when durable.
 */
function createWriteBatcher(write: (changes: () => Iterable<[string, string | undefined]>) => Promise<void>): {
  submit(key: string, json: string | undefined): Promise<void>;
} {
  let open: Map<string, string | undefined> | undefined;
  let pending: Promise<void> | undefined;
  return {
    submit(key, json) {
      if (open === undefined || pending === undefined) {
        const batch = new Map<string, string | undefined>();
        open = batch;
        const close = (): void => {
          // Closed from here on: later changes go to the next batch.
          if (open === batch) open = undefined;
        };
        pending = write(() => {
          close();
          return batch;
        }).finally(close);
      }
      // Re-inserted so that the latest change to a key also takes the latest place.
      open.delete(key);
      open.set(key, json);
      return pending;
    },
  };
}

function readError(err: unknown, path: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return new StoreError('ERR_STORE_READ', 'Cannot read the token store file', {
    kind: 'transient',
    cause: err,
    hint: `${path}: ${code ?? 'error'}`,
  });
}

function makeCipher(options: FileStoreOptions): Cipher {
  const given = options as Partial<Record<'key' | 'keyProvider' | 'passphrase', unknown>>;
  const sources = [given.key, given.keyProvider, given.passphrase].filter((source) => source !== undefined);
  if (sources.length !== 1) throw invalidOption('give exactly one of key, keyProvider or passphrase');

  if ('passphrase' in options) {
    if (typeof options.passphrase !== 'string' || options.passphrase === '') {
      throw invalidOption('passphrase must be a non-empty string');
    }
    const iterations = options.pbes2Iterations ?? DEFAULT_PBES2_ITERATIONS;
    if (!Number.isSafeInteger(iterations) || iterations < MIN_PBES2_ITERATIONS) {
      throw invalidOption(`pbes2Iterations must be an integer of at least ${MIN_PBES2_ITERATIONS}`);
    }
    return passphraseCipher(new TextEncoder().encode(options.passphrase.normalize('NFC')), iterations);
  }

  if ('keyProvider' in options) {
    if (typeof options.keyProvider !== 'function') throw invalidOption('keyProvider must be a function');
    const provider = options.keyProvider;
    return directCipher(async () => {
      let key: unknown;
      try {
        key = await provider();
      } catch (err) {
        throw new StoreError('ERR_STORE_KEY', 'The token store key is not available', {
          kind: 'transient',
          cause: err,
          hint: 'keyProvider failed',
        });
      }
      if (!(key instanceof Uint8Array) || key.byteLength !== KEY_BYTES) {
        throw new StoreError('ERR_STORE_KEY', 'The token store key has the wrong size', {
          kind: 'configuration',
          hint: `keyProvider must return ${KEY_BYTES} bytes`,
        });
      }
      return key;
    });
  }

  const key: unknown = options.key;
  if (!(key instanceof Uint8Array) || key.byteLength !== KEY_BYTES) {
    throw invalidOption(`key must be a Uint8Array of ${KEY_BYTES} bytes`);
  }
  const copy = key.slice();
  return directCipher(async () => copy);
}

function passphraseCipher(passphrase: Uint8Array, iterations: number): Cipher {
  const alg = 'PBES2-HS256+A128KW';
  // PBKDF2 is slow by design; the plaintext of the file as last read or written is kept so that
  // reading an unchanged file (by digest) does not pay for it again. The file is still read.
  let last: { sha256: string; plaintext: Uint8Array } | undefined;
  return {
    async seal(plaintext) {
      const { FlattenedEncrypt } = await loadJose();
      const jwe = await new FlattenedEncrypt(plaintext)
        .setProtectedHeader({ alg, enc: 'A256GCM' })
        .setKeyManagementParameters({ p2c: iterations })
        .encrypt(passphrase);
      last = { sha256: digestOf(jwe), plaintext };
      return jwe;
    },
    async open(jwe) {
      const sha256 = digestOf(jwe);
      if (last?.sha256 === sha256) return last.plaintext;
      const { flattenedDecrypt } = await loadJose();
      const plaintext = await decrypt(() =>
        flattenedDecrypt(jwe, passphrase, {
          keyManagementAlgorithms: [alg],
          contentEncryptionAlgorithms: ['A256GCM'],
          maxPBES2Count: Math.max(iterations, DEFAULT_PBES2_ITERATIONS),
        }),
      );
      last = { sha256, plaintext };
      return plaintext;
    },
  };
}

function sealEnvelope(jwe: FlattenedJWE): string {
  const envelope: Envelope = { ...jwe, sha256: digestOf(jwe) };
  return `${JSON.stringify(envelope)}\n`;
}

function parseEnvelope(text: string, path: string): FlattenedJWE {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(`${path} is not JSON (truncated or not a token store)`, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(`${path} is not a JWE`);
  const members = value as Record<string, unknown>;
  for (const [name, member] of Object.entries(members)) {
    if (!JWE_MEMBERS.has(name) || typeof member !== 'string') throw corrupt(`${path} has an unexpected member`);
  }
  const { protected: header, iv, ciphertext, tag, sha256 } = members;
  if (
    typeof header !== 'string' ||
    typeof iv !== 'string' ||
    typeof ciphertext !== 'string' ||
    typeof tag !== 'string' ||
    typeof sha256 !== 'string'
  ) {
    throw corrupt(`${path} is not a token store JWE`);
  }
  const jwe: FlattenedJWE = { protected: header, iv, ciphertext, tag };
  if (typeof members.encrypted_key === 'string') jwe.encrypted_key = members.encrypted_key;
  if (digestOf(jwe) !== sha256) throw corrupt(`${path} was modified or damaged (digest mismatch)`);
  return jwe;
}

function serialize(records: ReadonlyMap<string, string>): Uint8Array {
  // Built from each record's JSON text, so a write does not re-serialise every record. Keys are
  // JSON strings, so a key such as "__proto__" stays a plain key when read back.
  const members = Array.from(records, ([key, json]) => `${JSON.stringify(key)}:${json}`);
  return new TextEncoder().encode(`{"v":${FORMAT_VERSION},"records":{${members.join(',')}}}`);
}

function parsePayload(plaintext: Uint8Array, path: string): Map<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch (err) {
    throw corrupt(`${path} decrypts to something that is not JSON`, err);
  }
  const { v, records } = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw corrupt(`${path} has no format version`);
  if (v > FORMAT_VERSION) {
    throw new StoreError('ERR_STORE_VERSION', 'The token store file was written by a newer version', {
      kind: 'configuration',
      hint: `${path} has format ${v}; this version reads up to ${FORMAT_VERSION}`,
      params: { version: String(v) },
    });
  }
  // Older formats would be migrated here, one version step at a time.
  if (typeof records !== 'object' || records === null || Array.isArray(records)) {
    throw corrupt(`${path} has no records`);
  }
  return new Map(Object.entries(records).map(([key, record]) => [key, JSON.stringify(record)]));
}

function toJson(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new StoreError('ERR_STORE_WRITE', 'A token store record must be JSON-serialisable', { kind: 'usage', cause: err });
  }
  if (json === undefined) {
    throw new StoreError('ERR_STORE_WRITE', 'A token store record must be JSON-serialisable', { kind: 'usage' });
  }
  return json;
}

function invalidOption(hint: string): SettingsError {
  return new SettingsError('ERR_INVALID_OPTION', `Invalid fileStore option: ${hint}`, {
    kind: 'usage',
    hint,
    params: { option: 'fileStore' },
  });
}

function positiveNumber(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw invalidOption(`${name} must be a positive number of milliseconds`);
  return value;
}
