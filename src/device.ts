import { timingSafeEqual } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import { loadUndici } from './lib/lazy.js';
import { systemClock, type Clock } from './clock.js';
import { AuthorizationError, SettingsError } from './errors.js';
import { EventHub, type EventFact, type MailOAuthEvent } from './events.js';
import { resolveLogger, type Logger } from './logger.js';
import { defaultBackoff, type BackoffPolicy } from './machine/backoff.js';
import { Scope } from './machine/scope.js';
import { createMessages, type LanguageCatalog, type LocaleMatch, type PartialCatalog, type TextKey } from './messages/localize.js';
import { throwIfAborted, type SignalOptions } from './pages/abort.js';
import { ImapPage } from './pages/imap.js';
import type { PageContext } from './pages/page.js';
import { Pop3Page } from './pages/pop3.js';
import { SmtpPage } from './pages/smtp.js';
import type { Page, PageFor } from './pages/types.js';
import type { ProviderAdapter } from './providers/types.js';
import { mfpPages, type MfpTopology } from './registry/mfp-pages.js';
import { createRegistry, type PageDefinition, type PageTopology } from './registry/topology.js';
import { memoryStore } from './store/memory.js';
import { PasswordVault } from './store/password.js';
import type { TokenStore } from './store/types.js';
import type { TransportOptions } from './transports/options.js';
import type { SmtpPoolOptions } from './transports/smtp.js';

/**
 * Options of {@link createMailOAuth}; `T` is the page topology's type (literal for {@link mfpPages}).
 * @category Device
 */
