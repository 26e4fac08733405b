import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TokenStore } from '../../src/store/types.js';

/** Makes a fresh, empty store for one test. */
export type StoreFactory = () => TokenStore | Promise<TokenStore>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const sampleRecord = () => ({
  version: 1,
  status: 'acquired',
  tokens: {
    accessToken: 'at-ä-😀',
    refreshToken: 'rt-1',
    tokenType: 'Bearer',
    expiresAt: 1_700_000_000_000,
    scope: 'https://outlook.office.com/SMTP.Send offline_access',
  },
  flags: [true, false, null],
  nested: { deep: { deeper: [1, 2.5, -3, 'x'] } },
});

/**
 * The behaviour every {@link TokenStore} must have. Call it from a test file with a factory that
 * returns a fresh, empty store each time.
 *
 * @example
 * ```ts
 * testStore('memoryStore', () => memoryStore());
 * ```
 */
export function testStore(name: string, factory: StoreFactory): void {
  describe(`TokenStore contract: ${name}`, () => {
    let store: TokenStore;

    beforeEach(async () => {
      store = await factory();
    });

    afterEach(async () => {
      await store.close?.();
    });

    it('returns undefined for a key never written', async () => {
      expect(await store.get('smtp.services')).toBeUndefined();
    });

    it('returns what was set', async () => {
      await store.set('smtp.services', sampleRecord());
      expect(await store.get('smtp.services')).toEqual(sampleRecord());
    });

    it('replaces a record on a second set', async () => {
      await store.set('k', { n: 1 });
      await store.set('k', { n: 2 });
      expect(await store.get('k')).toEqual({ n: 2 });
    });

    it('deletes a record, and deleting a missing key is no error', async () => {
      await store.set('a', { n: 1 });
      await store.set('b', { n: 2 });
      await store.delete('a');
      expect(await store.get('a')).toBeUndefined();
      expect(await store.get('b')).toEqual({ n: 2 });
      await expect(store.delete('a')).resolves.toBeUndefined();
      await expect(store.delete('never')).resolves.toBeUndefined();
    });

    it('keeps keys apart, including ones that look like object internals', async () => {
      const keys = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'pop.emailStatus', 'ü/..\\x'];
      for (const [i, key] of keys.entries()) await store.set(key, { i });
      for (const [i, key] of keys.entries()) expect(await store.get(key)).toEqual({ i });
      expect(await store.get('valueOf')).toBeUndefined();
    });

    it('copies values in and out, never aliasing a caller object', async () => {
      const record = sampleRecord();
      await store.set('k', record);
      record.tokens.accessToken = 'changed after set';
      record.flags.push(true);

      const first = (await store.get('k')) as ReturnType<typeof sampleRecord>;
      expect(first).toEqual(sampleRecord());
      first.tokens.refreshToken = 'changed after get';

      const second = await store.get('k');
      expect(second).toEqual(sampleRecord());
      expect(second).not.toBe(first);
    });

    it('applies concurrent writes to one key in call order', async () => {
      await Promise.all(Array.from({ length: 25 }, (_, n) => store.set('k', { n })));
      expect(await store.get('k')).toEqual({ n: 24 });
    });

    it('loses no record when concurrent writers use different keys', async () => {
      const keys = Array.from({ length: 30 }, (_, n) => `scope-${n}`);
      await Promise.all(keys.map((key, n) => store.set(key, { n })));
      for (const [n, key] of keys.entries()) expect(await store.get(key)).toEqual({ n });

      await Promise.all(keys.map((key, n) => (n % 2 === 0 ? store.delete(key) : store.set(key, { n, again: true }))));
      for (const [n, key] of keys.entries()) {
        expect(await store.get(key)).toEqual(n % 2 === 0 ? undefined : { n, again: true });
      }
    });

    it('stores a record of about 1 MB', async () => {
      const chunk = Array.from({ length: 1024 }, (_, i) => String.fromCharCode(33 + ((i * 7) % 90))).join('');
      const large = { blob: chunk.repeat(1024), list: Array.from({ length: 1000 }, (_, i) => ({ i })) };
      await store.set('large', large);
      await store.set('small', { n: 1 });
      expect(await store.get('large')).toEqual(large);
      expect(await store.get('small')).toEqual({ n: 1 });
    });

    describe('withLock', () => {
      it('runs one holder at a time per key (read-modify-write loses nothing)', async (ctx) => {
        const withLock = store.withLock?.bind(store);
        if (withLock === undefined) return ctx.skip();
        await store.set('counter', { n: 0 });
        let inside = 0;
        let maxInside = 0;
        await Promise.all(
          Array.from({ length: 20 }, () =>
            withLock('counter', async () => {
              inside++;
              maxInside = Math.max(maxInside, inside);
              const { n } = (await store.get('counter')) as { n: number };
              await sleep(1);
              await store.set('counter', { n: n + 1 });
              inside--;
            }),
          ),
        );
        expect(maxInside).toBe(1);
        expect(await store.get('counter')).toEqual({ n: 20 });
      });

      it('resolves to what fn returns', async (ctx) => {
        const withLock = store.withLock?.bind(store);
        if (withLock === undefined) return ctx.skip();
        await expect(withLock('k', async () => 42)).resolves.toBe(42);
      });

      it('releases the lock when fn throws, and rethrows that error', async (ctx) => {
        const withLock = store.withLock?.bind(store);
        if (withLock === undefined) return ctx.skip();
        const boom = new Error('boom');
        await expect(withLock('k', async () => Promise.reject(boom))).rejects.toBe(boom);
        await expect(
          withLock('k', () => {
            throw boom;
          }),
        ).rejects.toBe(boom);
        await expect(withLock('k', async () => 'after')).resolves.toBe('after');
      });

      it('does not block other keys', async (ctx) => {
        const withLock = store.withLock?.bind(store);
        if (withLock === undefined) return ctx.skip();
        const gate = deferred();
        const holding = withLock('a', () => gate.promise);
        await expect(withLock('b', async () => 'b ran')).resolves.toBe('b ran');
        gate.resolve();
        await holding;
      });

      it('makes a second caller wait until the first one finished', async (ctx) => {
        const withLock = store.withLock?.bind(store);
        if (withLock === undefined) return ctx.skip();
        const gate = deferred();
        const order: string[] = [];
        const first = withLock('k', async () => {
          order.push('first in');
          await gate.promise;
          await store.set('k', { by: 'first' });
          order.push('first out');
        });
        const second = withLock('k', async () => {
          order.push('second in');
          return store.get('k');
        });
        await sleep(20);
        expect(order).toEqual(['first in']);
        gate.resolve();
        await expect(second).resolves.toEqual({ by: 'first' });
        await first;
        expect(order).toEqual(['first in', 'first out', 'second in']);
      });
    });
  });
}
