import { SettingsError, type ErrorCode, type MailOAuthError } from '../errors.js';
import type { TokenStatus } from '../status.js';
import { catalogs } from './catalog.js';
import { uiCatalogs } from './ui.js';

/**
 * A language the built-in catalogs cover.
 * @category Errors and languages
 */
export type Locale = 'en' | 'de' | 'ja';

/** The languages with a built-in catalog. */
export const locales: readonly Locale[] = ['en', 'de', 'ja'];

/**
 * Every text the SDK can render: token statuses, `OK`, error codes and UI texts (buttons,
 * confirmation dialogs, the device-code instruction, page titles `ui.page.<page id>` for the
 * preset's page ids, field labels). `{name}` in a text is replaced by the parameter `name`.
 * @category Errors and languages
 */
export type TextKey =
  | TokenStatus
  | 'OK'
  | ErrorCode
  | 'ui.button.getToken'
  | 'ui.button.delete'
  | 'ui.button.connectionTest'
  | 'ui.button.ok'
  | 'ui.button.cancel'
  | 'ui.confirm.getToken'
  | 'ui.confirm.delete'
  | 'ui.confirm.linkedPages'
  | 'ui.deviceCode.instruction'
  | 'ui.page.smtp.services'
  | 'ui.page.smtp.alert'
  | 'ui.page.smtp.quick'
  | 'ui.page.smtp.initialQuick'
  | 'ui.page.pop.emailStatus'
  | 'ui.page.pop.internetFax'
  | 'ui.page.pop.emailPrint'
  | 'ui.field.smtpServer'
  | 'ui.field.pop3Server'
  | 'ui.field.port'
  | 'ui.field.timeout'
  | 'ui.field.checkInterval'
  | 'ui.field.senderName'
  | 'ui.field.senderAddress'
  | 'ui.field.enableSslTls'
  | 'ui.field.authMethod'
  | 'ui.field.provider'
  | 'ui.field.account'
  | 'ui.field.tokenStatus'
  | 'ui.authMethod.oauth2'
  | 'ui.authMethod.plain'
  | 'ui.authMethod.login'
  | 'ui.authMethod.none'
  | 'ui.provider.microsoft365'
  | 'ui.provider.google';

/**
 * A complete language: every {@link TextKey}. A catalog that misses a key does not type-check;
 * `{name}` in a text is replaced by the parameter `name`. For an incomplete one use
 * {@link PartialCatalog}.
 * @category Errors and languages
 */
export type LanguageCatalog = Readonly<Record<TextKey, string>>;

/**
 * An incomplete language, explicitly: the texts it has, and the locale whose texts fill the gaps
 * (a built-in locale or a complete catalog given in the same `locales` option).
 * @category Errors and languages
 */
export interface PartialCatalog {
  /** The locale that provides every text missing from `texts`, e.g. `'en'`. */
  readonly fallback: string;
  /** The translated texts. */
  readonly texts: Partial<LanguageCatalog>;
}

/**
 * How a requested language tag was resolved.
 * @category Errors and languages
 */
export interface LocaleMatch {
  /** The tag that was asked for (`undefined` when none was). */
  readonly requested: string | undefined;
  /** The locale whose texts are used: the catalog's own tag (`de` for `de-AT`). */
  readonly locale: string;
  /** `true` when no catalog matched the requested tag and English is used instead. */
  readonly fallback: boolean;
}

/** A set of languages and the one text lookup over them. @internal */
export interface Messages {
  /** The available locales: the built-in ones, then the added ones. */
  readonly locales: readonly string[];
  /** Resolves a BCP 47 tag by RFC 4647 lookup (`de-AT` → `de`); English when nothing matches. */
  match(tag: string | undefined): LocaleMatch;
  /** The text for `key` in `locale` (resolved as by `match`), with `{name}` replaced by `params.name`. */
  localize(key: TextKey, locale?: string, params?: Readonly<Record<string, string>>): string;
}

const builtInCatalogs: Readonly<Record<Locale, LanguageCatalog>> = {
  en: { ...catalogs.en, ...uiCatalogs.en },
  de: { ...catalogs.de, ...uiCatalogs.de },
  ja: { ...catalogs.ja, ...uiCatalogs.ja },
};

/**
 * Every {@link TextKey}, in catalog order: the keys a new language must translate.
 *
 * @example
 * ```ts
 * // A translation template for the translators, with the English texts as reference.
 * const template = Object.fromEntries(textKeys.map((key) => [key, localize(key, 'en')]));
 * ```
 * @category Errors and languages
 */
export const textKeys: readonly TextKey[] = Object.freeze(Object.keys(builtInCatalogs.en) as TextKey[]);

const languageTag = /^[a-z]{1,8}(-[a-z0-9]{1,8})*$/i;

function invalid(field: string, message: string): SettingsError {
  return new SettingsError('ERR_INVALID_OPTION', message, { params: { field } });
}

function isPartial(catalog: LanguageCatalog | PartialCatalog): catalog is PartialCatalog {
  return (
    typeof (catalog as Partial<PartialCatalog>).fallback === 'string' && typeof (catalog as Partial<PartialCatalog>).texts === 'object'
  );
}

/** The texts of `catalog` that are non-empty strings; JavaScript callers may pass anything. */
function ownTexts(catalog: object): Partial<Record<TextKey, string>> {
  const texts: Partial<Record<TextKey, string>> = {};
  for (const key of textKeys) {
    const text: unknown = Object.hasOwn(catalog, key) ? (catalog as Record<string, unknown>)[key] : undefined;
    if (typeof text === 'string' && text.trim() !== '') texts[key] = text;
  }
  return texts;
}