export interface MailOAuthOptions<T extends PageTopology = PageTopology> {
  /** Provider adapters; a page's `provider` setting names one by its `id`. */
  providers: readonly ProviderAdapter[];
  /** Where tokens are kept. Default: {@link memoryStore} (tokens are lost on restart). */
  store?: TokenStore;
  /** The device's pages and link groups. Default: {@link mfpPages}. A literal topology (`as const`, or written inline) types `device.page(id)` by protocol. */
  pages?: T;
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
  /**
   * Renew a refresh token that has not been used for this long, in milliseconds, so that a device
   * that mails once a quarter keeps its grant (Google expires refresh tokens of apps in "Testing"
   * after 7 days, Microsoft after 90 days of inactivity). Default 259 200 000 (3 days, inside the
   * shortest known idle expiry); `0` turns the keep-alive off. See `docs/operations.md`.
   */
  keepAliveMs?: number;
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
 * Create it with {@link createMailOAuth}. `T` is its page topology's type: {@link MfpTopology}
 * by default; `MailOAuth<PageTopology>` for a topology only known at run time.
 * @category Device
 */
export interface MailOAuth<T extends PageTopology = MfpTopology> {
  /**
   * A settings page by id: an {@link SmtpPage}, {@link Pop3Page} or {@link ImapPage} when `id` is
   * a literal id of a literal topology (such as {@link mfpPages}'s), else the {@link Page} union
   * (narrow it by `page.protocol`). Throws `ERR_UNKNOWN_PAGE` for an id the topology does not have.
   *
   * @example
   * ```ts
   * const smtp = device.page('smtp.services'); // SmtpPage
   * const pop = device.page('pop.emailPrint'); // Pop3Page
   * ```
   */
  page<const Id extends string>(id: Id): PageFor<T, Id>;
  /**
   * All settings pages, in topology order.
   *
   * @example
   * ```ts
   * for (const page of device.pages()) console.log(page.id, page.protocol, page.tokenInfo().statusText);
   * ```
   */
  pages(): readonly Page[];
  /**
   * Completes the authorization-code sign-in a redirect belongs to, whichever page started it: the
   * `state` in the URL's query names the page waiting for it. A URL whose `state` no page is
   * waiting for (unknown, forged, or already used) is refused with `ERR_STATE_MISMATCH` and no
   * page is touched. Otherwise as the page's own `completeAuthorization`.
   *
   * @example
   * ```ts
   * // the device's web UI route registered as the redirect URI
   * app.get('/oauth/callback', async (req, res) => {
   *   await device.completeAuthorization(new URL(req.url, 'https://printer.local').href);
   *   res.end('Signed in');
   * });
   * ```
   */
  completeAuthorization(callbackUrl: string, options?: SignalOptions): Promise<void>;
  /**
   * Calls `listener` with every lifecycle event of the device: sign-ins, renewals, Invalid
   * tokens, deletions, store failures, mail sent and connection tests. Events never carry a
   * secret; the logger receives the same facts. A listener that throws is logged and skipped.
   * @returns a function that stops the notifications.
   *
   * @example
   * ```ts
   * const stop = device.subscribe((event) => {
   *   if (event.type === 'token.invalid') notifyAdmin(`${event.pages.join(', ')}: ${event.hint ?? event.reasonCode}`);
   * });
   * stop();
   * ```
   */
  subscribe(listener: (event: MailOAuthEvent) => void): () => void;
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
   * Ends everything the device started: stops POP3 pollers (a check in progress is dropped), closes SMTP pools, stops every token scope (aborting requests in flight) and waits for pending writes.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => void device.close());
   * ```
   */
  close(): Promise<void>;
}

async function agentTrusting(ca: string | readonly string[]): Promise<Dispatcher> {
  const { Agent } = await loadUndici();
  return new Agent({ connect: { ca: [...rootCertificates, ...(typeof ca === 'string' ? [ca] : ca)] } });
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0)
    throw new SettingsError('ERR_INVALID_OPTION', `${name} must be a non-negative whole number of milliseconds`, {
      params: { field: name },
    });
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
 * @category Device
 */
export async function createMailOAuth<const T extends PageTopology = MfpTopology>(options: MailOAuthOptions<T>): Promise<MailOAuth<T>> {
  const messages = createMessages(options.locales);
  const registry = createRegistry(options.pages ?? mfpPages());
  const providers = new Map<string, ProviderAdapter>();
  for (const provider of options.providers) {
    if (providers.has(provider.id))
      throw new SettingsError('ERR_INVALID_OPTION', `Two providers share the id "${provider.id}"`, { params: { field: 'providers' } });
    providers.set(provider.id, provider);
  }
  const store = options.store ?? memoryStore();
  const clock = options.clock ?? systemClock;
  const logger = resolveLogger(options.logger);
  const events = new EventHub(logger);
  const keepAliveMs = positiveInteger('keepAliveMs', options.keepAliveMs, 3 * 24 * 3_600_000);
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
  // The machine says what happened; the device adds where (scope, linked pages, account) and when.
  const publish = (scopeId: string, fact: EventFact): void => {
    const settings = scopes.get(scopeId)?.settings;
    events.emit({
      at: clock.now(),
      scope: scopeId,
      pages: registry.scopes.get(scopeId)?.pages ?? [],
      ...(settings?.provider === undefined ? {} : { provider: settings.provider }),
      ...(settings?.account === undefined ? {} : { account: settings.account }),
      ...fact,
    });
  };
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
        keepAliveMs,
        onEvent: (fact) => publish(definition.id, fact),
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
  let closed: Promise<void> | undefined;
  const context: PageContext = {
    providers: providerIds,
    locale: () => localeMatch.locale,
    localize: (key, locale, params) => messages.localize(key, locale, params),
    transportOptions,
    passwords,
    closed: () => closed !== undefined,
    smtpPool: options.smtpPool ?? {},
    emit: (pageId, fact) => publish(registry.scopeOf(pageId)?.id ?? pageId, fact),
    now: () => clock.now(),
  };
  const pages = new Map<string, Page>();
  for (const definition of registry.pages.values()) {
    const scope = scopes.get(registry.scopeOf(definition.id)?.id ?? '') as Scope;
    pages.set(definition.id, pageFor(definition, scope, context));
  }

  const pageOf = (id: string): Page => {
    const page = pages.get(id);
    // The caller named a page the device does not have: a usage error, not a broken topology.
    if (page === undefined)
      throw new SettingsError('ERR_UNKNOWN_PAGE', `No settings page "${String(id)}"`, { kind: 'usage', params: { page: String(id) } });
    return page;
  };

  // States routed to a page whose exchange has not settled: a second delivery of the same redirect is refused.
  const routing = new Set<string>();
  const stateMismatch = (): AuthorizationError =>
    new AuthorizationError('ERR_STATE_MISMATCH', 'No sign-in is waiting for this redirect (unknown or already used state)', {
      kind: 'usage',
    });

  return {
    page: <const Id extends string>(id: Id) => pageOf(id) as PageFor<T, Id>,
    pages: () => [...pages.values()],
    async completeAuthorization(callbackUrl, signalOptions = {}) {
      throwIfAborted(signalOptions.signal);
      let state: string | null = null;
      try {
        state = new URL(String(callbackUrl).trim()).searchParams.get('state');
      } catch {
        // Not a URL: no page can be waiting for it.
      }
      if (state === null || state === '' || routing.has(state)) throw stateMismatch();
      // Linked pages are views of one scope: the first one waiting stands for all of them.
      const waiting = [...pages.values()].find((page) => sameState(page.pendingState(), state));
      if (waiting === undefined) throw stateMismatch();
      routing.add(state);
      try {
        await waiting.completeAuthorization(callbackUrl, signalOptions);
      } finally {
        routing.delete(state);
      }
    },
    get locale(): string {
      return localeMatch.locale;
    },
    set locale(tag: string) {
      localeMatch = matchLocale(tag);
    },
    get localeMatch() {
      return localeMatch;
    },
    subscribe: (listener) => events.subscribe(listener),
    locales: messages.locales,
    localize: (key, locale = localeMatch.locale, params = {}) => messages.localize(key, locale, params),
    close() {
      closed ??= (async () => {
        // Pages first: a poller mid-check or a pooled send must not outlive the scopes it reads tokens from.
        await Promise.all([...pages.values()].map((page) => page.close()));
        await Promise.all([...scopes.values()].map((scope) => scope.close()));
        await store.close?.();
        if (caAgent !== undefined) await (await caAgent).close();
      })();
      return closed;
    },
  };
}

function pageFor(definition: PageDefinition, scope: Scope, context: PageContext): Page {
  switch (definition.protocol) {
    case 'smtp':
      return new SmtpPage(definition, scope, context);
    case 'pop3':
      return new Pop3Page(definition, scope, context);
    case 'imap':
      return new ImapPage(definition, scope, context);
  }
}

/** Compares a redirect's state with a pending one without leaking, by timing, how much of it matched. */
function sameState(pending: string | undefined, given: string): boolean {
  if (pending === undefined) return false;
  const a = Buffer.from(pending);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
