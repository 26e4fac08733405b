import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TransportError } from '../../src/errors.js';
import { dotStuff, unstuffLine, createDotStuffer } from '../../src/transports/dot.js';
import { LineSplitter } from '../../src/transports/lines.js';
import {
  parsePop3Capabilities,
  parsePop3ListLine,
  parsePop3Stat,
  parsePop3Status,
  parsePop3UidlLine,
} from '../../src/transports/pop3/parser.js';

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

/** Splits a buffer at arbitrary points. */
function chunked(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(buf.subarray(from, p));
    from = p;
  }
  out.push(buf.subarray(from));
  return out;
}

describe('POP3 status parser', () => {
  it('parses +OK, -ERR with response codes and continuations', () => {
    expect(parsePop3Status('+OK Dovecot ready.')).toEqual({ kind: 'ok', text: 'Dovecot ready.' });
    expect(parsePop3Status('+OK')).toEqual({ kind: 'ok', text: '' });
    expect(parsePop3Status('-ERR [AUTH] Authentication failed.')).toEqual({
      kind: 'err',
      code: 'AUTH',
      text: '[AUTH] Authentication failed.',
    });
    expect(parsePop3Status('-ERR [SYS/TEMP] try later')).toMatchObject({ code: 'SYS/TEMP' });
    expect(parsePop3Status('+ ')).toEqual({ kind: 'continue', text: '' });
    expect(parsePop3Status('+ eyJzdGF0dXMiOiI0MDEifQ==')).toEqual({ kind: 'continue', text: 'eyJzdGF0dXMiOiI0MDEifQ==' });
    expect(parsePop3Status('+')).toEqual({ kind: 'continue', text: '' });
  });

  it('classifies any line or throws a coded protocol error, never anything else (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (line) => {
        try {
          const status = parsePop3Status(line);
          expect(['ok', 'err', 'continue']).toContain(status.kind);
        } catch (err) {
          expect(err).toBeInstanceOf(TransportError);
          expect((err as TransportError).code).toBe('ERR_MAIL_PROTOCOL');
          expect(((err as TransportError).response ?? '').length).toBeLessThanOrEqual(200);
        }
      }),
    );
  });

  it('round-trips generated status lines (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('+OK', '-ERR'), printable, (head, text) => {
        const status = parsePop3Status(text.length > 0 ? `${head} ${text}` : head);
        expect(status.kind).toBe(head === '+OK' ? 'ok' : 'err');
        expect(status.text).toBe(text);
      }),
    );
  });

  it('parses STAT, LIST, UIDL and CAPA (property)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        expect(parsePop3Stat(`${a} ${b}`)).toEqual({ count: a, size: b });
        if (a > 0) expect(parsePop3ListLine(`${a} ${b}`)).toEqual({ id: a, size: b });
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1 }), fc.stringMatching(/^[\x21-\x7e]{1,70}$/), (id, uid) => {
        expect(parsePop3UidlLine(`${id} ${uid}`)).toEqual({ id, uid });
      }),
    );
    for (const bad of ['', 'x y', '1', '-1 2', '0 5']) {
      expect(() => parsePop3ListLine(bad)).toThrow(TransportError);
    }
    expect(() => parsePop3UidlLine('1 ' + 'x'.repeat(71))).toThrow(TransportError);
    const caps = parsePop3Capabilities(['CAPABILITY', 'TOP', 'UIDL', 'STLS', 'sasl xoauth2 OAUTHBEARER', '']);
    expect(caps).toMatchObject({ stls: true, uidl: true, sasl: ['XOAUTH2', 'OAUTHBEARER'] });
  });
});

describe('line splitting and dot-unstuffing (streaming)', () => {
  const line = fc.string({
    unit: fc
      .integer({ min: 0, max: 255 })
      .filter((c) => c !== 10 && c !== 13)
      .map((c) => String.fromCharCode(c)),
    maxLength: 40,
  });

  it('gives back the original lines however the stuffed reply is chunked (property)', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 20 }), (lines, cuts) => {
        const content = Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');
        const wire = Buffer.concat([dotStuff(content), Buffer.from('+OK next\r\n')]);
        const splitter = new LineSplitter(1000);
        const out: string[] = [];
        let ended = false;
        let after: string | undefined;
        for (const chunk of chunked(wire, cuts)) {
          for (const l of splitter.push(chunk)) {
            if (ended) {
              after ??= l.toString('latin1');
              continue;
            }
            const unstuffed = unstuffLine(l);
            if (unstuffed === null) ended = true;
            else out.push(unstuffed.toString('latin1'));
          }
        }
        expect(ended).toBe(true);
        expect(out).toEqual(lines);
        expect(after).toBe('+OK next');
      }),
    );
  });

  it('the streaming dot-stuffer agrees with dotStuff however the input is chunked (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), async (lines, cuts) => {
        const content = Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');
        const stuffer = createDotStuffer();
        const parts: Buffer[] = [];
        stuffer.on('data', (d: Buffer) => parts.push(d));
        for (const chunk of chunked(content, cuts)) stuffer.write(chunk);
        stuffer.end();
        await new Promise((r) => stuffer.on('end', r));
        expect(Buffer.concat([...parts, Buffer.from('.\r\n')]).equals(dotStuff(content))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('bounds line length and accepts exactly the limit', () => {
    const splitter = new LineSplitter(10);
    expect(splitter.push(Buffer.from('0123456789\r\n')).map(String)).toEqual(['0123456789']);
    expect(() => splitter.push(Buffer.from('0123456789AB'))).toThrow(/longer than 10/);
    const drip = new LineSplitter(10);
    expect(() => {
      for (let i = 0; i < 20; i++) drip.push(Buffer.from('x'));
    }).toThrow(TransportError);
  });
});
