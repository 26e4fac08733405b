import type { PgClient, PgPool } from './driver.js';

/** Delays between attempts to re-establish LISTEN after the connection was lost, in milliseconds. */
const RECONNECT_MS = [100, 250, 500, 1_000, 2_000, 5_000] as const;

/** @internal */
export interface Notifier {
  watch(key: string, listener: () => void): () => void;
  close(): Promise<void>;
}

/**
 * One connection per store that LISTENs on the table's channel and calls the listeners of the
 * key named in each notification. After a reconnect every listener is called once: changes made
 * while the connection was down produced notifications nobody received.
 * @internal
 */
export function createNotifier(pool: () => Promise<PgPool>, channel: string): Notifier {
  const listeners = new Map<string, Set<() => void>>();
  let client: PgClient | undefined;
  let connecting: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let attempt = 0;
  let closed = false;

  const call = (key: string): void => {
    for (const listener of listeners.get(key) ?? []) {
      try {
        listener();
      } catch {
        // A listener's failure is its own; the others still hear of the change.
      }
    }
  };

  const onNotification = (message: { channel: string; payload?: string }): void => {
    if (message.channel === channel && message.payload !== undefined) call(message.payload);
  };

  const lost = (held: PgClient, err?: Error): void => {
    if (client !== held) return;
    client = undefined;
    held.off('notification', onNotification);
    held.release(err ?? true);
    schedule();
  };

  const schedule = (): void => {
    if (closed || timer !== undefined || listeners.size === 0) return;
    const delay = RECONNECT_MS[Math.min(attempt, RECONNECT_MS.length - 1)] ?? 5_000;
    attempt++;
    timer = setTimeout(() => {
      timer = undefined;
      void connect(true);
    }, delay);
    // A reconnect must not keep a process alive that has nothing else to do.
    timer.unref();
  };

  const connect = (missedChanges: boolean): Promise<void> =>
    (connecting ??= (async () => {
      let held: PgClient | undefined;
      try {
        held = await (await pool()).connect();
        held.on('notification', onNotification);
        held.on('error', (err: Error) => lost(held as PgClient, err));
        held.on('end', () => lost(held as PgClient));
        await held.query(`LISTEN ${channel}`);
        if (closed) {
          held.release(true);
          return;
        }
        client = held;
        attempt = 0;
        if (missedChanges) for (const key of [...listeners.keys()]) call(key);
      } catch (err) {
        held?.release(err instanceof Error ? err : true);
        schedule();
      } finally {
        connecting = undefined;
      }
    })());

  return {
    watch(key, listener) {
      if (closed) return () => undefined;
      let set = listeners.get(key);
      if (set === undefined) listeners.set(key, (set = new Set()));
      const own = (): void => listener();
      set.add(own);
      if (client === undefined && timer === undefined) void connect(false);
      return () => {
        set.delete(own);
        if (set.size === 0 && listeners.get(key) === set) listeners.delete(key);
      };
    },
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      await connecting;
      const held = client;
      client = undefined;
      listeners.clear();
      if (held !== undefined) {
        await held.query(`UNLISTEN ${channel}`).catch(() => undefined);
        held.release(true);
      }
    },
  };
}
