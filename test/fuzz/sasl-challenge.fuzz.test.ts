/**
 * Fuzzing of the SASL error challenge a mail server sends after a rejected bearer token
 * (`src/sasl/challenge.ts`). The parser has no notion of sent values: no secret assertion.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSaslErrorChallenge } from '../../src/sasl/challenge.js';
import { fuzzParameters, fuzzTimeout, heapGuard, hostileText, timed } from './helpers.js';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Payloads a hostile or broken server might send after `+ ` / `334 `. */
const payload = fc.oneof(
  hostileText,
  fc.base64String({ maxLength: 400 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => b64(JSON.stringify(v))),
  fc
    .record(
      {
        status: fc.oneof(fc.string(), fc.double(), fc.integer(), fc.constant(null), fc.boolean()),
        schemes: fc.oneof(fc.string(), fc.constant('bearer'), fc.array(fc.string())),
        scope: fc.oneof(fc.string(), fc.webUrl()),
        'openid-configuration': fc.oneof(fc.webUrl(), fc.object()),
      },
      { requiredKeys: [] },
    )
    .map((v) => b64(JSON.stringify(v))),
  fc.constantFrom('{"__proto__":{"status":"401"}}', '{"status":{"toString":1}}', '[]', 'null', '"401"', '{"status":1e400}').map(b64),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('base64')),
  fc.tuple(fc.constantFrom(' ', '\t', '\r', '\n', '='), fc.base64String({ maxLength: 100 })).map(([pad, text]) => pad + text + pad),
);

describe('SASL error challenge (fuzz)', () => {
  it(
    'never throws; gives undefined or string-or-undefined fields; a challenge it accepts is base64 JSON object',
    () => {
      const done = heapGuard();
      fc.assert(
        fc.property(payload, (text) => {
          const challenge = timed(200, 'parseSaslErrorChallenge', () => parseSaslErrorChallenge(text));
          if (challenge === undefined) return;
          for (const value of Object.values(challenge)) expect(value === undefined || typeof value === 'string').toBe(true);
          expect(Object.keys(challenge).sort()).toEqual(['openidConfiguration', 'schemes', 'scope', 'status']);
          const decoded: unknown = JSON.parse(Buffer.from(text.trim(), 'base64').toString('utf8'));
          expect(typeof decoded === 'object' && decoded !== null && !Array.isArray(decoded)).toBe(true);
        }),
        fuzzParameters(0x5a51),
      );
      done();
    },
    fuzzTimeout(1),
  );

  it(
    'reads back the fields a server encoded, whatever their text',
    () => {
      fc.assert(
        fc.property(fc.string(), fc.string(), fc.string(), fc.oneof(fc.string(), fc.integer()), (status, schemes, scope, openid) => {
          const text = b64(JSON.stringify({ status, schemes, scope, 'openid-configuration': openid }));
          expect(parseSaslErrorChallenge(text)).toEqual({ status, schemes, scope, openidConfiguration: String(openid) });
        }),
        fuzzParameters(0x5a52),
      );
    },
    fuzzTimeout(1),
  );
});
