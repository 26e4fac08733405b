import type { MailOAuthError } from '../errors.js';
import { catalogs, type MessageKey } from './catalog.js';

/** A language the built-in catalogs cover. */
export type Locale = 'en' | 'de' | 'ja';

/** The languages with a built-in catalog. */
export const locales: readonly Locale[] = ['en', 'de', 'ja'];

/** Narrows a BCP 47 tag (`de-AT`, `ja-JP`, `en`) to a supported locale; English when unsupported. */
export function resolveLocale(tag: string | undefined): Locale {
  const language = (tag ?? 'en').toLowerCase().split(/[-_]/)[0] ?? 'en';
  return (locales as readonly string[]).includes(language) ? (language as Locale) : 'en';
}

/**
 * The device-facing text for a status, `OK` or an error code, in the given language.
 *
 * @example
 * ```ts
 * localize('ERR_TOKEN_REFRESH_FAILED', 'de');
 * // 'Token-Update fehlgeschlagen. Bitte löschen Sie das Token und rufen Sie das Token erneut ab.'
 * ```
 */
export function localize(key: MessageKey, locale: string = 'en', params: Readonly<Record<string, string>> = {}): string {
  const text = catalogs[resolveLocale(locale)][key] ?? catalogs.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
}

/** The device-facing text for an error, in the given language. */
export function localizeError(error: MailOAuthError, locale: string = 'en'): string {
  return localize(error.code, locale, error.params);
}
