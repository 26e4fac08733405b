/**
 * Mailbox-level POP3 operations on top of the POP3 client: fetch new mail once, or poll it
 * every `checkInterval` milliseconds.
 * @packageDocumentation
 */
import { holdProcessOpen, systemClock } from '../../clock.js';
import type { MailOAuthError } from '../../errors.js';
import { toMailOAuthError, UsageError } from '../../errors.js';
import { resolveLogger } from '../../logger.js';
import type { PageSettings } from '../../settings/types.js';
import type { MailCredentials } from '../credentials.js';
import type { TokenSource } from '../token-source.js';
import { connectPop3, type Pop3Options } from './client.js';

/**
 * A message fetched over POP3.
 * @category Receiving mail
 */
export interface Pop3Message {
  /** Message number in the session it was fetched in. */
  id: number;
  /** Unique id (UIDL), when the server supports UIDL. */
  uid: string | undefined;
  /** The raw RFC 5322 message, CRLF line endings. */
  content: Buffer;
}

/**
 * Options of a mailbox fetch (`page.mailbox().fetch()`).
 * @category Receiving mail
 */
export interface FetchPop3Options extends Pop3Options {
  /**
   * Aborts the fetch: the connection is dropped without `QUIT`, so nothing is deleted, and the
   * call rejects with `ERR_ABORTED`.
   */
  signal?: AbortSignal;
  /** Delete fetched messages on the server (`DELE` + `QUIT`). Default `false`. */
  deleteAfterFetch?: boolean;
  /** Return `true` for a UID already processed: that message is skipped (and not deleted). */
  isKnown?: (uid: string) => boolean;
  /** Fetch at most this many messages per call. Default: all. */
  maxMessages?: number;
}

/**
 * Connects, authenticates, fetches the messages not yet known, optionally deletes them, quits.
 *
 * @param settings - The page's `server`, `port`, `security`, `timeout`.
 * @param source - The page's token source, or its credentials (token or password).
 * @param options - Deletion, known-UID filter, limits, CA, logger.
 * @returns The fetched messages, oldest first.
 * @throws TransportError (`ERR_CONNECTION`, `ERR_TLS`, `ERR_AUTH_REJECTED`, …) or the token source's error.
 *
 * @example
 * ```ts
 * const seen = new Set<string>();
 * const messages = await fetchPop3(settings, source, { isKnown: (uid) => seen.has(uid) });
 * for (const m of messages) if (m.uid) seen.add(m.uid);
 * ```
 */
export async function fetchPop3(
  settings: PageSettings,
  source: TokenSource | MailCredentials,
  options: FetchPop3Options = {},
): Promise<Pop3Message[]> {
  const { signal } = options;
  if (isAborted(signal)) throw aborted();
  const pop = await untilAborted(connectPop3(settings, source, options), signal);
  // Dropping the connection fails the command in flight; without QUIT the server deletes nothing (RFC 1939 §6).
  const drop = (): void => pop.close();
  signal?.addEventListener('abort', drop, { once: true });
  try {
    let entries: Array<{ id: number; uid: string | undefined }>;
    if (pop.capabilities.uidl || options.isKnown !== undefined) {
      entries = (await pop.uidl()).filter(({ uid }) => options.isKnown?.(uid) !== true);
    } else {
      entries = (await pop.list()).map(({ id }) => ({ id, uid: undefined }));
    }
    if (options.maxMessages !== undefined) entries = entries.slice(0, options.maxMessages);
    const contents = await pop.retrAll(entries.map(({ id }) => id));
    const messages: Pop3Message[] = entries.map(({ id, uid }, index) => ({ id, uid, content: contents[index] as Buffer }));
    // Deletions take effect only at QUIT, so marking them after every RETR succeeded changes nothing.
    if (options.deleteAfterFetch === true) for (const { id } of entries) await pop.dele(id);
    if (isAborted(signal)) throw aborted();
    await pop.quit();
    return messages;
  } catch (err) {
    pop.close();
    throw isAborted(signal) ? aborted() : err;
  } finally {
    signal?.removeEventListener('abort', drop);
  }
}

// A function, so that the compiler does not narrow `aborted` across awaits.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function aborted(): MailOAuthError {
  return new UsageError('ERR_ABORTED', 'The mail check was aborted', { kind: 'usage' });
}

