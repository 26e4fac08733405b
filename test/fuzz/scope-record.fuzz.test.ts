/**
 * Fuzzing of `parseScopeRecord` (`src/machine/record.ts`), which checks whatever a store hands
 * back. A record carries tokens, so the secret assertion uses the record's own tokens: a refusal
 * must never quote them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScopeRecord, SCOPE_RECORD_VERSION } from '../../src/machine/record.js';
import { expectCoded, expectNoSecret, fuzzParameters, fuzzTimeout, heapGuard, secretArb, timed } from './helpers.js';

const phases = ['not-acquired', 'authorizing', 'acquired', 'invalid'] as const;

/** A record as the machine writes it, with secret tokens. */
const validRecord = fc
  .record({
    accessToken: secretArb,
    refreshToken: secretArb,
    phase: fc.constantFrom(...phases),
    expiresAt: fc.integer({ min: 0, max: 2 ** 45 }),
  })
  .map(({ accessToken, refreshToken, phase, expiresAt }): { secrets: string[]; record: Record<string, unknown> } => ({
    secrets: [accessToken, refreshToken],
    record: {
      v: SCOPE_RECORD_VERSION,
      settings: {
        server: 'smtp.office365.com',
        port: 587,
        security: 'starttls',
        authMethod: 'oauth2',
        provider: 'microsoft365',
        account: 'scanner@contoso.com',
      },
      phase,
      tokens: { accessToken, refreshToken, tokenType: 'Bearer', expiresAt, flow: 'device-code' },
      obtainedAt: expiresAt - 3_600_000,
    },
  }));

const anyJson = fc.jsonValue({ maxDepth: 3 });
const paths = [
  'v',
  'settings',
  'phase',
  'tokens',
  'tokens.accessToken',
  'tokens.expiresAt',
  'tokens.refreshToken',
  'pending',
  'invalidReason',
  'obtainedAt',
] as const;

/** Replaces or deletes one field (possibly nested) of a copy of `record`. */
function mutate(record: Record<string, unknown>, path: string, value: unknown, remove: boolean): Record<string, unknown> {
  const copy = structuredClone(record);
  const [head, tail] = path.split('.') as [string, string | undefined];
  const target = tail === undefined ? copy : (copy[head] as Record<string, unknown> | undefined);
  const key = tail ?? head;
  if (target === undefined || target === null || typeof target !== 'object') return copy;
  if (remove) delete target[key];
  else target[key] = value;
  return copy;
}

/** One fuzz case: what the store returned, and the secrets no error may reveal. */
interface Input {
  value: unknown;
  secrets: string[];
}

const input = fc.oneof(
  anyJson.map((value): Input => ({ value, secrets: [] })),
  fc
    .tuple(validRecord, fc.array(fc.tuple(fc.constantFrom(...paths), anyJson, fc.boolean()), { minLength: 1, maxLength: 3 }))
    .map(([{ record, secrets }, mutations]): Input => ({
      value: mutations.reduce((r, [path, value, remove]) => mutate(r, path, value, remove), record),
      secrets,
    })),
  fc
    .tuple(validRecord, fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })))
    .map(([{ record, secrets }, v]): Input => ({ value: { ...record, v }, secrets })),
);

describe('ScopeRecord parsing (fuzz)', () => {
  it(
    'accepts only records of the known shape; refuses everything else with ERR_STORE_CORRUPT or ERR_STORE_VERSION, without quoting tokens',
    () => {
      const done = heapGuard();
      fc.assert(
        fc.property(input, ({ value, secrets }) => {
          let record;
          try {
            record = timed(100, 'parseScopeRecord', () => parseScopeRecord(value));
          } catch (err) {
            expectCoded(err, ['ERR_STORE_CORRUPT', 'ERR_STORE_VERSION']);
            expectNoSecret(err, secrets);
            return;
          }
          if (record === undefined) {
            expect(value === null || value === undefined).toBe(true);
            return;
          }
          expect(record.v).toBe(SCOPE_RECORD_VERSION);
          expect(typeof record.settings === 'object' && record.settings !== null && !Array.isArray(record.settings)).toBe(true);
          expect(phases).toContain(record.phase);
          if (record.tokens !== undefined) {
            expect(typeof record.tokens.accessToken).toBe('string');
            expect(typeof record.tokens.expiresAt).toBe('number');
          }
        }),
        fuzzParameters(0x5c09e),
      );
      done();
    },
    fuzzTimeout(1),
  );

  // Regression (fuzz report, issue 8): `v` was only checked against the upper bound, so a record
  // claiming version 0, -7 or 0.5 — which no version of mail-oauth wrote — was accepted as
  // version 1 instead of being refused as corrupt.
  it('refuses a record whose version is not one mail-oauth ever wrote (0, negative, fractional)', () => {
    fc.assert(
      fc.property(
        validRecord,
        fc.oneof(
          fc.integer({ max: 0 }),
          fc.double({ min: -1e9, max: 1, noNaN: true }).filter((v) => v !== 1),
        ),
        ({ record }, v) => {
          expect(() => parseScopeRecord({ ...record, v })).toThrow(expect.objectContaining({ code: 'ERR_STORE_CORRUPT' }));
        },
      ),
      fuzzParameters(0x5c09f),
    );
  });
});
