/**
 * Pure parsers for POP3 replies (RFC 1939, RFC 2449 CAPA, RFC 3206 response codes,
 * RFC 5034 SASL continuations). They take text without the line ending and never do I/O.
 * @packageDocumentation
 */
import { TransportError } from '../../errors.js';

/** A POP3 status line: `+OK text`. */
export interface Pop3Ok {
  /** Discriminator. */
  kind: 'ok';
  /** The text after `+OK`. */
  text: string;
}

/** A POP3 status line: `-ERR [CODE] text`. */
export interface Pop3Err {
  /** Discriminator. */
  kind: 'err';
  /** The text after `-ERR`, response code included. */
  text: string;
  /** The RFC 2449/3206 response code (`AUTH`, `SYS/TEMP`, `IN-USE` …), upper-case, if present. */
  code: string | undefined;
}

/** A SASL continuation (RFC 5034): `+ payload`. */
export interface Pop3Continue {
  /** Discriminator. */
  kind: 'continue';
  /** The base64 payload, possibly empty. */
  text: string;
}

/**
 * A POP3 status line.
 *
 * @example
 * ```ts
 * const status: Pop3Status = parsePop3Status('+OK 2 320');
 * if (status.kind === 'err') console.log(status.code);
 * ```
 */
export type Pop3Status = Pop3Ok | Pop3Err | Pop3Continue;

function protocolError(message: string, line: string): TransportError {
  return new TransportError('ERR_MAIL_PROTOCOL', message, { kind: 'protocol', response: line.slice(0, 200) });
}

/**
 * Parses a POP3 status line.
 *
 * @param line - One line without CRLF.
 * @throws TransportError `ERR_MAIL_PROTOCOL` when the line is neither `+OK`, `-ERR` nor `+`.
 *
 * @example
 * ```ts
 * parsePop3Status('-ERR [AUTH] Authentication failed.');
 * // { kind: 'err', code: 'AUTH', text: '[AUTH] Authentication failed.' }
 * ```
 */
export function parsePop3Status(line: string): Pop3Status {
  const match = /^(\+OK|-ERR|\+)(?:[ \t](.*))?$/is.exec(line);
  if (match === null) throw protocolError('The POP3 server sent a line that is not a status reply', line);
  const head = (match[1] ?? '').toUpperCase();
  const text = match[2] ?? '';
  if (head === '+OK') return { kind: 'ok', text };
  if (head === '+') return { kind: 'continue', text: text.trim() };
  const code = /^\[([^\]\s]+)\]/.exec(text)?.[1]?.toUpperCase();
  return { kind: 'err', text, code };
}

/**
 * The answer to `STAT`.
 * @category Receiving mail
 */
export interface Pop3Stat {
  /** Number of messages in the maildrop. */
  count: number;
  /** Total size in octets. */
  size: number;
}

function nonNegative(value: string | undefined, line: string): number {
  if (value === undefined || !/^\d{1,15}$/.test(value)) throw protocolError('The POP3 server sent a malformed number', line);
  return Number(value);
}

/**
 * Parses the text after `+OK` of a `STAT` reply (`2 320`).
 *
 * @throws TransportError `ERR_MAIL_PROTOCOL` when it is not two numbers.
 * @example
 * ```ts
 * parsePop3Stat('2 320'); // { count: 2, size: 320 }
 * ```
 */
export function parsePop3Stat(text: string): Pop3Stat {
  const [count, size] = text.trim().split(/\s+/);
  return { count: nonNegative(count, text), size: nonNegative(size, text) };
}

/**
 * One entry of a `LIST` reply.
 * @category Receiving mail
 */
export interface Pop3ListEntry {
  /** Message number (1-based, valid for this session). */
  id: number;
  /** Size in octets. */
  size: number;
}

/**
 * Parses one line of a multi-line `LIST` reply (`1 120`), or the text of a single `LIST n` reply.
 *
 * @throws TransportError `ERR_MAIL_PROTOCOL` on a malformed line.
 * @example
 * ```ts
 * parsePop3ListLine('1 120'); // { id: 1, size: 120 }
 * ```
 */
export function parsePop3ListLine(line: string): Pop3ListEntry {
  const [id, size] = line.trim().split(/\s+/);
  const entry = { id: nonNegative(id, line), size: nonNegative(size, line) };
  if (entry.id === 0) throw protocolError('The POP3 server sent message number 0', line);
  return entry;
}

/**
 * One entry of a `UIDL` reply.
 * @category Receiving mail
 */
export interface Pop3UidlEntry {
  /** Message number (1-based, valid for this session). */
  id: number;
  /** Unique id, stable across sessions (1–70 printable characters). */
  uid: string;
}

/**
 * Parses one line of a multi-line `UIDL` reply (`1 whqtswO00WBw418f9t5JxYwZ`).
 *
 * @throws TransportError `ERR_MAIL_PROTOCOL` on a malformed line.
 * @example
 * ```ts
 * parsePop3UidlLine('1 whqtswO00WBw418f9t5JxYwZ'); // { id: 1, uid: 'whqtswO00WBw418f9t5JxYwZ' }
 * ```
 */
export function parsePop3UidlLine(line: string): Pop3UidlEntry {
  const match = /^\s*(\d{1,15})\s+([\x21-\x7e]{1,70})\s*$/.exec(line);
  if (match === null) throw protocolError('The POP3 server sent a malformed UIDL line', line);
  const id = Number(match[1]);
  if (id === 0) throw protocolError('The POP3 server sent message number 0', line);
  return { id, uid: match[2] ?? '' };
}

/**
 * What the server announced in its `CAPA` reply (RFC 2449).
 * @category Receiving mail
 */
export interface Pop3Capabilities {
  /** `STLS` offered (RFC 2595). */
  stls: boolean;
  /** SASL mechanisms offered, upper-case (`XOAUTH2`, `OAUTHBEARER`, `PLAIN` …). */
  sasl: string[];
  /** `UIDL` offered. */
  uidl: boolean;
  /** Every capability line: tag (upper-case) → arguments. */
  all: ReadonlyMap<string, readonly string[]>;
}

/**
 * Parses the lines of a `CAPA` reply (without the status line and the terminating `.`).
 *
 * @example
 * ```ts
 * parsePop3Capabilities(['STLS', 'SASL XOAUTH2 OAUTHBEARER', 'UIDL']).sasl; // ['XOAUTH2', 'OAUTHBEARER']
 * ```
 */
export function parsePop3Capabilities(lines: readonly string[]): Pop3Capabilities {
  const all = new Map<string, string[]>();
  for (const line of lines) {
    const [tag, ...args] = line.trim().split(/\s+/);
    if (tag === undefined || tag.length === 0) continue;
    all.set(tag.toUpperCase(), args);
  }
  return {
    stls: all.has('STLS'),
    sasl: (all.get('SASL') ?? []).map((m) => m.toUpperCase()),
    uidl: all.has('UIDL'),
    all,
  };
}

/** Capabilities of a server that does not answer CAPA. @internal */
export const NO_CAPABILITIES: Pop3Capabilities = Object.freeze({ stls: false, sasl: [], uidl: false, all: new Map() });
