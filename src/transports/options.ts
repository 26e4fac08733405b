import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

/** One line of a protocol conversation as a transport saw it, with secrets replaced. */
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
   * Allow authenticating over an unencrypted connection (security `none`, or a server that
   * does not offer STARTTLS/STLS). Default `false`. For loopback tests only: the token would
   * travel in clear text.
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
