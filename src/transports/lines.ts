import { TransportError } from '../errors.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines (LF or CRLF; the line ending is removed), holding at most
 * `maxLineLength` bytes of an unfinished line. Pure and synchronous; used by the POP3 client.
 *
 * @example
 * ```ts
 * const splitter = new LineSplitter(8192);
 * splitter.push(Buffer.from('+OK hel'));      // []
 * splitter.push(Buffer.from('lo\r\n.\r\n'));  // [<+OK hello>, <.>]
 * ```
 */
export class LineSplitter {
  readonly #max: number;
  #partial: Buffer[] = [];
  #partialLength = 0;

  /** @param maxLineLength - Longest accepted line in bytes, without the line ending. */
  constructor(maxLineLength: number) {
    this.#max = maxLineLength;
  }

  /** Bytes of an unfinished line held. */
  get pending(): number {
    return this.#partialLength;
  }

  /**
   * Adds received bytes and returns the lines they complete.
   * @throws TransportError `ERR_MAIL_LIMIT` when a line grows beyond the limit.
   */
  push(chunk: Uint8Array): Buffer[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const lf = buf.indexOf(LF, start);
      if (lf === -1) break;
      let piece = buf.subarray(start, lf);
      if (this.#partialLength > 0) {
        this.#partial.push(piece);
        piece = Buffer.concat(this.#partial, this.#partialLength + piece.length);
        this.#partial = [];
        this.#partialLength = 0;
      }
      if (piece.length > 0 && piece[piece.length - 1] === CR) piece = piece.subarray(0, piece.length - 1);
      if (piece.length > this.#max) throw this.#tooLong();
      lines.push(piece);
      start = lf + 1;
    }
    if (start < buf.length) {
      const rest = buf.subarray(start);
      this.#partialLength += rest.length;
      // +1: a CR that is part of the line ending may still be pending
      if (this.#partialLength > this.#max + 1) throw this.#tooLong();
      this.#partial.push(Buffer.from(rest));
    }
    return lines;
  }

  #tooLong(): TransportError {
    this.#partial = [];
    this.#partialLength = 0;
    return new TransportError('ERR_MAIL_LIMIT', `The server sent a line longer than ${this.#max} bytes`, { kind: 'protocol' });
  }
}
