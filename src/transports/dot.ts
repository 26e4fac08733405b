/**
 * Dot-stuffing of multi-line mail data (RFC 1939 §3 for POP3, RFC 5321 §4.5.2 for SMTP).
 * @packageDocumentation
 */
import { Transform, type TransformCallback } from 'node:stream';

const DOT = 0x2e;
const LF = 0x0a;

/**
 * Undoes dot-stuffing for one received line of a multi-line reply (line ending removed):
 * returns `null` for the terminating `.` line, the line without its first dot when it starts
 * with `.`, and the line itself otherwise. Streaming: call it for each line as it arrives.
 *
 * @example
 * ```ts
 * unstuffLine(Buffer.from('..hidden')); // <.hidden>
 * unstuffLine(Buffer.from('.'));        // null: end of the reply
 * ```
 */
export function unstuffLine(line: Buffer): Buffer | null {
  if (line.length === 0 || line[0] !== DOT) return line;
  if (line.length === 1) return null;
  return line.subarray(1);
}

/**
 * Dot-stuffs a complete text (lines separated by CRLF) and appends the terminating `.` line.
 * Used by tests and small replies; the SMTP transport streams through {@link createDotStuffer}.
 *
 * @example
 * ```ts
 * dotStuff(Buffer.from('a\r\n.b\r\n')).toString(); // 'a\r\n..b\r\n.\r\n'
 * ```
 */
export function dotStuff(content: Buffer): Buffer {
  const stuffed = Buffer.from(content.toString('latin1').replace(/(^|\n)\./g, '$1..'), 'latin1');
  const needsBreak = stuffed.length > 0 && stuffed[stuffed.length - 1] !== LF;
  return Buffer.concat([stuffed, Buffer.from(needsBreak ? '\r\n.\r\n' : '.\r\n')]);
}

/**
 * A transform stream that doubles every dot at the start of a line, however the input is
 * chunked. It does not add the terminating `.` line.
 *
 * @example
 * ```ts
 * message.stream().pipe(createDotStuffer()).pipe(socket, { end: false });
 * ```
 */
export function createDotStuffer(): Transform {
  let atLineStart = true;
  return new Transform({
    transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      const parts: Buffer[] = [];
      let from = 0;
      for (let i = 0; i < buf.length; i++) {
        const lineStart = i === 0 ? atLineStart : buf[i - 1] === LF;
        if (lineStart && buf[i] === DOT) {
          parts.push(buf.subarray(from, i), Buffer.from('.'));
          from = i;
        }
      }
      parts.push(buf.subarray(from));
      if (buf.length > 0) atLineStart = buf[buf.length - 1] === LF;
      callback(null, Buffer.concat(parts));
    },
  });
}
