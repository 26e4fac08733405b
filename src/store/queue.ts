/** Runs `fn` after every earlier caller with the same name settled. */
export type SerialQueue = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

/**
 * Creates a set of per-name in-process queues. The file store shares one per process so that
 * in-process contenders wait in line instead of polling the lock file against each other;
 * `memoryStore` uses its own as its whole lock.
 * @internal
 *
 * @example
 * ```ts
 * const serialize = createSerialQueue();
 * await serialize('/var/lib/device/oauth.jwe.lock', () => writeSomething());
 * ```
 */
export function createSerialQueue(): SerialQueue {
  const queues = new Map<string, Promise<unknown>>();
  return async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const previous = queues.get(name) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    queues.set(name, tail);
    try {
      return await run;
    } finally {
      if (queues.get(name) === tail) queues.delete(name);
    }
  };
}
