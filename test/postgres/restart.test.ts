/**
 * The database restarts under load: store operations fail with transient errors (never a lost
 * token, never Invalid), then recover through the pool; LISTEN comes back by itself.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { createMailOAuth, oidc } from '../../src/index.js';
import { postgresStore } from '../../src/postgres/index.js';
import { SCOPE, seed } from './fleet-helpers.js';
import { startCountingIssuer, type CountingIssuer } from './issuer.js';
import { describePostgres, freshTable } from './setup.js';

const key = randomBytes(32);

describePostgres('postgresStore across a database restart', (peer) => {
  let issuer: CountingIssuer | undefined;
  afterAll(async () => {
    await issuer?.close();
  });

  it('callers get transient store errors while it is down and recover after; the token stays Acquired', async () => {
    issuer = await startCountingIssuer({ mode: 'strict' });
    const table = freshTable();
    await seed(peer().url, key, table, issuer);
    const store = postgresStore({ connectionString: peer().url, key, table, statementTimeoutMs: 1_000 });
    const other = postgresStore({ connectionString: peer().url, key, table });
    const device = await createMailOAuth({
      providers: [oidc({ id: 'corp', issuer: issuer.issuer, clientId: 'fleet', scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' } })],
      store,
    });
    const page = device.page('smtp.services');
    const before = await page.accessToken();
    const heard: number[] = [];
    store.watch!('probe', () => heard.push(Date.now()));
    await other.set('probe', { n: 0 });
    await expect.poll(() => heard.length, { timeout: 3_000 }).toBeGreaterThan(0);

    await peer().stop();
    const codes = new Set<string>();
    for (const action of [() => store.get('probe'), () => store.set('probe', { n: 1 }), () => store.withLock!('probe', async () => 1)]) {
      const error = await action().then(
        () => expect.unreachable('the database is down'),
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).kind).toBe('transient');
      codes.add((error as StoreError).code);
    }
    // withLock cannot reach the database either: a write error, not ERR_STORE_LOCKED (nobody holds the lock).
    expect([...codes].sort()).toEqual(['ERR_STORE_READ', 'ERR_STORE_WRITE']);
    // A renewal now cannot take the lock: the caller is told to retry, the token is kept.
    const renewal = await page.renewRejectedToken(before).then(
      () => 'renewed',
      (err: { code?: string; kind?: string }) => `${err.code}/${err.kind}`,
    );
    expect(renewal).toBe('ERR_TOKEN_REFRESH_UNAVAILABLE/transient');
    expect(page.status).toBe('acquired');
    expect(issuer.refreshes).toBe(0);

    await peer().start();
    const heardBefore = heard.length;
    // The pool reconnects on the next call; no restart of the service is needed.
    await expect
      .poll(
        () =>
          store.get('probe').then(
            () => 'ok',
            (err: StoreError) => err.code,
          ),
        { timeout: 10_000, interval: 200 },
      )
      .toBe('ok');
    const renewed = await page.renewRejectedToken(before);
    expect(renewed).not.toBe(before);
    expect(issuer.refreshes).toBe(1);
    expect(((await other.get(SCOPE)) as { tokens: { accessToken: string } }).tokens.accessToken).toBe(renewed);
    // The listener is back too: writes made after the restart are heard again.
    await expect
      .poll(async () => (await other.set('probe', { n: 2 }), heard.length), { timeout: 10_000, interval: 300 })
      .toBeGreaterThan(heardBefore);

    await device.close();
    await other.close?.();
  }, 60_000);
});
