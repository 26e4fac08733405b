import { AsyncLocalStorage } from 'node:async_hooks';
import type { FlattenedJWE } from 'jose';
import { SettingsError, StoreError, UsageError } from '../errors.js';
import { corrupt, directCipher } from '../store/jwe.js';
import { createSerialQueue } from '../store/queue.js';
import type { TokenStore } from '../store/types.js';
import { loadPg, storeErrorOf, type PgClient, type PgPool, type PgQuery } from './driver.js';
import { createNotifier } from './notifier.js';
import { lockKeyOf, migrate, namesOf } from './schema.js';

export type { PgClient, PgPool, PgQuery, PgResult } from './driver.js';

/** Options of {@link postgresStore}: where the database is, and the key the records are sealed with. */
export interface PostgresStoreOptions {
  /**
   * A libpq connection URI, e.g. `postgres://mail_oauth@db.internal:5432/fleet`. The store then
   * owns its pool (`close()` ends it). Give this or `pool`.
   */
  connectionString?: string;
  /**
   * A `pg.Pool` the application already has. The store borrows it and never ends it; set
   * `statement_timeout` on it yourself (the store only bounds its own waits client-side).
   */
  pool?: PgPool;
  /** The 32-byte key sealing each record (`dir` + `A256GCM`). The store keeps its own copy. */
  key: Uint8Array;
  /** Schema of the tables (created when missing). Default `public`. */
  schema?: string;
  /** Name of the token table. Default `mail_oauth_tokens`. */
  table?: string;
  /** Upper bound of every statement, in milliseconds (server-side `statement_timeout` on an owned pool). Default 5 000. */
  statementTimeoutMs?: number;
  /** How long `withLock` waits for another instance's lock before failing with `ERR_STORE_LOCKED`, in milliseconds. Default 30 000. */
  lockTimeoutMs?: number;
  /** Connections of an owned pool. Default 10. */
  maxConnections?: number;
}

/** Version of the sealed payload inside a row. */
const PAYLOAD_VERSION = 1;
const KEY_BYTES = 32;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A lock held by this process: the session that holds it also runs the holder's reads and writes. */
interface Held {
  client: PgClient;
  open: boolean;
}

