import type { TokenStore } from './types.js';

/**
 * A store that keeps records in process memory: for tests, and for devices whose policy is to
 * re-acquire tokens after every restart. Records are copied in and out, so a caller can never
 * change a stored record by mutating an object it holds.
 *
 * @example
 * ```ts
 * const device = await createMailOAuth({ providers, store: memoryStore(), pages: mfpPages() });
 * ```
 */
export function memoryStore(): TokenStore {
  const records = new Map<string, unknown>();
  const locks = new Map<string, Promise<unknown>>();
  return {
    async get(key) {
      return records.has(key) ? structuredClone(records.get(key)) : undefined;
    },
    async set(key, value) {
      records.set(key, structuredClone(value));
    },
    async delete(key) {
      records.delete(key);
    },
    async withLock(key, fn) {
      // Chains callers per key: each runs after the previous one settled.
      const previous = locks.get(key) ?? Promise.resolve();
      const run = previous.then(fn, fn);
      const tail = run.catch(() => undefined);
      locks.set(key, tail);
      try {
        return await run;
      } finally {
        if (locks.get(key) === tail) locks.delete(key);
      }
    },
  };
}
