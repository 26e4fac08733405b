import type { ImapFlow } from 'imapflow';
import type { ImapOptions } from '../transports/imap.js';
import { pageCredentials } from '../transports/page-source.js';
import { raceAbort, throwIfAborted, type SignalOptions } from './abort.js';
import { BasePage } from './page.js';

/**
 * Options of {@link ImapPage.imap}.
 * @category Receiving mail
 */
export interface ImapSessionOptions extends Pick<ImapOptions, 'imapflow' | 'onTranscript'>, SignalOptions {}

/**
 * An IMAP settings page: its token or password, its connection test, and IMAP sessions.
 *
 * @example
 * ```ts
 * const imap = await device.page('imap.inbox').imap({ signal: AbortSignal.timeout(30_000) });
 * try { await imap.mailboxOpen('INBOX'); } finally { await imap.logout(); }
 * ```
 * @category Pages and tokens
 */
export class ImapPage extends BasePage {
  /** Always `imap`. */
  readonly protocol = 'imap' as const;

  /**
   * Opens an authenticated IMAP session (imapflow) with the page's server; call `logout()` when done. `signal` stops the wait (`ERR_ABORTED`) and closes a session that opens late.
   *
   * @example
   * ```ts
   * const imap = await device.page('imap.inbox').imap({ signal: AbortSignal.timeout(30_000) });
   * try { await imap.mailboxOpen('INBOX'); } finally { await imap.logout(); }
   * ```
   */
  async imap(options: ImapSessionOptions = {}): Promise<ImapFlow> {
    this.assertOpen();
    const { signal, ...imapOptions } = options;
    throwIfAborted(signal);
    const { connectImap } = await import('../transports/imap.js');
    return raceAbort(
      connectImap(this.settings, pageCredentials(this), { ...this.context.transportOptions(), ...imapOptions }),
      signal,
      (late) => late.close(),
    );
  }
}
