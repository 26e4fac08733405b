import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export { testKey } from './fixtures/key.js';

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
