/**
 * Shared harness of the property-based fuzz suites (`test/fuzz/*.fuzz.test.ts`).
 *
 * - Case count: `FUZZ_RUNS` (default 1 000, the smoke inside `npm test`; `npm run fuzz` sets 100 000).
 * - Seed: fixed per property so a run is reproducible; `FUZZ_SEED=<n>` replays another one
 *   (fast-check prints the seed and the shrunk counterexample's path on failure).
 * - Every failure must be a `MailOAuthError` with a code from the catalog, within a deadline,
 *   with bounded heap growth, and — where the parser knows what was sent — without a secret.
 */
import { inspect } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { expect } from 'vitest';
import { MailOAuthError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import { catalogs } from '../../src/messages/catalog.js';

/** Cases per property. */
export const FUZZ_RUNS = positiveInt(process.env.FUZZ_RUNS, 1_000);

/** Every code the library may throw: the catalog must have a text for each (the type-check ensures it). */
export const KNOWN_CODES: ReadonlySet<string> = new Set(Object.keys(catalogs.en).filter((key) => key.startsWith('ERR_')));

/** fast-check parameters: `FUZZ_RUNS` cases, a fixed seed per property unless `FUZZ_SEED` is set. */
export function fuzzParameters<T>(seed: number, runs = FUZZ_RUNS): fc.Parameters<T> {
  const override = process.env.FUZZ_SEED;
  return { numRuns: runs, seed: override === undefined ? seed : Number(override) };
}

/**
 * A vitest timeout for a property of `runs` cases that each take up to `msPerCase` on this
 * 2-core machine, never below 30 s.
 */
export function fuzzTimeout(msPerCase: number, runs = FUZZ_RUNS): number {
  return Math.max(30_000, Math.ceil(runs * msPerCase) + 10_000);
}

/**
 * Asserts that `err` is a coded library error: a `MailOAuthError` whose code is in the catalog
 * and, when `allowed` is given, one of those.
 */
export function expectCoded(err: unknown, allowed?: readonly ErrorCode[]): asserts err is MailOAuthError {
  if (!(err instanceof MailOAuthError)) {
    throw new Error(`not a MailOAuthError: ${inspect(err, { depth: 3 }).slice(0, 500)}`);
  }
  if (!KNOWN_CODES.has(err.code)) throw new Error(`unknown code ${String(err.code)}`);
  if (allowed !== undefined && !allowed.includes(err.code)) {
    throw new Error(`code ${err.code} not in [${allowed.join(', ')}]: ${err.message.slice(0, 300)}`);
  }
}

/** The forms in which a sent value may come back: as is, URL-encoded, form-encoded, JSON-escaped. */
export function secretForms(secret: string): string[] {
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
  ]);
  return [...forms].filter((form) => form.length >= 8);
}

/**
 * Asserts that no secret (in any of {@link secretForms}) appears in what an error shows:
 * `message`, `JSON.stringify`, `util.inspect` at depth 10 (stack, cause chain, own fields).
 */
export function expectNoSecret(err: unknown, secrets: readonly string[]): void {
  const views = [
    err instanceof Error ? err.message : String(err),
    JSON.stringify(err) ?? '',
    inspect(err, { depth: 10, showHidden: false }),
  ];
  for (const secret of secrets) {
    for (const form of secretForms(secret)) {
      for (const view of views) {
        if (view.includes(form)) throw new Error(`secret ${JSON.stringify(form.slice(0, 12))}… leaked: ${view.slice(0, 400)}`);
      }
    }
  }
}

/** Fails when `work` does not settle within `ms` (a hang is a failure, not a stuck run). */
export async function withDeadline<T>(ms: number, what: string, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a synchronous parser and fails when one call takes longer than `ms` twice in a row (a
 * synchronous hang cannot be interrupted; super-linear work on a short input is slow every time,
 * while a GC pause or a busy machine is not — hence the second measurement of a pure call).
 */
export function timed<T>(ms: number, what: string, work: () => T): T {
  const started = performance.now();
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: work() };
  } catch (error) {
    outcome = { error };
  }
  if (performance.now() - started > ms) {
    const again = performance.now();
    try {
      work();
    } catch {
      // The first call's outcome is the one returned or thrown.
    }
    const took = performance.now() - again;
    if (took > ms) throw new Error(`${what} took ${took.toFixed(0)} ms twice (limit ${ms} ms)`);
  }
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

let gc: (() => void) | undefined;

/** A full garbage collection, so heap figures compare live data rather than GC timing. */
export function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/**
 * Starts a heap measurement; the returned function asserts that live heap grew by less than
 * `maxGrowthBytes` since (after a full GC at both ends) and returns the growth.
 */
export function heapGuard(maxGrowthBytes = 32 * 1024 * 1024): () => number {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  return () => {
    collectGarbage();
    const growth = process.memoryUsage().heapUsed - before;
    expect(growth, `heap grew by ${(growth / 1048576).toFixed(1)} MiB`).toBeLessThan(maxGrowthBytes);
    return growth;
  };
}

/** A secret-looking value (base64url alphabet, 24–64 characters): long enough that a hit is no accident. */
export const secretArb: fc.Arbitrary<string> = fc
  .string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 24, maxLength: 64 })
  .map((s) => `S3cr3t${s}`);

/** Any text a hostile peer might send: ASCII, control characters, full Unicode, lone surrogates. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({
    unit: fc.constantFrom('\r', '\n', '\0', '\x01', ' ', '\t', '+', '-', '.', '=', '"', '{', '}', '[', ']', ':', ','),
    maxLength: 60,
  }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 8 }),
);

function positiveInt(value: string | undefined, fallback: number): number {
  const n = value === undefined ? NaN : Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}
