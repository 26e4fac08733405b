import type { TokenSource } from './token-source.js';

/**
 * How a transport authenticates, as the page's authentication method chose it: a token
 * (`oauth2`), a password (`plain` or `login`), or nothing (`none`, SMTP relays only).
 * A page of the device facade builds these; a password never leaves this object into a log,
 * an error or a transcript.
 */
export type MailCredentials =
  | { readonly method: 'oauth2'; readonly source: TokenSource }
  | { readonly method: 'plain' | 'login'; readonly user: string; password(): Promise<string> }
  | { readonly method: 'none' };
