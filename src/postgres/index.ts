/**
 * A PostgreSQL {@link TokenStore} for fleets (`mail-oauth/postgres`). A subpath of its own, so a
 * device never loads it; `pg` is an optional peer dependency loaded on first use.
 * @packageDocumentation
 */
export { postgresStore } from './store.js';
export type { PostgresStoreOptions, PgClient, PgPool, PgQuery, PgResult } from './store.js';
export type { TokenStore } from '../store/types.js';
