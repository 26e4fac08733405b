import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultBackoff } from '../../src/machine/backoff.js';

describe('back-off', () => {
  it('doubles per attempt with half-jitter, is capped, and never goes below Retry-After', () => {
    expect(backoffDelay(defaultBackoff, 1, 0)).toBe(1_000);
    expect(backoffDelay(defaultBackoff, 1, 1)).toBe(2_000);
    expect(backoffDelay(defaultBackoff, 3, 0.5)).toBe(6_000);
    expect(backoffDelay(defaultBackoff, 40, 0.5)).toBe(225_000);
    expect(backoffDelay(defaultBackoff, 1, 0, 7_000)).toBe(7_000);
  });

  it('stays within [ceiling/2, maxMs] for any attempt and random draw (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, random) => {
        const delay = backoffDelay(defaultBackoff, attempt, random);
        expect(delay).toBeGreaterThanOrEqual(defaultBackoff.initialMs / 2);
        expect(delay).toBeLessThanOrEqual(defaultBackoff.maxMs);
      }),
    );
  });
});
