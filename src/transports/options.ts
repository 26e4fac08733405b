import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

/**
 * One line of a protocol conversation as a transport saw it, with secrets replaced.
 * @category Pages and tokens
 */
export interface TranscriptEntry {
  /** `client` for what the device sent, `server` for what it received. */
  direction: 'client' | 'server';
  /** The line without CRLF; SASL responses appear as `/* secret *\/`. Message bodies are not included. */
  line: string;
}

/** Options every transport (SMTP, POP3, IMAP) and the connection test accept. */
export interface TransportOptions {
  /**
   * Extra trusted CA certificate(s) in PEM, added to Node's built-in roots. Certificates are
   * always verified (chain and host name), on implicit TLS and after STARTTLS/STLS alike.
   */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /**
   * Allow authenticating over an unencrypted connection, for loopback tests only. Default `false`.
   * It applies only to security `none` and only to a loopback host (127.0.0.0/8, `::1`,
   * `localhost`); any other host with `none` fails with `ERR_TLS_REQUIRED` before any DNS lookup
   * or connection. It never relaxes `starttls`: a server that does not offer or refuses
   * STARTTLS/STLS fails with `ERR_TLS_REQUIRED` and receives no token (RFC 3207 §4, RFC 2595
   * §2.2, RFC 8314).
   */
  allowPlaintext?: boolean;
  /** Timeout in milliseconds for connecting and for each reply; default the page's `timeout`, else 30 000. */
  timeout?: number;
  /** Logger for protocol tracing; commands are logged with secrets replaced. Default: silent. */
  logger?: Logger | false;
  /** Time source for timeouts and pollers. Default: the system clock. */
  clock?: Clock;
  /** Receives every command and reply line, with secrets replaced (for diagnostics and tests). */
  onTranscript?: (entry: TranscriptEntry) => void;
  /** The client name sent in EHLO (SMTP). Default: `mail-oauth`. */
  clientName?: string;
}
