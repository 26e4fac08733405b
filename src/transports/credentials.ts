import type { TokenSource } from './token-source.js';

/**
 * How a transport authenticates, as the page's authentication method chose it: a token
 * (`oauth2`), a password (`plain` or `login`), or nothing (`none`, SMTP relays only).
 * A page of the device facade builds these; a password never leaves this object into a log,
 * an error or a transcript.
 */
export type MailCredentials =
  | {
      /** XOAUTH2 with a token. */
      readonly method: 'oauth2';
      /** The token source (a page's scope): renewed once when the server rejects its token. */
      readonly source: TokenSource;
    }
  | {
      /** A password: SASL `PLAIN`, or `LOGIN` (POP3 `USER`/`PASS`). */
      readonly method: 'plain' | 'login';
      /** The account name. */
      readonly user: string;
      /** Reads the password when a connection authenticates (so a changed password applies to the next one). */
      password(): Promise<string>;
    }
  | {
      /** No authentication (SMTP relays). */
      readonly method: 'none';
    };
