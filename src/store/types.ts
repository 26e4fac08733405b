/**
 * Where token scopes keep their records. Keys are scope ids; values are opaque JSON-compatible
 * records (they contain tokens: a store must protect them at rest).
 *
 * Implementations must make `set` durable before resolving: the machine hands a rotated token
 * to callers only after `set` resolved.
 * @category Token storage
 */
export interface TokenStore {
  /**
   * Reads a record; `undefined` when there is none.
   *
   * @example
   * ```ts
   * const record = await store.get('smtp.main'); // undefined when there is none
   * ```
   */
  get(key: string): Promise<unknown>;
  /**
   * Writes a record durably.
   *
   * @example
   * ```ts
   * await store.set('smtp.main', record); // durable once resolved
   * ```
   */
  set(key: string, value: unknown): Promise<void>;
  /**
   * Removes a record; no error when there is none.
   *
   * @example
   * ```ts
   * await store.delete('smtp.main');
   * ```
   */
  delete(key: string): Promise<void>;
  /**
   * Runs `fn` while holding an exclusive lock on `key` (across processes, where the store can).
   * Used around refreshes so two processes never spend the same refresh token.
   *
   * @example
   * ```ts
   * const fresh = await store.withLock?.('smtp.main', async () => refreshAndStore());
   * ```
   */
  withLock?<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Calls `listener` when another writer (another process or host) may have changed `key`, so
   * a holder of an older token can adopt the new one without polling. Best effort: a store may
   * also call it after a reconnect, when changes could have been missed. Returns a function
   * that stops the calls.
   *
   * @example
   * ```ts
   * const stop = store.watch?.('smtp.main', () => reloadScope('smtp.main'));
   * stop?.();
   * ```
   */
  watch?(key: string, listener: () => void): () => void;
  /**
   * Releases resources (file handles, timers).
   *
   * @example
   * ```ts
   * await store.close?.();
   * ```
   */
  close?(): Promise<void>;
}
