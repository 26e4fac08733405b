import type { Dispatcher } from 'undici';
import { systemClock } from '../../src/clock.js';
import type { Clock } from '../../src/clock.js';
import { silentLogger } from '../../src/logger.js';
import type { GrantContext } from '../../src/providers/types.js';

/** A grant context for tests: real clock unless one is given, silent logger, optional dispatcher. */
export function grantContext(options: { dispatcher?: Dispatcher; clock?: Clock; signal?: AbortSignal } = {}): GrantContext {
  return {
    signal: options.signal ?? new AbortController().signal,
    dispatcher: options.dispatcher,
    clock: options.clock ?? systemClock,
    logger: silentLogger,
  };
}

/** A clock fixed at `now` (advance by assigning). */
export function fixedClock(now: number): Clock & { now(): number; set(ms: number): void } {
  let current = now;
  return {
    now: () => current,
    set: (ms) => {
      current = ms;
    },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}
