import type { FetchPop3Options, Pop3Message, Pop3Poller, Pop3PollerOptions } from '../transports/pop3/mailbox.js';
import type { Pop3Options, Pop3Session } from '../transports/pop3/client.js';
import { pageCredentials } from '../transports/page-source.js';
import { raceAbort, throwIfAborted, type SignalOptions } from './abort.js';
import { BasePage } from './page.js';

/**
 * Options of {@link Pop3Mailbox.connect}.
 * @category Receiving mail
 */
export interface ConnectPop3Options extends Pop3Options, SignalOptions {}

/**
 * A POP3 page's mailbox, from {@link Pop3Page.mailbox}.
 * @category Receiving mail
 */
export interface Pop3Mailbox {
  /**
   * Connects, authenticates, downloads the messages (optionally deleting them) and quits. `signal` drops the connection without deleting anything (`ERR_ABORTED`).
   *
   * @example
   * ```ts
   * const messages = await device.page('pop.emailStatus').mailbox().fetch({ deleteAfterFetch: true, signal });
   * for (const { uid, content } of messages) archive(uid, content);
   * ```
   */
  fetch(options?: FetchPop3Options): Promise<Pop3Message[]>;
  /**
   * Opens an authenticated POP3 session for commands of your own; call `quit()` when done.
   *
   * @example
   * ```ts
   * const session = await device.page('pop.emailStatus').mailbox().connect({ signal });
   * try { console.log(await session.stat()); } finally { await session.quit(); }
   * ```
   */
  connect(options?: ConnectPop3Options): Promise<Pop3Session>;
  /**
   * Creates (stopped) the poller the page's check interval drives; call `start()` on it. Each
   * check reads the page's settings and credentials as they are then; the device's `close()` stops it.
   *
   * @example
   * ```ts
   * const poller = await device.page('pop.emailPrint').mailbox().poller({ deleteAfterFetch: true, onMessages: print, onError: (err) => log(err.code) });
   * poller.start(); // every checkInterval of the page
   * ```
   */
  poller(options: Pop3PollerOptions): Promise<Pop3Poller>;
}

/**
 * A POP3 settings page: its token or password, its connection test, and its mailbox.
 *
 * @example
 * ```ts
 * const pop = device.page('pop.emailPrint'); // Pop3Page
 * const poller = await pop.mailbox().poller({ deleteAfterFetch: true, onMessages: (messages) => messages.forEach(print) });
 * poller.start(); // stopped by device.close()
 * ```
 * @category Pages and tokens
 */
export class Pop3Page extends BasePage {
  /** Always `pop3`. */
  readonly protocol = 'pop3' as const;
  readonly #pollers = new Set<Pop3Poller>();

  /**
   * The page's mailbox: fetch messages, open a session, or run the check-interval poller.
   *
   * @example
   * ```ts
   * const messages = await device.page('pop.emailStatus').mailbox().fetch();
   * ```
   */
  mailbox(): Pop3Mailbox {
    return {
      fetch: async (options = {}) => {
        this.assertOpen();
        throwIfAborted(options.signal);
        const { fetchPop3 } = await import('../transports/pop3/mailbox.js');
        return fetchPop3(this.settings, pageCredentials(this), { ...this.context.transportOptions(), ...options });
      },
      connect: async (options = {}) => {
        this.assertOpen();
        const { signal, ...connectOptions } = options;
        throwIfAborted(signal);
        const { connectPop3 } = await import('../transports/pop3/client.js');
        const session = connectPop3(this.settings, pageCredentials(this), { ...this.context.transportOptions(), ...connectOptions });
        return raceAbort(session, signal, (late) => late.close());
      },
      poller: async (options) => {
        this.assertOpen();
        const { createPop3Poller } = await import('../transports/pop3/mailbox.js');
        this.assertOpen();
        const target = () => {
          this.assertOpen();
          return { settings: this.settings, credentials: pageCredentials(this) };
        };
        const poller = createPop3Poller(target, undefined, {
          ...this.context.transportOptions(),
          ...options,
        });
        // Only running pollers are the device's to stop: a stopped one is forgotten, not kept alive by the page.
        const pollers = this.#pollers;
        return {
          start: () => {
            this.assertOpen();
            pollers.add(poller);
            poller.start();
          },
          stop: async () => {
            pollers.delete(poller);
            await poller.stop();
          },
          checkNow: () => poller.checkNow(),
          get running() {
            return poller.running;
          },
        };
      },
    };
  }

  /** @internal */
  override async close(): Promise<void> {
    await Promise.all([...this.#pollers].map((poller) => poller.stop()));
  }
}
