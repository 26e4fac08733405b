/**
 * Adding or choosing a language: the keys a translation must cover, the shapes of complete and
 * partial catalogs (`createMailOAuth({ locales })`), and locale negotiation. Imported as
 * `mail-oauth/languages`; the main entry keeps only `localize` and `localizeError`, which every
 * device uses.
 *
 * @packageDocumentation
 */
export { resolveLocale, textKeys } from './messages/localize.js';
export type { LanguageCatalog, LocaleMatch, PartialCatalog } from './messages/localize.js';
