import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** A 32-byte key that is the same in the test and in the child processes it spawns. */
export const testKey = (seed = 7): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + seed) & 0xff);

/**
 * Gives each test a fresh path under one temporary directory, removed after the file's tests.
 *
 * @example
 * ```ts
 * const paths = tempPaths('file-store');
 * const store = fileStore({ path: paths.next(), key: testKey() });
 * ```
 */
export function tempPaths(prefix: string): { next(name?: string): string; root(): string } {
  let root = '';
  let count = 0;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), `mail-oauth-${prefix}-`));
  });
  afterAll(async () => {
    if (root !== '') await rm(root, { recursive: true, force: true });
  });
  return {
    next: (name = 'oauth.jwe') => join(root, `${count++}`, name),
    root: () => root,
  };
}
