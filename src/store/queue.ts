/** Per name, the tail of the in-process queue (shared by every store instance in this process). */
const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` after every earlier caller in this process with the same `name` settled. The file
 * store queues in-process contenders here so that they do not poll the lock file against each
 * other; `memoryStore` can use it as its whole lock.
 * @internal
 *
 * @example
 * ```ts
 * await serialize('/var/lib/device/oauth.jwe.lock', () => writeSomething());
 * ```
 */
export async function serialize<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(name) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => undefined);
  queues.set(name, tail);
  try {
    return await run;
  } finally {
    if (queues.get(name) === tail) queues.delete(name);
  }
}
