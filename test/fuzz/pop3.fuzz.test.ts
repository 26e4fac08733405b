/**
 * Fuzzing of everything that reads a POP3 server's bytes: the line splitter (`lines.ts`),
 * dot-unstuffing (`dot.ts`) and the reply parsers (`pop3/parser.ts`). The parsers have no
 * notion of sent values (the client redacts before parsing), so no secret assertion here.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dotStuff, unstuffLine } from '../../src/transports/dot.js';
import { LineSplitter } from '../../src/transports/lines.js';
import {
  parsePop3Capabilities,
  parsePop3ListLine,
  parsePop3Stat,
  parsePop3Status,
  parsePop3UidlLine,
} from '../../src/transports/pop3/parser.js';
import { FUZZ_RUNS, expectCoded, fuzzParameters, fuzzTimeout, heapGuard, hostileText, timed } from './helpers.js';

/** A reply line as a hostile server might shape it: a real head, then anything. */
const replyLine = fc.oneof(
  hostileText,
  fc
    .tuple(fc.constantFrom('+OK', '-ERR', '+', '+ok', '-err', '+OK ', '-ERR [AUTH]', '-ERR [', '+OK\t', '.'), hostileText)
    .map(([h, t]) => h + t),
  fc
    .tuple(
      fc.oneof(fc.nat(), fc.constant(0), fc.constant(Number.MAX_SAFE_INTEGER)),
      fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 10n ** 30n })),
    )
    .map(([a, b]) => `${a} ${b}`),
  fc.string({ unit: fc.constantFrom('0', '9', ' ', '\t', '\u00a0', '\u2003', '-', '+', 'e', '.'), maxLength: 40 }),
);

describe('POP3 reply parsers (fuzz)', () => {
  it(
    'every line is classified or refused with ERR_MAIL_PROTOCOL; numbers are safe integers; nothing crashes',
    () => {
      const done = heapGuard();
      fc.assert(
        fc.property(replyLine, fc.array(replyLine, { maxLength: 12 }), (line, lines) => {
          timed(200, 'POP3 parsers', () => {
            try {
              const status = parsePop3Status(line);
              expect(['ok', 'err', 'continue']).toContain(status.kind);
              if (status.kind === 'err' && status.code !== undefined) expect(status.code).toMatch(/^[^\]\s]+$/);
            } catch (err) {
              expectCoded(err, ['ERR_MAIL_PROTOCOL']);
              expect((err as { response?: string }).response?.length ?? 0).toBeLessThanOrEqual(200);
            }
            for (const parse of [parsePop3Stat, parsePop3ListLine]) {
              try {
                const value = parse(line);
                for (const n of Object.values(value)) expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
              } catch (err) {
                expectCoded(err, ['ERR_MAIL_PROTOCOL']);
              }
            }
            try {
              const entry = parsePop3UidlLine(line);
              expect(entry.id).toBeGreaterThan(0);
              expect(Number.isSafeInteger(entry.id)).toBe(true);
              expect(entry.uid).toMatch(/^[\x21-\x7e]{1,70}$/);
            } catch (err) {
              expectCoded(err, ['ERR_MAIL_PROTOCOL']);
            }
            const caps = parsePop3Capabilities(lines);
            expect(caps.all.size).toBeLessThanOrEqual(lines.length);
            for (const mechanism of caps.sasl) expect(mechanism).toBe(mechanism.toUpperCase());
          });
        }),
        fuzzParameters(0x9093),
      );
      done();
    },
    fuzzTimeout(1),
  );
});

const byteChunks = fc.array(
  fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.array(fc.constantFrom(0x0d, 0x0a, 0x2e, 0x41), { maxLength: 16 }).map((a) => Uint8Array.from(a)),
    fc.integer({ min: 0, max: 300 }).map((n) => new Uint8Array(n).fill(0x78)),
  ),
  { maxLength: 24 },
);

/** What the splitter must produce: complete lines split at LF, one trailing CR removed, and the rest. */
function referenceLines(stream: Buffer): { lines: Buffer[]; rest: number } {
  const lines: Buffer[] = [];
  let start = 0;
  for (let lf = stream.indexOf(0x0a); lf !== -1; lf = stream.indexOf(0x0a, start)) {
    let line = stream.subarray(start, lf);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    lines.push(line);
    start = lf + 1;
  }
  return { lines, rest: stream.length - start };
}

