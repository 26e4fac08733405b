/** Where the demo's SMTP server delivers and its POP3 server reads: Dovecot's Maildirs or the built-in POP3 server's memory. */
export interface DemoMailbox {
  /** `dovecot` when Debian's Dovecot runs the POP3 side, else `builtin`. */
  kind: 'dovecot' | 'builtin';
  /** POP3 over implicit TLS (POP3S), on 127.0.0.1. */
  pop3sPort: number;
  /** Adds a message to `account`'s inbox. */
  deliver(account: string, message: Buffer): Promise<void>;
  /** Stops the POP3 server. */
  close(): Promise<void>;
}
