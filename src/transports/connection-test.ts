/**
 * The manual's SMTP/POP authentication connection test (and IMAP's): connect, TLS,
 * authenticate, one real command, quit — reported as a stable code, never thrown.
 * @packageDocumentation
 */
import { toMailOAuthError, TransportError, type ErrorCode, type MailOAuthError } from '../errors.js';
import type { PageSettings, Protocol } from '../settings/types.js';
import type { ImapOptions } from './imap.js';
import type { MailCredentials } from './credentials.js';
import type { TransportOptions } from './options.js';
import type { Pop3Options } from './pop3/client.js';
import type { TokenSource } from './token-source.js';

/** Options of {@link testConnection}: those of the protocol's transport. */
export type ConnectionTestOptions = TransportOptions & Pop3Options & ImapOptions;

/** The outcome of a connection test. */
export interface ConnectionTestResult {
  /** `true` when every step succeeded. */
  ok: boolean;
  /**
   * `OK`, or the `ErrorCode` of the failing step: `ERR_CONNECTION`, `ERR_DNS`, `ERR_TLS`,
   * `ERR_TLS_REQUIRED`, `ERR_AUTH_REJECTED`, `ERR_SMTP_AUTH_DISABLED`, `ERR_MAILBOX_REFUSED`,
   * `ERR_MAIL_TIMEOUT`, `ERR_MAIL_PROTOCOL`, `ERR_TOKEN_REFRESH_FAILED` (and the token source's
   * other codes, e.g. `ERR_TOKEN_INVALID`, `ERR_TOKEN_NOT_ACQUIRED`).
   */
  code: 'OK' | ErrorCode;
  /** An English description of a failure (not localized; never contains a token). */
  message?: string;
  /** The failure itself, with `kind`, `hint` and the server's `response` where there was one. */
  error?: MailOAuthError;
}

/** A server refusing the real command right after accepting the token: the token's account cannot use this mailbox. */
function afterAuthentication(err: unknown): MailOAuthError {
  const coded = toMailOAuthError(err);
  if (coded.code !== 'ERR_MAIL_PROTOCOL') return coded;
  return new TransportError(
    'ERR_MAILBOX_REFUSED',
    'The server accepted the token but refused the mailbox: the signed-in account may not be the configured account',
    {
      kind: 'configuration',
      cause: err,
      hint: 'Sign in with the account entered on the page, or give it access to the mailbox',
      ...(coded instanceof TransportError && coded.response !== undefined ? { response: coded.response } : {}),
    },
  );
}

/** A bare token source is the `oauth2` method's credentials. */
function credentialsOf(source: TokenSource | MailCredentials): MailCredentials {
  return 'method' in source ? source : { method: 'oauth2', source };
}

async function runSmtp(settings: PageSettings, credentials: MailCredentials, options: ConnectionTestOptions): Promise<void> {
  const { verifySmtp } = await import('./smtp.js');
  await verifySmtp(settings, credentials, options);
}

async function runPop3(settings: PageSettings, source: MailCredentials, options: ConnectionTestOptions): Promise<void> {
  const { connectPop3 } = await import('./pop3/client.js');
  const pop = await connectPop3(settings, source, options);
  try {
    await pop.stat();
  } catch (err) {
    pop.close();
    throw afterAuthentication(err);
  }
  await pop.quit();
}

async function runImap(settings: PageSettings, credentials: MailCredentials, options: ConnectionTestOptions): Promise<void> {
  const { connectImap, imapError } = await import('./imap.js');
  const imap = await connectImap(settings, credentials, options);
  try {
    await imap.mailboxOpen('INBOX');
  } catch (err) {
    imap.close();
    throw afterAuthentication(imapError(err, settings));
  }
  try {
    await imap.logout();
  } catch {
    imap.close();
  }
}

/**
 * Runs the connection test of a page: connect, TLS (verified), authenticate with the page's
 * token (one forced refresh when the server rejects it) or password, one real command (SMTP `RSET`,
 * POP3 `STAT`, IMAP `SELECT INBOX`), quit. Never throws: every outcome is a stable code.
 * The transport is loaded only when the test runs.
 *
 * @param protocol - `smtp`, `pop3` or `imap`.
 * @param settings - The page's settings.
 * @param source - The page's credentials, or a bare token source (OAuth 2.0); a token source's errors (e.g. `ERR_TOKEN_REFRESH_FAILED`) become the result's code.
 * @param options - CA, plaintext permission (loopback tests only), timeout, logger.
 *
 * @example
 * ```ts
 * const result = await testConnection('smtp', settings, source, { ca });
 * if (!result.ok && result.code === 'ERR_TOKEN_REFRESH_FAILED') show(t('token-update-failed'));
 * ```
 */
export async function testConnection(
  protocol: Protocol,
  settings: PageSettings,
  source: TokenSource | MailCredentials,
  options: ConnectionTestOptions = {},
): Promise<ConnectionTestResult> {
  try {
    const credentials = credentialsOf(source);
    if (protocol === 'smtp') await runSmtp(settings, credentials, options);
    else if (protocol === 'pop3') await runPop3(settings, credentials, options);
    else await runImap(settings, credentials, options);
    return { ok: true, code: 'OK' };
  } catch (err) {
    const error = toMailOAuthError(err);
    return { ok: false, code: error.code, message: error.message, error };
  }
}
