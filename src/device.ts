import { createHash } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import { loadUndici } from './lib/lazy.js';
import { systemClock, type Clock } from './clock.js';
import { SettingsError, TokenStateError, TopologyError } from './errors.js';
import { resolveLogger, type Logger } from './logger.js';
import { defaultBackoff, type BackoffPolicy } from './machine/backoff.js';
import { Scope } from './machine/scope.js';
import { createMessages, type LanguageCatalog, type LocaleMatch, type PartialCatalog, type TextKey } from './messages/localize.js';
import { Page } from './page.js';
import type { ProviderAdapter } from './providers/types.js';
import { mfpPages } from './registry/mfp-pages.js';
import { createRegistry, type PageTopology } from './registry/topology.js';
import { memoryStore } from './store/memory.js';
import { PasswordVault } from './store/password.js';
import type { TokenStore } from './store/types.js';
import type { ImapFlow } from 'imapflow';
import type { TransportOptions } from './transports/options.js';
import type { FetchPop3Options, Pop3Message, Pop3Poller, Pop3PollerOptions } from './transports/pop3/mailbox.js';
import type { Pop3Client, Pop3Options } from './transports/pop3/client.js';
import type { MailMessage, SendOptions, SendResult, SmtpPool, SmtpPoolOptions } from './transports/smtp.js';
import { pageCredentials, pageTokenSource } from './transports/page-source.js';
import type { Protocol } from './settings/types.js';

/** Options of {@link createMailOAuth}. */
export interface MailOAuthOptions {
  /** Provider adapters; a page's `provider` setting names one by its `id`. */
  providers: readonly ProviderAdapter[];
  /** Where tokens are kept. Default: {@link memoryStore} (tokens are lost on restart). */
  store?: TokenStore;
  /** The device's pages and link groups. Default: {@link mfpPages}. */
  pages?: PageTopology;
  /** Time source and timers. Default: the system clock. */
  clock?: Clock;
  /** Where to log (never tokens). `false` or absent: silent. */
  logger?: Logger | false;
  /** undici dispatcher for every HTTP request (proxy, MockAgent). Default: undici's global dispatcher, or an agent trusting `ca` as well when `ca` is given. */
  dispatcher?: Dispatcher;
  /** Language of device-facing messages (`en`, `de`, `ja` or a tag of `locales`; BCP 47 tags are narrowed, unknown ones fall back to `en`). Default `en`. */
  locale?: string;
  /**
   * Languages to add (or built-in ones to replace), by BCP 47 tag, for this device only: a
   * complete {@link LanguageCatalog} (every status, error and UI text — `textKeys` lists them),
   * or an explicit {@link PartialCatalog} whose gaps come from its `fallback` locale.
   * A malformed tag or an incomplete complete catalog throws `ERR_INVALID_OPTION`.
   */
  locales?: Readonly<Record<string, LanguageCatalog | PartialCatalog>>;
  /** Renew tokens this long before they expire, in milliseconds. Default 600 000 (10 minutes: Exchange rejects tokens close to expiry). */
  refreshMarginMs?: number;
  /** Back-off for transient failures. Default: 2 s doubling to 5 minutes, with jitter. */
  backoff?: Partial<BackoffPolicy>;
  /** Store refresh tokens. Default `true`; `false` for administrators who forbid it (tokens then end at restart). */
  persistRefreshTokens?: boolean;
  /** Extra trusted CA certificates (PEM), added to Node's roots for mail servers and, unless a `dispatcher` is given, for token endpoints. Certificates are always verified. */
  ca?: string | readonly string[];
  /**
   * Authenticate over unencrypted connections, for loopback tests only. Default `false`. Applies
   * only to security `none` and only to a loopback host (127.0.0.0/8, `::1`, `localhost`); any
   * other host is refused with `ERR_TLS_REQUIRED` before any lookup or connection. It never
   * relaxes `starttls`: without STARTTLS/STLS nothing is sent.
   */
  allowPlaintext?: boolean;
  /** Random source for jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
  /**
   * The connections each SMTP page keeps open between messages: `maxConnections` (default 2),
   * `maxMessages` per connection (default 100), `idleTimeout` in milliseconds (default 30 000).
   * A page's connections are closed when its settings or token status change, and by `close()`.
   */
  smtpPool?: SmtpPoolOptions;
}

/**
 * The device's OAuth service: its settings pages and their token scopes.
 * Create it with {@link createMailOAuth}.
 */