/**
 * Builds the languages of one device: the built-in catalogs, overridden or extended by `extra`
 * (a complete {@link LanguageCatalog} or an explicit {@link PartialCatalog} per BCP 47 tag).
 * Throws `ERR_INVALID_OPTION` (field `locales.<tag>`) for a malformed tag, a complete catalog
 * that misses a text, or a fallback no complete catalog provides.
 * @internal
 */
export function createMessages(extra: Readonly<Record<string, LanguageCatalog | PartialCatalog>> = {}): Messages {
  const byLocale = new Map<string, LanguageCatalog>(Object.entries(builtInCatalogs));
  const partials: Array<[string, PartialCatalog]> = [];
  for (const [tag, catalog] of Object.entries(extra)) {
    const field = `locales.${tag}`;
    if (!languageTag.test(tag)) throw invalid(field, `"${tag}" is not a language tag`);
    if (typeof catalog !== 'object' || catalog === null) throw invalid(field, `The catalog for "${tag}" is not an object`);
    if (isPartial(catalog)) {
      partials.push([tag, catalog]);
      continue;
    }
    const texts = ownTexts(catalog);
    const missing = textKeys.filter((key) => texts[key] === undefined);
    // A half-translated screen is worse than a loud start: incompleteness must be declared.
    if (missing.length > 0)
      throw invalid(
        field,
        `The catalog for "${tag}" lacks ${missing.length} texts (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}); pass { fallback, texts } for an incomplete one`,
      );
    deleteCaseInsensitive(byLocale, tag);
    byLocale.set(tag, texts as LanguageCatalog);
  }

  const lowerCased = (within: ReadonlyMap<string, LanguageCatalog>): ReadonlyMap<string, string> =>
    new Map([...within.keys()].map((key) => [key.toLowerCase(), key]));
  const lookup = (tag: string, lower: ReadonlyMap<string, string>): string | undefined => {
    const parts = tag.replaceAll('_', '-').toLowerCase().split('-');
    for (let length = parts.length; length > 0; length -= 1) {
      const found = lower.get(parts.slice(0, length).join('-'));
      if (found !== undefined) return found;
    }
    return undefined;
  };

  // Fallbacks resolve among complete catalogs only, so a chain of partial catalogs cannot loop.
  const complete = new Map(byLocale);
  const completeTags = lowerCased(complete);
  for (const [tag, partial] of partials) {
    const fallback = lookup(partial.fallback, completeTags);
    if (fallback === undefined) throw invalid(`locales.${tag}`, `The fallback "${partial.fallback}" of "${tag}" is not a complete catalog`);
    deleteCaseInsensitive(byLocale, tag);
    byLocale.set(tag, { ...(complete.get(fallback) as LanguageCatalog), ...ownTexts(partial.texts) });
  }

  const available = Object.freeze([...byLocale.keys()]);
  const availableTags = lowerCased(byLocale);
  const english = lookup('en', availableTags) ?? 'en';
  const match = (tag: string | undefined): LocaleMatch => {
    if (tag === undefined) return { requested: undefined, locale: english, fallback: false };
    const found = lookup(tag, availableTags);
    return found === undefined ? { requested: tag, locale: english, fallback: true } : { requested: tag, locale: found, fallback: false };
  };
  return {
    locales: available,
    match,
    localize(key, locale = 'en', params = {}) {
      const text = byLocale.get(match(locale).locale)?.[key] ?? builtInCatalogs.en[key] ?? key;
      return text.replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
    },
  };
}

function deleteCaseInsensitive(map: Map<string, unknown>, tag: string): void {
  for (const key of map.keys()) if (key.toLowerCase() === tag.toLowerCase()) map.delete(key);
}

const builtIn = createMessages();

/**
 * Narrows a BCP 47 tag (`de-AT`, `ja-JP`, `en`) to a built-in locale; English when unsupported.
 *
 * @example
 * ```ts
 * resolveLocale('de-AT'); // 'de'
 * resolveLocale('fr'); // 'en'
 * ```
 * @category Errors and languages
 */
export function resolveLocale(tag: string | undefined): Locale {
  return builtIn.match(tag).locale as Locale;
}

/**
 * The device-facing text for a status, `OK`, an error code or a UI text, in a built-in language
 * (`en`, `de`, `ja`; other tags fall back to English). Languages added with the `locales` option
 * of `createMailOAuth` are rendered by the device's own `localize`.
 *
 * @example
 * ```ts
 * localize('ERR_TOKEN_REFRESH_FAILED', 'de');
 * // 'Token-Update fehlgeschlagen. Bitte löschen Sie das Token und rufen Sie das Token erneut ab.'
 * localize('ui.button.getToken', 'ja'); // 'トークン取得'
 * localize('ui.deviceCode.instruction', 'en', { url: 'https://microsoft.com/devicelogin', code: 'WDJB-MJHT', minutes: '15' });
 * ```
 * @category Errors and languages
 */
export function localize(key: TextKey, locale: string = 'en', params: Readonly<Record<string, string>> = {}): string {
  return builtIn.localize(key, locale, params);
}

/**
 * The device-facing text for an error, in the given language.
 *
 * @example
 * ```ts
 * try {
 *   await page.testConnection();
 * } catch (err) {
 *   if (err instanceof MailOAuthError) show(localizeError(err, 'ja'));
 * }
 * ```
 * @category Errors and languages
 */
export function localizeError(error: MailOAuthError, locale: string = 'en'): string {
  return localize(error.code, locale, error.params);
}
