import { describe, expect, it } from 'vitest';
import { catalogs } from '../../src/messages/catalog.js';
import { localize } from '../../src/index.js';
import { resolveLocale } from '../../src/languages.js';

describe('message catalog', () => {
  it('has the same keys, all non-empty, in every language', () => {
    const keys = Object.keys(catalogs.en).sort();
    for (const [locale, catalog] of Object.entries(catalogs)) {
      expect(Object.keys(catalog).sort(), locale).toEqual(keys);
      for (const [key, text] of Object.entries(catalog)) expect(text.trim().length, `${locale} ${key}`).toBeGreaterThan(0);
    }
  });

  it("uses the manual's words for statuses and the refresh failure", () => {
    expect(['not-acquired', 'waiting-for-authorization', 'acquired', 'invalid'].map((s) => localize(s as never, 'en'))).toEqual([
      'Not Acquired',
      'Waiting for Authorization',
      'Acquired',
      'Invalid',
    ]);
    expect(['not-acquired', 'waiting-for-authorization', 'acquired', 'invalid'].map((s) => localize(s as never, 'de'))).toEqual([
      'Nicht abgerufen',
      'Warten auf Autorisierung',
      'Abgerufen',
      'Ungültig',
    ]);
    expect(localize('ERR_TOKEN_REFRESH_FAILED', 'de-AT')).toBe(
      'Token-Update fehlgeschlagen. Bitte löschen Sie das Token und rufen Sie das Token erneut ab.',
    );
  });

  it('narrows tags and interpolates parameters', () => {
    expect(resolveLocale('ja-JP')).toBe('ja');
    expect(resolveLocale('fr')).toBe('en');
    expect(localize('ERR_ACCOUNT_MISMATCH', 'en', { actual: 'admin@contoso.com', expected: 'scanner@contoso.com' })).toBe(
      'Signed in as admin@contoso.com, but the account name is scanner@contoso.com. Sign in with scanner@contoso.com.',
    );
  });
});
