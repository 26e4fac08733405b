/**
 * Exponential back-off with full jitter for transient failures.
 * @category Runtime
 */
export interface BackoffPolicy {
  /** First delay ceiling in milliseconds. Default 2 000. */
  initialMs: number;
  /** Largest delay in milliseconds. Default 300 000 (5 minutes). */
  maxMs: number;
}

/** The default back-off: 2 s doubling to 5 minutes. */
export const defaultBackoff: BackoffPolicy = { initialMs: 2_000, maxMs: 300_000 };

/**
 * Delay before retry number `attempt` (1-based): a uniform draw in [ceiling/2, ceiling] where the
 * ceiling doubles per attempt up to `maxMs`. Half-jitter keeps a floor so a device never hammers
 * a provider, and the spread keeps a fleet of devices from retrying in lock step.
 * A server's `Retry-After` (ms) is honoured as a minimum.
 * @internal
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: number, retryAfterMs?: number): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(exponent, 30));
  const jittered = Math.round(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random, 0), 1));
  return Math.max(jittered, retryAfterMs ?? 0);
}