/** Connecting takes no signal: an abort stops the wait, and a session that opens late is closed unused. */
function untilAborted<T extends { close(): void }>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      work.then(
        (late) => late.close(),
        () => undefined,
      );
      reject(aborted());
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) value.close();
        else resolve(value);
      },
      (err: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Options of the check-interval poller (`page.mailbox().poller()`).
 * @category Receiving mail
 */
export interface Pop3PollerOptions extends Omit<FetchPop3Options, 'signal'> {
  /** Milliseconds between the end of one check and the start of the next. Default: the page's `checkInterval`, else 300 000. */
  checkInterval?: number;
  /** Receives the new messages of each check that found at least one. */
  onMessages: (messages: Pop3Message[]) => void | Promise<void>;
  /** Receives each failed check; polling continues. Default: logged as a warning. */
  onError?: (error: MailOAuthError) => void;
}

/**
 * A running or stopped mail check.
 * @category Receiving mail
 */
export interface Pop3Poller {
  /**
   * Starts checking: the first check runs at once, then every `checkInterval`. Idempotent. A started poller keeps the Node.js process alive until {@link Pop3Poller.stop}.
   *
   * @example
   * ```ts
   * const poller = await device.page('pop.emailPrint').mailbox().poller({ onMessages: (messages) => print(messages) });
   * poller.start();
   * ```
   */
  start(): void;
  /**
   * Stops checking: a fetch in progress is dropped (nothing deleted, it is fetched again next time); resolves once `onMessages` of a check in progress has returned.
   *
   * @example
   * ```ts
   * await poller.stop();
   * ```
   */
  stop(): Promise<void>;
  /**
   * Runs a check now (or joins the one in progress).
   *
   * @example
   * ```ts
   * await poller.checkNow(); // a "Check mailbox" button
   * ```
   */
  checkNow(): Promise<void>;
  /** Whether the poller is started. */
  readonly running: boolean;
}

/** What one check connects to; read again before every check. */
export interface Pop3Target {
  settings: PageSettings;
  credentials: TokenSource | MailCredentials;
}

/**
 * Creates the mail check a POP page's "check interval" drives. It uses the injected clock, never
 * overlaps two checks, and keeps going after a failed check (reported through `onError`).
 *
 * @param settings - The page's settings (`checkInterval` in milliseconds is used when the option is absent),
 *   or a function returning the current settings and credentials, called before every check (a page's
 *   poller follows changes to its settings; a failure to produce them is a failed check).
 * @param source - The page's token source, or its credentials (token or password); unused with a function.
 * @param options - `onMessages`, `onError`, interval, fetch options.
 *
 * @example
 * ```ts
 * const poller = createPop3Poller(settings, source, {
 *   deleteAfterFetch: true,
 *   onMessages: (messages) => messages.forEach(printJob),
 *   onError: (err) => showStatus(err.code),
 * });
 * poller.start();
 * // …
 * await poller.stop();
 * ```
 */
export function createPop3Poller(
  settings: PageSettings | (() => Pop3Target),
  source: TokenSource | MailCredentials | undefined,
  options: Pop3PollerOptions,
): Pop3Poller {
  const clock = options.clock ?? systemClock;
  const logger = resolveLogger(options.logger);
  const target =
    typeof settings === 'function' ? settings : (): Pop3Target => ({ settings, credentials: source as TokenSource | MailCredentials });
  let lastSettings: PageSettings | undefined;
  const interval = (): number => options.checkInterval ?? lastSettings?.checkInterval ?? 300_000;
  let running = false;
  let timer: unknown;
  let inFlight: Promise<void> | undefined;
  let checking: AbortController | undefined;
  let release = (): void => undefined;

  const check = (): Promise<void> => {
    inFlight ??= (async () => {
      const controller = new AbortController();
      checking = controller;
      try {
        const current = target();
        lastSettings = current.settings;
        const messages = await fetchPop3(current.settings, current.credentials, { ...options, signal: controller.signal });
        if (messages.length > 0) await options.onMessages(messages);
      } catch (err) {
        const coded = toMailOAuthError(err);
        // A check dropped by stop() is not a failure to report.
        if (controller.signal.aborted) return;
        if (options.onError !== undefined) options.onError(coded);
        else logger.warn('pop3: mail check failed', { code: coded.code });
      } finally {
        checking = undefined;
        inFlight = undefined;
        if (running) timer = clock.setTimeout(() => void check(), interval());
      }
    })();
    return inFlight;
  };

  return {
    start() {
      if (running) return;
      running = true;
      // The clock's timers are unref'd; a started poller is work its owner asked for, so it holds
      // the process open (a worker that only polls would otherwise exit before its first check).
      release = holdProcessOpen();
      timer = clock.setTimeout(() => void check(), 0);
    },
    async stop() {
      running = false;
      clock.clearTimeout(timer);
      release();
      checking?.abort();
      await inFlight;
    },
    checkNow() {
      clock.clearTimeout(timer);
      return check();
    },
    get running() {
      return running;
    },
  };
}