export interface MailOAuth {
  /** A settings page by id. Throws `ERR_UNKNOWN_PAGE` for an id the topology does not have. */
  page(id: string): Page;
  /** All settings pages, in topology order. */
  pages(): readonly Page[];
  /** The device-facing language of messages and status texts: the resolved locale (`de` for `de-AT`, `en` after a fallback). */
  get locale(): string;
  /** Sets the device-facing language; BCP 47 tags are narrowed, unsupported ones fall back to `en` (see {@link MailOAuth.localeMatch}). */
  set locale(tag: string);
  /** How the last requested language was resolved, including whether it fell back to English. */
  readonly localeMatch: LocaleMatch;
  /** The languages this device can show: the built-in ones, then those of the `locales` option. */
  readonly locales: readonly string[];
  /**
   * A status, `OK`, error or UI text in the device's language (or `locale`), including languages
   * added with the `locales` option; `{name}` is replaced by `params.name`.
   *
   * @example
   * ```ts
   * device.localize('ui.button.getToken'); // 'Token abrufen' on a German device
   * device.localize('ui.deviceCode.instruction', undefined, { url: prompt.verificationUri, code: prompt.userCode, minutes: '15' });
   * device.localize(error.code, 'ja', error.params);
   * ```
   */
  localize(key: TextKey, locale?: string, params?: Readonly<Record<string, string>>): string;
  /**
   * Sends a message through an SMTP page's server, authenticating with the page's token
   * (XOAUTH2; one renewal and retry when the server rejects the token). The sender is the
   * page's sender name and address. Connections are pooled per page and reused.
   * `options.signal` aborts the send (`ERR_ABORTED`); `options.onProgress` reports the bytes written.
   */
  sendMail(pageId: string, message: MailMessage, options?: SendOptions): Promise<SendResult>;
  /** The mailbox of a POP3 page: fetch messages, open a session, or run the check-interval poller. */
  pop3(pageId: string): Pop3Mailbox;
  /** Opens an authenticated IMAP session (imapflow) for a page; call `logout()` when done. */
  imap(pageId: string): Promise<ImapFlow>;
  /** Stops every token scope (aborting requests in flight) and waits for pending writes. */
  close(): Promise<void>;
}

/** A POP3 page's mailbox, from {@link MailOAuth.pop3}. */
export interface Pop3Mailbox {
  /** Connects, authenticates, downloads the messages (optionally deleting them) and quits. */
  fetch(options?: FetchPop3Options): Promise<Pop3Message[]>;
  /** Opens an authenticated POP3 session for commands of your own; call `quit()` when done. */
  connect(options?: Pop3Options): Promise<Pop3Client>;
  /** Creates (stopped) the poller the page's check interval drives; call `start()` on it. */
  poller(options: Pop3PollerOptions): Promise<Pop3Poller>;
}

async function agentTrusting(ca: string | readonly string[]): Promise<Dispatcher> {
  const { Agent } = await loadUndici();
  return new Agent({ connect: { ca: [...rootCertificates, ...(typeof ca === 'string' ? [ca] : ca)] } });
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new SettingsError('ERR_INVALID_OPTION', `${name} must be a non-negative whole number of milliseconds`, { params: { field: name } });
  return value;
}

/**
 * Creates the device's OAuth service: validates the page topology, restores every token scope
 * from the store, and starts their machines (renewals included).
 *
 * @example
 * ```ts
 * import { createMailOAuth, microsoft365, fileStore, mfpPages } from 'mail-oauth';
 *
 * const device = await createMailOAuth({
 *   providers: [microsoft365({ clientId, tenant: 'organizations' })],
 *   store: fileStore({ path: '/var/lib/device/oauth.jwe', key }),
 *   pages: mfpPages(),
 *   locale: 'de',
 * });
 * device.page('smtp.services').status; // 'not-acquired'
 * ```
 */
