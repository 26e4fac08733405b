/**
 * The passwords of the `plain` and `login` authentication methods, one per token scope (linked
 * pages share it like they share settings), kept in the token store so that `fileStore`
 * encrypts them at rest.
 * @internal
 * @packageDocumentation
 */
import { MailOAuthError, StoreError } from '../errors.js';
import { createSerialQueue } from './queue.js';
import type { TokenStore } from './types.js';

/** Record version; a newer one is refused rather than misread. */
const VERSION = 1;

/**
 * The store key of a scope's password. Scope ids never contain `:` (see the topology's id
 * pattern), so this key can never collide with a scope's own record.
 */
export function passwordKey(scopeId: string): string {
  return `password:${scopeId}`;
}

/**
 * Holds every scope's password in memory (loaded at boot) and writes changes through to the
 * store. The passwords live in a private field: `inspect()` and `JSON.stringify` see nothing.
 * @internal
 */
export class PasswordVault {
  readonly #store: TokenStore;
  readonly #passwords = new Map<string, string>();
  readonly #serialize = createSerialQueue();

  private constructor(store: TokenStore) {
    this.#store = store;
  }

  /** Reads the password of every scope. Throws `ERR_STORE_READ`/`ERR_STORE_CORRUPT` like scope records. */
  static async open(store: TokenStore, scopeIds: Iterable<string>): Promise<PasswordVault> {
    const vault = new PasswordVault(store);
    for (const id of scopeIds) {
      const value = await guard('read', () => store.get(passwordKey(id)));
      if (value === undefined) continue;
      const record: { v?: unknown; password?: unknown } | null = value;
      if (typeof record !== 'object' || record === null || typeof record.password !== 'string' || typeof record.v !== 'number') {
        throw new StoreError('ERR_STORE_CORRUPT', 'A stored password record is malformed', {
          kind: 'configuration',
          params: { scope: id },
        });
      }
      if (record.v > VERSION) {
        throw new StoreError('ERR_STORE_VERSION', 'A stored password was written by a newer version', {
          kind: 'configuration',
          params: { scope: id },
        });
      }
      vault.#passwords.set(id, record.password);
    }
    return vault;
  }

  /** Whether the scope has a password. */
  has(scopeId: string): boolean {
    return this.#passwords.has(scopeId);
  }

  /** The scope's password, if one is stored. */
  get(scopeId: string): string | undefined {
    return this.#passwords.get(scopeId);
  }

  /**
   * Changes a scope's password (`null` removes it), then runs `then` (the settings write).
   * When `then` fails, the previous password is written back, so a failed configure leaves
   * both as they were. Calls for one scope run one after another.
   */
  update(scopeId: string, password: string | null | undefined, then: () => Promise<void>): Promise<void> {
    return this.#serialize(scopeId, async () => {
      const before = this.#passwords.get(scopeId);
      const changes = password !== undefined && (password ?? undefined) !== before;
      if (changes) await this.#write(scopeId, password);
      try {
        await then();
      } catch (err) {
        if (changes) {
          // Best effort: the store just failed once; if it fails again the old password is still what memory holds.
          await this.#write(scopeId, before ?? null).catch(() => undefined);
        }
        throw err;
      }
      if (password === null) this.#passwords.delete(scopeId);
      else if (password !== undefined) this.#passwords.set(scopeId, password);
    });
  }

  /** A redacting view for `console.log`/`inspect`. */
  toJSON(): { passwords: number } {
    return { passwords: this.#passwords.size };
  }

  async #write(scopeId: string, password: string | null): Promise<void> {
    const key = passwordKey(scopeId);
    await guard('write', () => (password === null ? this.#store.delete(key) : this.#store.set(key, { v: VERSION, password })));
  }
}

/** Coded store errors pass through; anything else becomes `ERR_STORE_READ`/`ERR_STORE_WRITE` (without the cause: it may quote the record). */
async function guard<T>(what: 'read' | 'write', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MailOAuthError) throw err;
    throw new StoreError(
      what === 'read' ? 'ERR_STORE_READ' : 'ERR_STORE_WRITE',
      `The token store could not be ${what === 'read' ? 'read' : 'written'}`,
      { kind: 'transient' },
    );
  }
}
