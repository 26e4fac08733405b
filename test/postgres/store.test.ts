import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { MailOAuthError, SettingsError, StoreError } from '../../src/errors.js';
import { postgresStore } from '../../src/postgres/index.js';
import type { TokenStore } from '../../src/store/types.js';
import { testStore } from '../store/contract.js';
import { testKey } from '../store/helpers.js';
import { describePostgres, freshTable } from './setup.js';

const key = testKey();
const refreshToken = 'rt-0.AVYAm9Rk7Xq-SECRET-REFRESH-TOKEN-3f8a';
const accessToken = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.SECRET-ACCESS-TOKEN';

describePostgres('postgresStore', (peer) => {
  // Each store gets a new table, created by its first operation; the contract's timings (a
  // holder must be inside withLock within 20 ms) are about the lock, so the factory opens first.
  const ready = async (store: TokenStore): Promise<TokenStore> => (await store.get('contract warm-up'), store);
  testStore('postgresStore', () => ready(postgresStore({ connectionString: peer().url, key, table: freshTable() })));
  testStore('postgresStore (borrowed pool, own schema)', () => {
    const pool = new pg.Pool({ connectionString: peer().url, max: 4 });
    const store = postgresStore({ pool, key, schema: 'fleet_a', table: freshTable() });
    return ready({ ...store, close: async () => (await store.close?.(), await pool.end()) });
  });

  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  const open = (options: Partial<Parameters<typeof postgresStore>[0]> = {}): TokenStore => {
    const store = postgresStore({ connectionString: peer().url, key, table: freshTable(), ...options });
    opened.push({ close: async () => store.close?.() });
    return store;
  };
  const sql = async (text: string, values: unknown[] = []): Promise<Array<Record<string, unknown>>> => {
    const client = new pg.Client({ connectionString: peer().url });
    await client.connect();
    try {
      return (await client.query<Record<string, unknown>>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  const errorOf = async (action: () => Promise<unknown>): Promise<StoreError> => {
    const error = await action().then(
      () => expect.unreachable('expected a StoreError'),
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  };

  it('keeps one row per scope, sealed as dir + A256GCM JWEs with no secret in clear', async () => {
    const table = freshTable();
    const store = open({ table });
    await store.set('smtp.services', { tokens: { accessToken, refreshToken }, account: 'scanner@contoso.com' });
    await store.set('pop.emailStatus', { tokens: { refreshToken: `${refreshToken}-pop` } });
    const rows = await sql(`SELECT key, value FROM public.${table} ORDER BY key`);
    expect(rows.map((row) => row.key)).toEqual(['pop.emailStatus', 'smtp.services']);
    const raw = JSON.stringify(rows);
    for (const secret of [refreshToken, accessToken, 'SECRET', 'scanner@contoso.com']) {
      expect(raw).not.toContain(secret);
      expect(raw).not.toContain(Buffer.from(secret).toString('base64url'));
    }
    const jwe = JSON.parse(rows[0]?.value as string) as { protected: string };
    expect(JSON.parse(Buffer.from(jwe.protected, 'base64url').toString())).toEqual({ alg: 'dir', enc: 'A256GCM' });
  });

  it('records the layout version in mail_oauth_meta, and refuses a newer one', async () => {
    const table = freshTable();
    await open({ table }).get('k');
    expect(await sql('SELECT version FROM public.mail_oauth_meta WHERE table_name = $1', [table])).toEqual([{ version: 1 }]);
    await sql('UPDATE public.mail_oauth_meta SET version = 2 WHERE table_name = $1', [table]);
    const error = await errorOf(() => open({ table }).get('k'));
    expect(error.code).toBe('ERR_STORE_VERSION');
    expect(error.kind).toBe('configuration');
  });

  it('creates the schema once when a fleet starts at the same moment (20 instances)', async () => {
    const table = freshTable();
    const stores = Array.from({ length: 20 }, () => open({ table, schema: `s_${table}` }));
    await Promise.all(stores.map((store, n) => store.set(`k${n}`, { n })));
    expect(await stores[0]?.get('k19')).toEqual({ n: 19 });
  });

  it('refuses a row read with another key, or copied under another scope', async () => {
    const table = freshTable();
    await open({ table }).set('a', { refreshToken });
    expect((await errorOf(() => open({ table, key: testKey(99) }).get('a'))).code).toBe('ERR_STORE_KEY');
    await sql(`INSERT INTO public.${table} (key, value) SELECT 'b', value FROM public.${table} WHERE key = 'a'`);
    expect((await errorOf(() => open({ table }).get('b'))).code).toBe('ERR_STORE_CORRUPT');
  });

  it('bounds a statement by statementTimeoutMs: a blocked write is a transient ERR_STORE_WRITE, and nothing is lost', async () => {
    const table = freshTable();
    const store = open({ table, statementTimeoutMs: 300 });
    await store.set('k', { n: 1 });
    const blocker = new pg.Client({ connectionString: peer().url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`SELECT * FROM public.${table} WHERE key = 'k' FOR UPDATE`);
      const started = Date.now();
      const error = await errorOf(() => store.set('k', { n: 2 }));
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(error.code).toBe('ERR_STORE_WRITE');
      expect(error.kind).toBe('transient');
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect(await store.get('k')).toEqual({ n: 1 });
  });

  it('a lock held past lockTimeoutMs fails with a transient ERR_STORE_LOCKED, and the session keeps its statement timeout', async () => {
    const table = freshTable();
    const holder = open({ table });
    const waiter = open({ table, lockTimeoutMs: 300, statementTimeoutMs: 5_000 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const holding = holder.withLock!('k', async () => {
      entered();
      await gate;
    });
    await inside;
    const error = await errorOf(() => waiter.withLock!('k', async () => 'never'));
    expect(error.code).toBe('ERR_STORE_LOCKED');
    expect(error.kind).toBe('transient');
    release();
    await holding;
    await expect(waiter.withLock!('k', async () => 'after')).resolves.toBe('after');
  });

  it('holds the lock across instances: two stores on one table take turns', async () => {
    const table = freshTable();
    const a = open({ table });
    const b = open({ table });
    await a.set('counter', { n: 0 });
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 === 0 ? a : b).withLock!('counter', async () => {
          inside++;
          most = Math.max(most, inside);
          const store = i % 2 === 0 ? a : b;
          const { n } = (await store.get('counter')) as { n: number };
          await new Promise((resolve) => setTimeout(resolve, 2));
          await store.set('counter', { n: n + 1 });
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(await b.get('counter')).toEqual({ n: 30 });
  });

  it('a write inside withLock is committed before fn returns (seen by another instance at once)', async () => {
    const table = freshTable();
    const a = open({ table });
    const b = open({ table });
    await a.withLock!('k', async () => {
      await a.set('k', { rotated: true });
      expect(await b.get('k')).toEqual({ rotated: true });
    });
  });

  it('does not exhaust a small pool: as many keys locked at once as the pool has connections', async () => {
    const store = open({ maxConnections: 2 });
    await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        store.withLock!(`k${n}`, async () => {
          await store.set(`k${n}`, { n });
          return store.get(`k${n}`);
        }),
      ),
    );
  });

  it('tells watchers of a key when another instance writes or deletes it', async () => {
    const table = freshTable();
    const a = open({ table });
    const b = open({ table });
    await b.get('warm-up');
    const heard: string[] = [];
    const stop = a.watch!('smtp.services', () => heard.push('smtp.services'));
    a.watch!('pop.emailStatus', () => heard.push('pop.emailStatus'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await b.set('smtp.services', { n: 1 });
    await b.set('other', { n: 1 });
    await b.delete('pop.emailStatus');
    await b.set('pop.emailStatus', { n: 2 });
    await expect.poll(() => heard.sort(), { timeout: 3_000 }).toEqual(['pop.emailStatus', 'smtp.services']);
    stop();
    await b.set('smtp.services', { n: 2 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard.filter((k) => k === 'smtp.services')).toHaveLength(1);
  });

  it('refuses bad options before connecting', () => {
    const bad: Array<Record<string, unknown>> = [
      { key },
      { connectionString: peer().url, pool: new pg.Pool(), key },
      { connectionString: peer().url, key: new Uint8Array(16) },
      { connectionString: peer().url, key, table: 'x"; DROP TABLE y; --' },
      { connectionString: peer().url, key, schema: 'Public' },
      { connectionString: peer().url, key, statementTimeoutMs: 0 },
    ];
    for (const options of bad) {
      expect(() => postgresStore(options as never)).toThrow(SettingsError);
    }
  });

  it('puts no token, key or password in an error', async () => {
    const store = postgresStore({
      connectionString: `postgres://postgres:hunter2-SECRET@127.0.0.1:${peer().port}/no_such_db`,
      key,
      table: freshTable(),
    });
    const error = await errorOf(() => store.set('k', { refreshToken }));
    expect(error.code).toBe('ERR_STORE_WRITE');
    const cause = error.cause as Error;
    const text = [
      error.message,
      error.hint,
      JSON.stringify(error),
      String(error.stack),
      cause.message,
      String(cause.stack),
      JSON.stringify(cause),
    ].join('\n');
    for (const secret of [refreshToken, 'hunter2', Buffer.from(key).toString('hex')]) expect(text).not.toContain(secret);
    expect(error).toBeInstanceOf(MailOAuthError);
    await store.close?.();
  });
});
