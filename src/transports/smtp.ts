/**
 * SMTP submission on nodemailer, loaded on first use: XOAUTH2 with one renewal and retry when
 * the server rejects the token, password AUTH (`PLAIN`/`LOGIN`), or none (relays); verified
 * TLS (implicit, or STARTTLS that is never skipped); coded, localized errors; redacted
 * transcripts. See `docs/design-notes.md`, "SMTP on nodemailer".
 * @packageDocumentation
 */
import type { SmtpSettings } from '../settings/types.js';
import type { MailCredentials } from './credentials.js';
import type { MailMessage } from './smtp/message.js';
import { SmtpPool, type SendOptions, type SendResult, type SmtpOptions } from './smtp/pool.js';

export type { MailAttachment, MailMessage } from './smtp/message.js';
export type { SendOptions, SendProgress, SendResult, SmtpOptions, SmtpPoolOptions } from './smtp/pool.js';
export { SmtpPool } from './smtp/pool.js';

/**
 * Sends one message through the SMTP server of a page's settings over a connection of its own,
 * closed afterwards (the device facade keeps a pool per page instead). The sender is the
 * settings' sender name and address; the Message-ID is in the sender address's domain.
 *
 * Certificates are verified on implicit TLS (`security: 'tls'`) and after STARTTLS
 * (`'starttls'`, which is required: a server without it is refused before AUTH). `none` is
 * refused unless `allowPlaintext` is set and the server is a loopback address.
 *
 * @param settings - The page's `server`, `port`, `security`, `timeout`, `senderName`, `senderAddress`.
 * @param credentials - `{ method: 'oauth2', source }` (XOAUTH2), `{ method: 'plain' | 'login', user, password }`, or `{ method: 'none' }`.
 * @param message - Recipients, subject, text/html, headers and attachments.
 * @param options - CA, plaintext permission, timeout, logger, transcript; `signal` and `onProgress` for this send.
 * @throws TransportError `ERR_CONNECTION`, `ERR_DNS`, `ERR_TLS`, `ERR_TLS_REQUIRED`, `ERR_AUTH_REJECTED`,
 * `ERR_PASSWORD_REJECTED`, `ERR_SMTP_AUTH_DISABLED` (Microsoft `535 5.7.139`: a configuration problem, the
 * token stays usable), `ERR_MESSAGE_TOO_LARGE` (above the server's `SIZE`, refused before the data is sent),
 * `ERR_MAIL_PROTOCOL`, `ERR_MAIL_TIMEOUT`; `ERR_ABORTED`; errors of the token source unchanged.
 *
 * @example
 * ```ts
 * await sendMail(
 *   { server: 'smtp.office365.com', port: 587, security: 'starttls', senderName: 'Scanner 3F', senderAddress: 'scanner@contoso.com' },
 *   { method: 'oauth2', source },
 *   { to: 'alice@contoso.com', subject: 'Scan', text: 'Attached.', attachments: [{ filename: 'scan.pdf', content: pdf, contentType: 'application/pdf' }] },
 *   { onProgress: ({ sentBytes, totalBytes }) => show(sentBytes, totalBytes) },
 * );
 * ```
 */
export async function sendMail(
  settings: SmtpSettings,
  credentials: MailCredentials,
  message: MailMessage,
  options: SmtpOptions & SendOptions = {},
): Promise<SendResult> {
  const { signal, onProgress, ...transport } = options;
  const pool = new SmtpPool(settings, credentials, transport, { maxConnections: 1, maxMessages: 1 });
  try {
    return await pool.send(message, { ...(signal === undefined ? {} : { signal }), ...(onProgress === undefined ? {} : { onProgress }) });
  } finally {
    pool.close();
  }
}

/**
 * Opens an SMTP session (TLS, authentication with renewal-and-retry-once for a token), sends
 * `RSET` as one real command, and quits. The connection test uses it.
 *
 * @example
 * ```ts
 * await verifySmtp(settings, { method: 'oauth2', source }, { ca });
 * ```
 */
export async function verifySmtp(settings: SmtpSettings, credentials: MailCredentials, options: SmtpOptions = {}): Promise<void> {
  await new SmtpPool(settings, credentials, options).verify();
}
