import { createHash } from 'node:crypto';
import { StoreError } from '../errors.js';
import type { PgPool } from './driver.js';

/** Version of the token table's layout; a database written by a newer version is refused. */
export const SCHEMA_VERSION = 1;

/** The quoted names the store's SQL uses. @internal */
export interface Names {
  /** `"schema"."table"`: one row per token scope. */
  table: string;
  /** `"schema"."mail_oauth_meta"`: one row per token table, with its layout version. */
  meta: string;
  /** The bare table name, as recorded in the meta table. */
  tableName: string;
  /** The bare schema name. */
  schemaName: string;
  /** The NOTIFY channel of this table (an identifier, at most 63 bytes). */
  channel: string;
  /** Seed of the advisory-lock keys, so two tables never share a lock. */
  lockSeed: string;
}

/** @internal */
export function namesOf(schema: string, table: string): Names {
  const lockSeed = `${schema}.${table}`;
  return {
    table: `"${schema}"."${table}"`,
    meta: `"${schema}"."mail_oauth_meta"`,
    tableName: table,
    schemaName: schema,
    channel: `mail_oauth_${createHash('sha256').update(lockSeed).digest('hex').slice(0, 24)}`,
    lockSeed,
  };
}

/**
 * A 64-bit advisory-lock key for `name` in this table, as a SQL literal. Computed here (not by
 * `hashtext`) so it is the same on every server version, and inlined because it is a number we
 * produced, never text from outside.
 * @internal
 */
export function lockKeyOf(names: Names, name: string): string {
  return createHash('sha256').update(names.lockSeed).update('\0').update(name).digest().readBigInt64BE(0).toString();
}

/**
 * Creates the schema, the meta table and the token table, or checks their version. Every
 * instance of a fleet may start at once: one transaction-level advisory lock makes them take
 * turns, since `CREATE … IF NOT EXISTS` alone races on the catalog.
 * @internal
 */
export async function migrate(pool: PgPool, names: Names, timeoutMs: number): Promise<void> {
  // Failures are thrown as the driver gave them: the caller maps them to its own operation.
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    const q = (text: string, values?: unknown[]) =>
      client.query({ text, ...(values === undefined ? {} : { values }), query_timeout: timeoutMs });
    await q('BEGIN');
    await q(`SELECT pg_advisory_xact_lock(${lockKeyOf(names, '\0migrate')})`);
    const schema = await q('SELECT 1 FROM pg_namespace WHERE nspname = $1', [names.schemaName]);
    // Only when missing: CREATE SCHEMA needs a privilege an application role often lacks.
    if (schema.rows.length === 0) await q(`CREATE SCHEMA "${names.schemaName}"`);
    await q(`CREATE TABLE IF NOT EXISTS ${names.meta} (
      table_name text PRIMARY KEY,
      version integer NOT NULL,
      migrated_at timestamptz NOT NULL DEFAULT now()
    )`);
    const found = await q(`SELECT version FROM ${names.meta} WHERE table_name = $1`, [names.tableName]);
    const version = Number(found.rows[0]?.version ?? 0);
    if (version > SCHEMA_VERSION) {
      throw new StoreError('ERR_STORE_VERSION', 'The token database was written by a newer version', {
        kind: 'configuration',
        hint: `${names.table} has layout ${version}; this version reads up to ${SCHEMA_VERSION}`,
        params: { version: String(version) },
      });
    }
    if (version < 1) {
      // value: a flattened JWE (JSON) of { v, key, record }; the key is inside too, so a row
      // copied under another key is refused instead of read as that scope's tokens.
      await q(`CREATE TABLE IF NOT EXISTS ${names.table} (
        key text PRIMARY KEY,
        value text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    }
    // Later layouts migrate here, one version step at a time, inside this transaction.
    if (version < SCHEMA_VERSION) {
      await q(
        `INSERT INTO ${names.meta} (table_name, version) VALUES ($1, $2)
         ON CONFLICT (table_name) DO UPDATE SET version = EXCLUDED.version, migrated_at = now()`,
        [names.tableName, SCHEMA_VERSION],
      );
    }
    await q('COMMIT');
  } catch (err) {
    failed = err instanceof Error ? err : new Error(String(err));
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release(failed);
  }
}