export async function createMailOAuth(options: MailOAuthOptions): Promise<MailOAuth> {
  const messages = createMessages(options.locales);
  const registry = createRegistry(options.pages ?? mfpPages());
  const providers = new Map<string, ProviderAdapter>();
  for (const provider of options.providers) {
    if (providers.has(provider.id)) throw new SettingsError('ERR_INVALID_OPTION', `Two providers share the id "${provider.id}"`, { params: { field: 'providers' } });
    providers.set(provider.id, provider);
  }
  const store = options.store ?? memoryStore();
  const clock = options.clock ?? systemClock;
  const logger = resolveLogger(options.logger);
  const backoff: BackoffPolicy = {
    initialMs: positiveInteger('backoff.initialMs', options.backoff?.initialMs, defaultBackoff.initialMs),
    maxMs: positiveInteger('backoff.maxMs', options.backoff?.maxMs, defaultBackoff.maxMs),
  };
  // A language the device cannot show is logged, so a fallback to English is never silent.
  const matchLocale = (tag: string | undefined): LocaleMatch => {
    const match = messages.match(tag);
    if (match.fallback) logger.warn('locale not available; using English', { requested: match.requested, locale: match.locale });
    return match;
  };
  let localeMatch = matchLocale(options.locale);

  // Built on the first provider request only: undici is not loaded at boot.
  let caAgent: Promise<Dispatcher> | undefined;
  const httpDispatcher = async (): Promise<Dispatcher | undefined> => {
    if (options.dispatcher !== undefined || options.ca === undefined) return options.dispatcher;
    caAgent ??= agentTrusting(options.ca);
    return caAgent;
  };

  const scopes = new Map<string, Scope>();
  let passwords: PasswordVault;
  try {
    passwords = await PasswordVault.open(store, registry.scopes.keys());
    for (const definition of registry.scopes.values()) {
      const scope = await Scope.open({
        id: definition.id,
        protocol: definition.protocol,
        store,
        clock,
        logger,
        dispatcher: httpDispatcher,
        providers,
        refreshMarginMs: positiveInteger('refreshMarginMs', options.refreshMarginMs, 600_000),
        backoff,
        random: options.random ?? Math.random,
        persistRefreshTokens: options.persistRefreshTokens ?? true,
      });
      scopes.set(definition.id, scope);
    }
  } catch (err) {
    await Promise.all([...scopes.values()].map((scope) => scope.close()));
    throw err;
  }

  const providerIds = new Set(providers.keys());
  const transportOptions = (): TransportOptions => {
    const transport: TransportOptions = { clock, logger };
    if (options.ca !== undefined) transport.ca = options.ca;
    if (options.allowPlaintext === true) transport.allowPlaintext = true;
    return transport;
  };
  const context = { providers: providerIds, locale: () => localeMatch.locale, localize: messages.localize, transportOptions, passwords };
  const pages = new Map<string, Page>();
  for (const definition of registry.pages.values()) {
    const scope = scopes.get(registry.scopeOf(definition.id)?.id ?? '') as Scope;
    pages.set(definition.id, new Page(definition, scope, context));
  }

  const pageOf = (id: string, protocol?: Protocol): Page => {
    const page = pages.get(id);
    if (page === undefined) throw new TopologyError('ERR_UNKNOWN_PAGE', `No settings page "${String(id)}"`, { params: { page: String(id) } });
    if (protocol !== undefined && page.protocol !== protocol) {
      throw new SettingsError('ERR_INVALID_OPTION', `Page "${id}" is a ${page.protocol} page, not ${protocol}`, { params: { field: 'page' } });
    }
    return page;
  };

  // One pool per SMTP page, rebuilt when the page's settings or token status change.
  const smtpPools = new Map<string, { key: string; pool: SmtpPool; unsubscribe: () => void }>();
  const dropSmtpPool = (pageId: string): void => {
    const entry = smtpPools.get(pageId);
    if (entry === undefined) return;
    smtpPools.delete(pageId);
    entry.unsubscribe();
    entry.pool.close();
  };
  const smtpPoolOf = async (page: Page): Promise<SmtpPool> => {
    const { SmtpPool: Pool } = await import('./transports/smtp.js');
    const password = page.storedPassword();
    // A digest, so that a changed password reconnects without the password kept in the key.
    const key = JSON.stringify([page.settings, page.status, password === undefined ? null : createHash('sha256').update(password).digest('base64')]);
    const current = smtpPools.get(page.id);
    if (current?.key === key) return current.pool;
    dropSmtpPool(page.id);
    const pool = new Pool(page.settings, pageCredentials(page), transportOptions(), options.smtpPool ?? {});
    smtpPools.set(page.id, { key, pool, unsubscribe: page.subscribe(() => dropSmtpPool(page.id)) });
    return pool;
  };

  let closed: Promise<void> | undefined;
  return {
    page: (id) => pageOf(id),
    // Transports load on first use: the token path starts without nodemailer or imapflow.
    async sendMail(pageId, message, sendOptions = {}) {
      if (closed !== undefined) throw new TokenStateError('ERR_DEVICE_CLOSED', 'The device is closed', { kind: 'usage' });
      const page = pageOf(pageId, 'smtp');
      return (await smtpPoolOf(page)).send(message, sendOptions);
    },
    pop3(pageId) {
      const page = pageOf(pageId, 'pop3');
      return {
        async fetch(fetchOptions = {}) {
          const { fetchPop3 } = await import('./transports/pop3/mailbox.js');
          return fetchPop3(page.settings, pageCredentials(page), { ...transportOptions(), ...fetchOptions });
        },
        async connect(connectOptions = {}) {
          const { connectPop3 } = await import('./transports/pop3/client.js');
          return connectPop3(page.settings, pageCredentials(page), { ...transportOptions(), ...connectOptions });
        },
        async poller(pollerOptions) {
          const { createPop3Poller } = await import('./transports/pop3/mailbox.js');
          return createPop3Poller(page.settings, pageCredentials(page), { ...transportOptions(), ...pollerOptions });
        },
      };
    },
    async imap(pageId) {
      const page = pageOf(pageId, 'imap');
      const { connectImap } = await import('./transports/imap.js');
      return connectImap(page.settings, pageCredentials(page), transportOptions());
    },
    pages: () => [...pages.values()],
    get locale(): string {
      return localeMatch.locale;
    },
    set locale(tag: string) {
      localeMatch = matchLocale(tag);
    },
    get localeMatch() {
      return localeMatch;
    },
    locales: messages.locales,
    localize: (key, locale = localeMatch.locale, params = {}) => messages.localize(key, locale, params),
    close() {
      closed ??= (async () => {
        for (const pageId of [...smtpPools.keys()]) dropSmtpPool(pageId);
        await Promise.all([...scopes.values()].map((scope) => scope.close()));
        await store.close?.();
        if (caAgent !== undefined) await (await caAgent).close();
      })();
      return closed;
    },
  };
}