/**
 * A {@link TokenStore} in PostgreSQL, for fleets: a print-management server or a cloud service
 * holding the mail tokens of many devices on several instances, which must share tokens and
 * renew each one once for all of them.
 *
 * - **One row per token scope**, each sealed as a JWE with `key` (`dir` + `A256GCM`, like
 *   `fileStore`); the scope key is sealed inside too, so a row copied under another key is refused.
 * - **Single-flight renewal across instances**: {@link TokenStore.withLock} takes a session-level
 *   advisory lock per scope; reads and writes made inside `fn` run on that same session and
 *   commit at once, so a rotated refresh token is durable before anyone gets the new access token.
 * - **No polling**: every write NOTIFYs the table's channel with the scope key;
 *   {@link TokenStore.watch} hears it, and a device adopts the token another instance stored.
 * - **Transient failures**: a lost connection, a restart or a timeout is `ERR_STORE_READ` /
 *   `ERR_STORE_WRITE` of kind `transient` (never a lost token); the pool reconnects.
 * - The schema is created, or its version checked, on first use (`mail_oauth_meta`).
 *
 * `pg` is an optional peer dependency, loaded on first use; without it operations fail with
 * `ERR_STORE_DRIVER`. Needs session-level connections (no transaction-pooling proxy in between).
 *
 * @example
 * ```ts
 * import { createMailOAuth } from 'mail-oauth';
 * import { postgresStore } from 'mail-oauth/postgres';
 *
 * const store = postgresStore({ connectionString: process.env.DATABASE_URL!, key: await kms.dataKey('mail-oauth') });
 * const device = await createMailOAuth({ providers, store, pages: mfpPages() });
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): TokenStore {
  if (typeof options !== 'object' || options === null) throw invalidOption('options must be an object');
  const hasUrl = options.connectionString !== undefined;
  if (hasUrl === (options.pool !== undefined)) throw invalidOption('give exactly one of connectionString or pool');
  if (hasUrl && (typeof options.connectionString !== 'string' || options.connectionString === '')) {
    throw invalidOption('connectionString must be a non-empty string');
  }
  const key: unknown = options.key;
  if (!(key instanceof Uint8Array) || key.byteLength !== KEY_BYTES) throw invalidOption(`key must be a Uint8Array of ${KEY_BYTES} bytes`);
  const keyCopy = key.slice();
  const schema = identifier(options.schema, 'public', 'schema');
  const table = identifier(options.table, 'mail_oauth_tokens', 'table');
  const statementTimeoutMs = positive(options.statementTimeoutMs, 5_000, 'statementTimeoutMs');
  const lockTimeoutMs = positive(options.lockTimeoutMs, 30_000, 'lockTimeoutMs');
  const maxConnections = positive(options.maxConnections, 10, 'maxConnections');
  // The client-side deadline backs up the server's: a peer that vanished without a FIN never answers.
  const queryTimeoutMs = statementTimeoutMs + 1_000;
  const names = namesOf(schema, table);
  const cipher = directCipher(async () => keyCopy);
  const writes = createSerialQueue();
  const locks = createSerialQueue();
  const held = new AsyncLocalStorage<Held>();
  let pool: Promise<PgPool> | undefined;
  let ready: Promise<void> | undefined;
  let closed = false;

  const getPool = (): Promise<PgPool> =>
    (pool ??= (async () => {
      if (options.pool !== undefined) return options.pool;
      const { Pool } = await loadPg();
      const owned = new Pool({
        connectionString: options.connectionString,
        max: maxConnections,
        statement_timeout: statementTimeoutMs,
        connectionTimeoutMillis: statementTimeoutMs,
        idleTimeoutMillis: 10_000,
        // Idle connections must not keep a process alive; close() ends them when it is done.
        allowExitOnIdle: true,
      });
      // An idle connection dropped by a restart emits this; unhandled it would crash the process.
      owned.on('error', () => undefined);
      return owned;
    })().catch((err: unknown) => {
      pool = undefined;
      throw err;
    }));

  const open = (): Promise<PgPool> => {
    if (closed) return Promise.reject(new UsageError('ERR_DEVICE_CLOSED', 'The token store was closed', { kind: 'usage' }));
    ready ??= getPool()
      .then((p) => migrate(p, names, queryTimeoutMs))
      .catch((err: unknown) => {
        // A database that was down at start must be retried by the next call, not remembered.
        ready = undefined;
        throw err;
      });
    return ready.then(getPool);
  };

  async function run(text: string, values: unknown[], operation: 'read' | 'write'): Promise<Array<Record<string, unknown>>> {
    let p: PgPool;
    try {
      p = await open();
    } catch (err) {
      throw storeErrorOf(err, operation);
    }
    const query: PgQuery = { text, values, query_timeout: queryTimeoutMs };
    const lock = held.getStore();
    try {
      return (await (lock?.open === true ? lock.client : p).query(query)).rows;
    } catch (err) {
      throw storeErrorOf(err, operation);
    }
  }

  async function seal(name: string, value: unknown): Promise<string> {
    const plaintext = new TextEncoder().encode(JSON.stringify({ v: PAYLOAD_VERSION, key: name, record: value }));
    return JSON.stringify(await cipher.seal(plaintext));
  }

  async function unseal(name: string, text: string): Promise<unknown> {
    let jwe: FlattenedJWE;
    try {
      jwe = JSON.parse(text) as FlattenedJWE;
    } catch (err) {
      throw corrupt(`${names.table} row "${name}" is not a JWE`, err);
    }
    if (typeof jwe !== 'object' || jwe === null || typeof jwe.ciphertext !== 'string')
      throw corrupt(`${names.table} row "${name}" is not a JWE`);
    const plaintext = await cipher.open(jwe);
    let payload: { v?: unknown; key?: unknown; record?: unknown };
    try {
      payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)) as typeof payload;
    } catch (err) {
      throw corrupt(`${names.table} row "${name}" decrypts to something that is not JSON`, err);
    }
    if (typeof payload.v !== 'number' || payload.v > PAYLOAD_VERSION) {
      throw new StoreError('ERR_STORE_VERSION', 'The token database was written by a newer version', {
        kind: 'configuration',
        hint: `row "${name}" has format ${String(payload.v)}; this version reads up to ${PAYLOAD_VERSION}`,
        params: { version: String(payload.v) },
      });
    }
    if (payload.key !== name) throw corrupt(`${names.table} row "${name}" was sealed for another scope`);
    return payload.record;
  }

  const notifier = createNotifier(async () => {
    await open();
    return getPool();
  }, names.channel);

  return {
    async get(name) {
      const rows = await run(`SELECT value FROM ${names.table} WHERE key = $1`, [name], 'read');
      const text = rows[0]?.value;
      return typeof text === 'string' ? unseal(name, text) : undefined;
    },
    set(name, value) {
      const json = toJson(value);
      // One queue per key keeps concurrent writes in call order across the pool's connections.
      return writes(name, async () => {
        const sealed = await seal(name, JSON.parse(json));
        // Upsert and notify in one autocommit statement: the notification leaves at the commit.
        await run(
          `WITH up AS (
             INSERT INTO ${names.table} (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
             RETURNING key)
           SELECT pg_notify($3, key) FROM up`,
          [name, sealed, names.channel],
          'write',
        );
      });
    },
    delete(name) {
      return writes(name, async () => {
        await run(
          `WITH gone AS (DELETE FROM ${names.table} WHERE key = $1 RETURNING key) SELECT pg_notify($2, key) FROM gone`,
          [name, names.channel],
          'write',
        );
      });
    },
    withLock(name, fn) {
      // In-process callers queue here, so one process holds at most one session per key.
      return locks(name, async () => {
        let client: PgClient;
        try {
          client = await (await open()).connect();
        } catch (err) {
          throw storeErrorOf(err, 'lock');
        }
        const lockKey = lockKeyOf(names, name);
        try {
          // A session lock, not a transaction one: writes inside fn must commit on their own,
          // before fn returns. One simple-protocol string runs as one implicit transaction, so
          // when the wait times out the SET rolls back with it and the session keeps its timeout.
          await client.query({
            text: `SET statement_timeout = ${Math.ceil(lockTimeoutMs)}; SELECT pg_advisory_lock(${lockKey}); SET statement_timeout = ${Math.ceil(statementTimeoutMs)}`,
            query_timeout: lockTimeoutMs + 1_000,
          });
        } catch (err) {
          client.release(err instanceof Error ? err : true);
          throw storeErrorOf(err, 'lock');
        }
        const lock: Held = { client, open: true };
        let broken: Error | undefined;
        const onError = (err: Error): void => {
          broken = err;
        };
        client.on('error', onError);
        try {
          return await held.run(lock, fn);
        } finally {
          lock.open = false;
          client.off('error', onError);
          try {
            if (broken === undefined) await client.query({ text: `SELECT pg_advisory_unlock(${lockKey})`, query_timeout: queryTimeoutMs });
          } catch (err) {
            broken = err instanceof Error ? err : new Error(String(err));
          }
          // A session we could not unlock is destroyed: closing it is what frees the lock.
          client.release(broken ?? false);
        }
      });
    },
    watch: (name, listener) => notifier.watch(name, listener),
    async close() {
      if (closed) return;
      closed = true;
      await notifier.close();
      if (options.pool === undefined && pool !== undefined) {
        const owned = await pool.catch(() => undefined);
        await owned?.end();
      }
    },
  };
}

function identifier(value: string | undefined, fallback: string, name: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw invalidOption(`${name} must be a lower-case SQL identifier (letters, digits, _; at most 63)`);
  }
  return value;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw invalidOption(`${name} must be a positive number`);
  return value;
}

function toJson(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new StoreError('ERR_STORE_WRITE', 'A token store record must be JSON-serialisable', { kind: 'usage', cause: err });
  }
  if (json === undefined) throw new StoreError('ERR_STORE_WRITE', 'A token store record must be JSON-serialisable', { kind: 'usage' });
  return json;
}

function invalidOption(hint: string): SettingsError {
  return new SettingsError('ERR_INVALID_OPTION', `Invalid postgresStore option: ${hint}`, {
    kind: 'usage',
    hint,
    params: { option: 'postgresStore' },
  });
}
