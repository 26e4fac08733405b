import { createHash } from 'node:crypto';
import type { MailMessage, SendOptions, SendResult, SmtpPool } from '../transports/smtp.js';
import { pageCredentials } from '../transports/page-source.js';
import { toMailOAuthError } from '../errors.js';
import { throwIfAborted } from './abort.js';
import { BasePage } from './page.js';

/**
 * An SMTP settings page: its token or password, its connection test, and sending mail through
 * its server. Connections are pooled per page and reused; the device closes them.
 *
 * @example
 * ```ts
 * const smtp = device.page('smtp.services'); // SmtpPage
 * await smtp.sendMail({ to: 'office@contoso.com', subject: 'Scan', text: 'attached', attachments },
 *                     { signal: AbortSignal.timeout(60_000), onProgress: ({ sentBytes }) => show(sentBytes) });
 * ```
 * @category Pages and tokens
 */
export class SmtpPage extends BasePage {
  /** Always `smtp`. */
  readonly protocol = 'smtp' as const;
  #pool: { key: string; pool: SmtpPool; unsubscribe: () => void } | undefined;

  /**
   * Sends a message through the page's server, authenticating with the page's token (XOAUTH2;
   * one renewal and retry when the server rejects the token) or password. The sender is the
   * page's sender name and address. `options.signal` aborts the send (`ERR_ABORTED`);
   * `options.onProgress` reports the bytes written.
   *
   * @example
   * ```ts
   * await device.page('smtp.services').sendMail(
   *   { to: 'office@contoso.com', subject: 'Scan', text: 'Attached.', attachments: [{ filename: 'scan.pdf', content: { path: '/tmp/scan.pdf' }, contentType: 'application/pdf' }] },
   *   { signal: AbortSignal.timeout(120_000), onProgress: ({ sentBytes }) => show(sentBytes) },
   * );
   * ```
   */
  async sendMail(message: MailMessage, options: SendOptions = {}): Promise<SendResult> {
    this.assertOpen();
    throwIfAborted(options.signal);
    const started = this.context.now();
    let size = 0;
    const onProgress = options.onProgress;
    const tracked: SendOptions = {
      ...options,
      onProgress: (progress) => {
        size = progress.sentBytes;
        onProgress?.(progress);
      },
    };
    try {
      const pool = await this.#poolOf();
      const result = await pool.send(message, tracked);
      this.context.emit(this.id, {
        type: 'mail.sent',
        page: this.id,
        size,
        durationMs: this.context.now() - started,
        ...(result.messageId === undefined ? {} : { messageId: result.messageId }),
      });
      return result;
    } catch (err) {
      this.context.emit(this.id, {
        type: 'mail.failed',
        page: this.id,
        durationMs: this.context.now() - started,
        code: toMailOAuthError(err).code,
      });
      throw err;
    }
  }

  /** The page's pool, rebuilt when its settings, password or token status change. */
  async #poolOf(): Promise<SmtpPool> {
    // Transports load on first use: the token path starts without nodemailer.
    const { SmtpPool: Pool } = await import('../transports/smtp.js');
    this.assertOpen();
    const password = this.storedPassword();
    // A digest, so that a changed password reconnects without the password kept in the key.
    const key = JSON.stringify([
      this.settings,
      this.status,
      password === undefined ? null : createHash('sha256').update(password).digest('base64'),
    ]);
    if (this.#pool?.key === key) return this.#pool.pool;
    this.#dropPool();
    const pool = new Pool(this.settings, pageCredentials(this), this.context.transportOptions(), this.context.smtpPool);
    this.#pool = { key, pool, unsubscribe: this.onStatusChange(() => this.#dropPool()) };
    return pool;
  }

  #dropPool(): void {
    const entry = this.#pool;
    if (entry === undefined) return;
    this.#pool = undefined;
    entry.unsubscribe();
    entry.pool.close();
  }

  /** @internal */
  override async close(): Promise<void> {
    this.#dropPool();
  }
}