describe('POP3 line reading (fuzz)', () => {
  it(
    'however bytes are chunked, lines match the reference split or the stream is refused with ERR_MAIL_LIMIT; the held partial line stays bounded',
    () => {
      const done = heapGuard();
      fc.assert(
        fc.property(byteChunks, fc.integer({ min: 1, max: 256 }), fc.boolean(), (chunks, max, asBuffer) => {
          const splitter = new LineSplitter(max);
          const got: Buffer[] = [];
          let refused = false;
          for (const chunk of chunks) {
            try {
              got.push(...splitter.push(asBuffer ? Buffer.from(chunk) : chunk));
            } catch (err) {
              expectCoded(err, ['ERR_MAIL_LIMIT']);
              refused = true;
              break;
            }
            expect(splitter.pending).toBeLessThanOrEqual(max + 1);
          }
          const reference = referenceLines(Buffer.concat(chunks));
          const tooLong = reference.lines.some((l) => l.length > max) || reference.rest > max + 1;
          if (refused) {
            expect(tooLong).toBe(true);
            // Lines handed out before the refusal are the stream's own, in order.
            got.forEach((line, i) => expect(line.equals(reference.lines[i] ?? Buffer.alloc(0))).toBe(true));
          } else {
            expect(tooLong).toBe(false);
            expect(got.length).toBe(reference.lines.length);
            got.forEach((line, i) => expect(line.equals(reference.lines[i] ?? Buffer.alloc(0))).toBe(true));
            expect(splitter.pending).toBe(reference.rest);
          }
        }),
        fuzzParameters(0x11e5),
      );
      done();
    },
    fuzzTimeout(1),
  );

  it(
    'a server that never ends its line costs at most the line limit, whatever it sends',
    () => {
      const done = heapGuard(8 * 1024 * 1024);
      const runs = Math.max(20, Math.floor(FUZZ_RUNS / 100));
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 64 * 1024 }), fc.integer({ min: 1, max: 16 }), (chunkSize, megabytes) => {
          const splitter = new LineSplitter(8192);
          const chunk = Buffer.alloc(chunkSize, 0x41);
          let sent = 0;
          let refused = false;
          while (sent < megabytes * 1024 * 1024 && !refused) {
            try {
              splitter.push(chunk);
            } catch (err) {
              expectCoded(err, ['ERR_MAIL_LIMIT']);
              refused = true;
            }
            sent += chunkSize;
            expect(splitter.pending).toBeLessThanOrEqual(8193);
          }
          expect(refused).toBe(true);
        }),
        fuzzParameters(0x10ad, runs),
      );
      done();
    },
    fuzzTimeout(5, Math.max(20, Math.floor(FUZZ_RUNS / 100))),
  );

  it(
    'dot-unstuffing inverts dot-stuffing for any bytes, and only a lone "." ends a reply',
    () => {
      const done = heapGuard();
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          const line = Buffer.from(bytes);
          const out = unstuffLine(line);
          if (line.length === 1 && line[0] === 0x2e) expect(out).toBeNull();
          else expect(out?.equals(line[0] === 0x2e ? line.subarray(1) : line)).toBe(true);

          // Any content, stuffed by the test peer's helper and read back line by line.
          const content = Buffer.from(bytes);
          const wire = dotStuff(content);
          const splitter = new LineSplitter(1024);
          const lines: Buffer[] = [];
          let ended = false;
          for (const l of splitter.push(wire)) {
            expect(ended).toBe(false);
            const u = unstuffLine(l);
            if (u === null) ended = true;
            else lines.push(u);
          }
          expect(ended).toBe(true);
          expect(splitter.pending).toBe(0);
          // dotStuff ends an unterminated last line with CRLF; the bytes of each line survive.
          const terminated =
            content.length > 0 && content[content.length - 1] !== 0x0a ? Buffer.concat([content, Buffer.from('\r\n')]) : content;
          const expected = referenceLines(terminated);
          expect(lines.map((l) => l.toString('latin1'))).toEqual(expected.lines.map((l) => l.toString('latin1')));
        }),
        fuzzParameters(0xd07),
      );
      done();
    },
    fuzzTimeout(1),
  );
});
