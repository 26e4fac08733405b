import { MailOAuthError, StoreError, toMailOAuthError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { TokenStore } from '../store/types.js';
import { parseScopeRecord, type ScopeRecord } from './record.js';

/** How a scope's records are written. @internal */
export interface PersistenceOptions {
  /** False keeps refresh tokens out of the store (some administrators forbid storing them). */
  persistRefreshTokens: boolean;
  logger: Logger;
}

/**
 * Reads and writes one scope's record. Writes are serialised per scope and, where the store has
 * a lock, made under it; a write never replaces newer tokens another process stored meanwhile.
 * @internal
 */
export class ScopePersistence {
  readonly #store: TokenStore;
  readonly #key: string;
  readonly #options: PersistenceOptions;
  #queue: Promise<void> = Promise.resolve();
  #lastWritten: string | undefined;

  constructor(store: TokenStore, key: string, options: PersistenceOptions) {
    this.#store = store;
    this.#key = key;
    this.#options = options;
  }

  /** Runs `fn` under the store's lock for this scope (or directly, where the store has none). */
  withLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.#store.withLock ? this.#store.withLock(this.#key, fn) : fn();
  }

  /** Reads the stored record. Throws a coded StoreError for unreadable data. */
  async load(): Promise<ScopeRecord | undefined> {
    const record = parseScopeRecord(await this.#read());
    this.#lastWritten = record === undefined ? undefined : JSON.stringify(record);
    return record;
  }

  /** Durably writes a record after every write queued before it; takes the lock. */
  save(record: ScopeRecord): Promise<void> {
    const write = this.#queue.then(() => this.withLock(() => this.writeLocked(record)));
    this.#queue = write.catch(() => undefined);
    return write;
  }

  /** Writes in the background; a failure is logged, and the next write carries the state again. */
  saveLater(record: ScopeRecord): void {
    this.save(record).catch((err: unknown) => {
      const error = toMailOAuthError(err);
      this.#options.logger.warn('token store write failed', { scope: this.#key, code: error.code });
    });
  }

  /** Resolves once every queued write has settled. */
  flush(): Promise<void> {
    return this.#queue;
  }

  /**
   * Writes a record; the caller holds the lock. Keeps newer tokens that another process wrote
   * since this one last read, so a stale in-memory copy can never roll back a rotation.
   */
  async writeLocked(record: ScopeRecord): Promise<void> {
    let toWrite = this.#applyPolicy(record);
    if (this.#store.withLock !== undefined && toWrite.phase === 'acquired' && toWrite.tokens !== undefined) {
      const stored = parseScopeRecord(await this.#read());
      // Newer means obtained later, not expiring later: providers vary token lifetimes (Microsoft: 60–90 min).
      if (stored?.phase === 'acquired' && stored.tokens !== undefined && (stored.obtainedAt ?? 0) > (toWrite.obtainedAt ?? 0)) {
        toWrite = { ...toWrite, tokens: stored.tokens };
        if (stored.obtainedAt !== undefined) toWrite.obtainedAt = stored.obtainedAt;
      }
    }
    const json = JSON.stringify(toWrite);
    if (json === this.#lastWritten) return;
    try {
      await this.#store.set(this.#key, toWrite);
    } catch (err) {
      throw err instanceof MailOAuthError
        ? err
        : new StoreError('ERR_STORE_WRITE', 'The token store could not be written', { kind: 'transient', cause: err });
    }
    this.#lastWritten = json;
  }

  async #read(): Promise<unknown> {
    try {
      return await this.#store.get(this.#key);
    } catch (err) {
      throw err instanceof MailOAuthError
        ? err
        : new StoreError('ERR_STORE_READ', 'The token store could not be read', { kind: 'transient', cause: err });
    }
  }

  #applyPolicy(record: ScopeRecord): ScopeRecord {
    if (this.#options.persistRefreshTokens || record.tokens?.refreshToken === undefined) return record;
    const { refreshToken: _withheld, ...tokens } = record.tokens;
    return { ...record, tokens, refreshTokenWithheld: true };
  }
}
