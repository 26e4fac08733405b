import { StoreError } from '../errors.js';

/**
 * The parts of `pg` the store uses, declared here so that the public types never depend on
 * `@types/pg` (an optional peer a device build does not have).
 */

/** A query result as `pg` returns it. */
export interface PgResult {
  /** The rows, one object per row. */
  rows: Array<Record<string, unknown>>;
}

/** A query as `pg` accepts it (`query_timeout` is the client-side deadline, in milliseconds). */
export interface PgQuery {
  /** The SQL text. */
  text: string;
  /** Positional parameters `$1…`. */
  values?: unknown[];
  /** Client-side deadline, in milliseconds. */
  query_timeout?: number;
}

/** A connection checked out of a pool (`pg.PoolClient`). */
export interface PgClient {
  /**
   * Runs a query.
   *
   * @example
   * ```ts
   * const client = await pool.connect();
   * try { await client.query('LISTEN mail_oauth_tokens'); } finally { client.release(); }
   * ```
   */
  query(query: PgQuery | string): Promise<PgResult>;
  /**
   * Returns the connection to the pool; an error destroys it instead.
   *
   * @example
   * ```ts
   * client.release(); // back to the pool; client.release(err) destroys it
   * ```
   */
  release(err?: Error | boolean): void;
  /**
   * `notification`, `error` and `end` events.
   *
   * @example
   * ```ts
   * client.on('notification', (message) => onChange(message));
   * ```
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own listener type; with unknown[] or never[] either pg.PoolClient or the typed listeners no longer fit
  on(event: string, listener: (...args: any[]) => void): unknown;
  /**
   * Removes a listener.
   *
   * @example
   * ```ts
   * client.off('notification', onChange);
   * ```
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own listener type; with unknown[] or never[] either pg.PoolClient or the typed listeners no longer fit
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/** A connection pool (`pg.Pool`). */
export interface PgPool {
  /**
   * Runs one query on any free connection.
   *
   * @example
   * ```ts
   * // A pg.Pool satisfies PgPool as it is:
   * const store = postgresStore({ pool: new pg.Pool({ connectionString, statement_timeout: 5_000 }), key });
   * ```
   */
  query(query: PgQuery): Promise<PgResult>;
  /**
   * Checks out a connection.
   *
   * @example
   * ```ts
   * const client = await pool.connect();
   * client.release();
   * ```
   */
  connect(): Promise<PgClient>;
  /**
   * Closes every connection.
   *
   * @example
   * ```ts
   * await device.close();
   * await pool.end(); // a pool you passed in is yours to end
   * ```
   */
  end(): Promise<void>;
  /**
   * `error` events of idle connections.
   *
   * @example
   * ```ts
   * pool.on('error', (err) => log.warn(`idle PostgreSQL connection failed: ${err.message}`));
   * ```
   */
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** What the store needs to build its own pool. */
interface PgModule {
  Pool: new (config: Record<string, unknown>) => PgPool;
}

let loading: Promise<PgModule> | undefined;

/**
 * Loads `pg` on first use: devices import `mail-oauth` without it, and a server that imports
 * `mail-oauth/postgres` without `pg` installed gets a coded error only when it opens a store.
 * @internal
 */
export function loadPg(): Promise<PgModule> {
  loading ??= import('pg').then(
    (module: { default?: unknown }) => (module.default ?? module) as PgModule,
    (err: unknown) => {
      loading = undefined;
      throw new StoreError('ERR_STORE_DRIVER', 'The PostgreSQL driver "pg" is not installed', {
        kind: 'configuration',
        cause: err,
        hint: 'npm install pg',
      });
    },
  );
  return loading;
}

// SQLSTATE classes an administrator must fix; everything else (connection loss, timeouts,
// restarts, serialization failures) is worth retrying.
const CONFIGURATION_STATES = /^(28|3D|42|0A)/;

/**
 * Turns a driver failure into a {@link StoreError}. The cause keeps only the driver's message
 * and SQLSTATE: a `pg` error can carry query details, and store errors end up in logs.
 * @internal
 */
export function storeErrorOf(err: unknown, operation: 'read' | 'write' | 'lock'): StoreError {
  if (err instanceof StoreError) return err;
  const state = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
  const cause = new Error(err instanceof Error ? err.message : String(err));
  if (state !== undefined) (cause as Error & { code?: string }).code = state;
  const kind = state !== undefined && CONFIGURATION_STATES.test(state) ? 'configuration' : 'transient';
  const hint = `PostgreSQL ${state ?? 'connection'} error`;
  // 55P03 is lock_not_available; 57014 a statement cancelled by our timeout while it waited for the lock.
  if (operation === 'lock' && (state === '55P03' || state === '57014')) {
    return new StoreError('ERR_STORE_LOCKED', 'Another instance held the token lock too long', { kind: 'transient', cause, hint });
  }
  if (operation === 'read') return new StoreError('ERR_STORE_READ', 'The token database could not be read', { kind, cause, hint });
  return new StoreError('ERR_STORE_WRITE', 'The token database could not be written', { kind, cause, hint });
}
