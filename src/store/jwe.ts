import { createHash } from 'node:crypto';
import type { FlattenedJWE } from 'jose';
import { StoreError } from '../errors.js';
import { loadJose } from '../lib/lazy.js';

/**
 * Seals and opens a store's payload as a flattened JWE. Shared by `fileStore` and
 * `postgresStore` so both encrypt the same way.
 * @internal
 */
export interface Cipher {
  seal(plaintext: Uint8Array): Promise<FlattenedJWE>;
  open(jwe: FlattenedJWE): Promise<Uint8Array>;
}

/** `dir` + `A256GCM` with a 256-bit key fetched for each operation. @internal */
export function directCipher(getKey: () => Promise<Uint8Array>): Cipher {
  const alg = 'dir';
  return {
    async seal(plaintext) {
      const { FlattenedEncrypt } = await loadJose();
      return new FlattenedEncrypt(plaintext).setProtectedHeader({ alg, enc: 'A256GCM' }).encrypt(await getKey());
    },
    async open(jwe) {
      const key = await getKey();
      const { flattenedDecrypt } = await loadJose();
      return decrypt(() => flattenedDecrypt(jwe, key, { keyManagementAlgorithms: [alg], contentEncryptionAlgorithms: ['A256GCM'] }));
    },
  };
}

/** Runs a decryption, turning jose's failures into coded store errors. @internal */
export async function decrypt(run: () => Promise<{ plaintext: Uint8Array }>): Promise<Uint8Array> {
  const { errors: joseErrors } = await loadJose();
  try {
    return (await run()).plaintext;
  } catch (err) {
    if (err instanceof StoreError) throw err;
    // The envelope digest matched, so the bytes are as written: failing now means another key.
    if (err instanceof joseErrors.JWEDecryptionFailed || err instanceof joseErrors.JOSEAlgNotAllowed) {
      throw new StoreError('ERR_STORE_KEY', 'The token store file was encrypted with another key', {
        kind: 'configuration',
        cause: err,
        hint: 'Use the key (or passphrase) the file was written with, or delete the file and acquire the tokens again',
      });
    }
    throw corrupt(`not a token store JWE (${err instanceof Error ? err.name : 'error'})`, err);
  }
}

/** An unkeyed digest of a JWE's parts: tells a damaged envelope from a wrong key. @internal */
export function digestOf(jwe: FlattenedJWE): string {
  const parts = [jwe.protected ?? '', jwe.encrypted_key ?? '', jwe.iv ?? '', jwe.ciphertext, jwe.tag ?? ''];
  return createHash('sha256').update(parts.join('.')).digest('base64url');
}

/** The error for data that is not (or no longer) what a store wrote. @internal */
export function corrupt(hint: string, cause?: unknown): StoreError {
  return new StoreError('ERR_STORE_CORRUPT', 'The token store file is damaged or not a token store', {
    kind: 'configuration',
    hint,
    ...(cause === undefined ? {} : { cause }),
  });
}
