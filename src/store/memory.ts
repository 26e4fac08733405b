import { createSerialQueue } from './queue.js';
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
 * @category Token storage
 */
export function memoryStore(): TokenStore {
  const records = new Map<string, unknown>();
  const serialize = createSerialQueue();
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
    withLock: (key, fn) => serialize(key, fn),
  };
}
