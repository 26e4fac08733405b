/**
 * The time source and timer facility of a device. XState's `SimulatedClock` satisfies it,
 * which is how tests run months of token life in milliseconds.
 * @category Runtime
 */
export interface Clock {
  /**
   * Current time in milliseconds since the epoch.
   *
   * @example
   * ```ts
   * const clock: Clock = { now: () => Date.now(), setTimeout, clearTimeout };
   * const device = await createMailOAuth({ providers, clock });
   * ```
   */
  now(): number;
  /**
   * Schedules `fn` after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}.
   *
   * @example
   * ```ts
   * const handle = clock.setTimeout(() => renew(), 60_000);
   * ```
   */
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown;
  /**
   * Cancels a timer made by {@link Clock.setTimeout}.
   *
   * @example
   * ```ts
   * clock.clearTimeout(clock.setTimeout(() => renew(), 60_000));
   * ```
   */
  clearTimeout(handle: unknown): void;
}

/** The real clock. Its timers are `unref()`ed so a background refresh never keeps a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    // Node caps timers at 2^31-1 ms (~24.8 days); longer delays fire early and re-arm via the machine.
    const handle = setTimeout(fn, Math.min(Math.max(0, ms), 2 ** 31 - 1));
    handle.unref?.();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

let holders = 0;
let keepAliveHandle: ReturnType<typeof setInterval> | undefined;

/**
 * Keeps the process alive until the returned function is called (idempotent). The system clock's
 * timers are unref'd so that background renewals never hold a process open; a caller awaiting a
 * sign-in, or a running mail poller, takes a hold instead, whichever clock is injected.
 * @internal
 */
export function holdProcessOpen(): () => void {
  if (holders++ === 0) keepAliveHandle = setInterval(() => undefined, 3_600_000);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (--holders === 0) {
      clearInterval(keepAliveHandle);
      keepAliveHandle = undefined;
    }
  };
}
