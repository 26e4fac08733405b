import type { Dispatcher } from 'undici';
import { systemClock, type Clock } from './clock.js';
import { SettingsError, TopologyError } from './errors.js';
import { resolveLogger, type Logger } from './logger.js';
import { defaultBackoff, type BackoffPolicy } from './machine/backoff.js';
import { Scope } from './machine/scope.js';
import { resolveLocale, type Locale } from './messages/localize.js';
import { Page } from './page.js';
import type { ProviderAdapter } from './providers/types.js';
import { mfpPages } from './registry/mfp-pages.js';
import { createRegistry, type PageTopology } from './registry/topology.js';
import { memoryStore } from './store/memory.js';
import type { TokenStore } from './store/types.js';

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
  /** undici dispatcher for every HTTP request (proxy, custom CA). Default: undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /** Language of device-facing messages (`en`, `de`, `ja`; BCP 47 tags are narrowed). Default `en`. */
  locale?: string;
  /** Renew tokens this long before they expire, in milliseconds. Default 600 000 (10 minutes: Exchange rejects tokens close to expiry). */
  refreshMarginMs?: number;
  /** Back-off for transient failures. Default: 2 s doubling to 5 minutes, with jitter. */
  backoff?: Partial<BackoffPolicy>;
  /** Store refresh tokens. Default `true`; `false` for administrators who forbid it (tokens then end at restart). */
  persistRefreshTokens?: boolean;
  /** Extra trusted CA certificates (PEM) for mail servers. */
  ca?: string | readonly string[];
  /** Random source for jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
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
  /** The device-facing language of messages and status texts. */
  get locale(): Locale;
  /** Sets the device-facing language; BCP 47 tags are narrowed, unsupported ones fall back to `en`. */
  set locale(tag: string);
  /** Stops every token scope (aborting requests in flight) and waits for pending writes. */
  close(): Promise<void>;
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
  let locale = resolveLocale(options.locale);

  const scopes = new Map<string, Scope>();
  try {
    for (const definition of registry.scopes.values()) {
      const scope = await Scope.open({
        id: definition.id,
        protocol: definition.protocol,
        store,
        clock,
        logger,
        dispatcher: options.dispatcher,
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
  const context = { providers: providerIds, locale: () => locale };
  const pages = new Map<string, Page>();
  for (const definition of registry.pages.values()) {
    const scope = scopes.get(registry.scopeOf(definition.id)?.id ?? '') as Scope;
    pages.set(definition.id, new Page(definition, scope, context));
  }

  let closed: Promise<void> | undefined;
  return {
    page(id) {
      const page = pages.get(id);
      if (page === undefined) throw new TopologyError('ERR_UNKNOWN_PAGE', `No settings page "${String(id)}"`, { params: { page: String(id) } });
      return page;
    },
    pages: () => [...pages.values()],
    get locale(): Locale {
      return locale;
    },
    set locale(tag: string) {
      locale = resolveLocale(tag);
    },
    close() {
      closed ??= (async () => {
        await Promise.all([...scopes.values()].map((scope) => scope.close()));
        await store.close?.();
      })();
      return closed;
    },
  };
}
