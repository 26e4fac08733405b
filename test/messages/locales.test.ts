import { describe, expect, it } from 'vitest';
import { createMailOAuth, localize, memoryStore, type MailOAuth, type SettingsError, type TextKey } from '../../src/index.js';
import { textKeys, type LanguageCatalog, type PartialCatalog } from '../../src/languages.js';
import { catalogs } from '../../src/messages/catalog.js';
import { uiCatalogs } from '../../src/messages/ui.js';
import { recordingLogger } from '../helpers/fake-provider.js';

const statuses = ['not-acquired', 'waiting-for-authorization', 'acquired', 'invalid'] as const;

/** A complete French catalog, as an integrator would write it: real words where a test reads them. */
const fr: LanguageCatalog = {
  ...(Object.fromEntries(textKeys.map((key) => [key, `FR· ${key}`])) as LanguageCatalog),
  'not-acquired': 'Non acquis',
  'waiting-for-authorization': "En attente d'autorisation",
  acquired: 'Acquis',
  invalid: 'Non valide',
  OK: 'Test de connexion réussi.',
  ERR_NOT_CONFIGURED: "Sélectionnez d'abord OAuth 2.0, un fournisseur et un nom de compte.",
  ERR_ACCOUNT_MISMATCH: 'Connecté en tant que {actual}, mais le nom du compte est {expected}.',
  'ui.button.getToken': 'Obtenir le jeton',
  'ui.button.delete': 'Supprimer',
  'ui.button.connectionTest': 'Test de connexion',
  'ui.button.ok': 'OK',
  'ui.button.cancel': 'Annuler',
};

async function device(
  options: {
    locale?: string;
    locales?: Record<string, LanguageCatalog | PartialCatalog>;
    logger?: ReturnType<typeof recordingLogger>;
  } = {},
): Promise<MailOAuth> {
  return createMailOAuth({ providers: [], store: memoryStore(), ...options });
}

describe('a language added from the outside', () => {
  it('shows every status, error, OK and UI text in French, on the device that added it', async () => {
    const d = await device({ locales: { fr }, locale: 'fr-CA' });
    expect(d.locale).toBe('fr');
    expect(d.localeMatch).toEqual({ requested: 'fr-CA', locale: 'fr', fallback: false });
    expect(d.locales).toEqual(['en', 'de', 'ja', 'fr']);
    for (const key of textKeys) expect(d.localize(key), key).toBe(fr[key]);
    // Statuses and test results the pages render come from the same catalog.
    expect(d.page('smtp.services').tokenInfo().statusText).toBe('Non acquis');
    expect(await d.page('smtp.services').testConnection()).toMatchObject({
      ok: false,
      code: 'ERR_NOT_CONFIGURED',
      message: fr.ERR_NOT_CONFIGURED,
    });
    expect(d.localize('ERR_ACCOUNT_MISMATCH', undefined, { actual: 'admin@contoso.com', expected: 'scanner@contoso.com' })).toBe(
      'Connecté en tant que admin@contoso.com, mais le nom du compte est scanner@contoso.com.',
    );
    // Another language on demand, and back.
    expect(d.localize('ui.button.getToken', 'de')).toBe('Token abrufen');
    expect(d.page('smtp.services').tokenInfo('ja').statusText).toBe('未取得');
    d.locale = 'de-AT';
    expect([d.locale, d.localize('acquired')]).toEqual(['de', 'Abgerufen']);
    await d.close();
  });

  it('is scoped to that device: another device and the free localize do not see it', async () => {
    const withFrench = await device({ locales: { fr }, locale: 'fr' });
    const without = await device({ locale: 'fr' });
    expect(withFrench.localize('ui.button.delete')).toBe('Supprimer');
    expect(without.locale).toBe('en');
    expect(without.localize('ui.button.delete')).toBe('Delete');
    expect(localize('ui.button.delete', 'fr')).toBe('Delete');
    await Promise.all([withFrench.close(), without.close()]);
  });

  it('lists every status, OK, error code and UI text in textKeys', () => {
    expect([...textKeys].sort()).toEqual([...Object.keys(catalogs.en), ...Object.keys(uiCatalogs.en)].sort());
    expect(textKeys).toEqual(
      expect.arrayContaining([
        ...statuses,
        'OK',
        'ERR_TOKEN_REFRESH_FAILED',
        'ui.button.getToken',
        'ui.confirm.delete',
        'ui.deviceCode.instruction',
      ]),
    );
  });

  it('refuses an incomplete catalog unless it is declared partial', async () => {
    const { 'ui.button.cancel': _dropped, ...incomplete } = fr;
    // @ts-expect-error a complete catalog must provide every key
    const typed: LanguageCatalog = incomplete;
    const error = (await device({ locales: { fr: typed } }).catch((err: unknown) => err)) as SettingsError;
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', params: { field: 'locales.fr' } });
    expect(error.message).toContain('ui.button.cancel');
    await expect(device({ locales: { 'fr fr': fr } })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      params: { field: 'locales.fr fr' },
    });
    await expect(device({ locales: { es: { fallback: 'pt', texts: {} } } })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      params: { field: 'locales.es' },
    });
  });

  it('fills a partial catalog from its declared fallback, and can correct one built-in text', async () => {
    const es: PartialCatalog = { fallback: 'en', texts: { 'ui.button.getToken': 'Obtener token', acquired: 'Adquirido' } };
    const de: PartialCatalog = { fallback: 'de', texts: { 'ui.field.smtpServer': 'SMTP-Server' } };
    const d = await device({ locales: { es, de }, locale: 'es-MX' });
    expect([d.locale, d.localize('ui.button.getToken'), d.localize('acquired'), d.localize('ui.button.delete')]).toEqual([
      'es',
      'Obtener token',
      'Adquirido',
      'Delete',
    ]);
    expect([d.localize('ui.field.smtpServer', 'de'), d.localize('ui.field.port', 'de')]).toEqual(['SMTP-Server', 'Port-Nummer']);
    await d.close();
  });
});

describe('an unknown language', () => {
  it('falls back to English visibly: the resolved locale, the match and a log line say so', async () => {
    const logger = recordingLogger();
    const d = await device({ locales: { fr }, locale: 'sw-KE', logger });
    expect(d.locale).toBe('en');
    expect(d.localeMatch).toEqual({ requested: 'sw-KE', locale: 'en', fallback: true });
    for (const key of textKeys) expect(d.localize(key), key).toBe(localize(key, 'en'));
    expect(d.page('smtp.services').tokenInfo().statusText).toBe('Not Acquired');
    expect(logger.lines).toContain('warn locale not available; using English {"requested":"sw-KE","locale":"en"}');
    d.locale = 'xx';
    expect(d.localeMatch).toEqual({ requested: 'xx', locale: 'en', fallback: true });
    d.locale = 'fr';
    expect(d.localeMatch).toEqual({ requested: 'fr', locale: 'fr', fallback: false });
    await d.close();
  });
});

describe('built-in UI texts', () => {
  it('exist in en, de and ja for every key, non-empty', () => {
    const keys = Object.keys(uiCatalogs.en).sort();
    for (const [locale, catalog] of Object.entries(uiCatalogs)) {
      expect(Object.keys(catalog).sort(), locale).toEqual(keys);
      for (const [key, text] of Object.entries(catalog)) expect(text.trim().length, `${locale} ${key}`).toBeGreaterThan(0);
    }
  });

  it("use the manual's words for buttons, fields and pages", () => {
    const de = (key: TextKey): string => localize(key, 'de');
    expect(
      ['ui.button.getToken', 'ui.button.delete', 'ui.button.connectionTest', 'ui.button.ok', 'ui.button.cancel'].map((k) =>
        localize(k as TextKey, 'en'),
      ),
    ).toEqual(['Get Token', 'Delete', 'Connection Test', 'OK', 'Cancel']);
    expect(['ui.button.getToken', 'ui.button.delete', 'ui.button.ok'].map((k) => de(k as TextKey))).toEqual([
      'Token abrufen',
      'Löschen',
      'OK',
    ]);
    expect(
      [
        'ui.field.smtpServer',
        'ui.field.port',
        'ui.field.timeout',
        'ui.field.senderName',
        'ui.field.senderAddress',
        'ui.field.enableSslTls',
        'ui.field.account',
        'ui.field.pop3Server',
        'ui.field.checkInterval',
        'ui.field.tokenStatus',
      ].map((k) => de(k as TextKey)),
    ).toEqual([
      'Primärer Server',
      'Port-Nummer',
      'Zeitüberschreitung',
      'Absendername',
      'Absendeadresse',
      'SSL/TLS aktivieren',
      'Kontoname',
      'POP3-Server',
      'Prüfungsintervall',
      'Token',
    ]);
    expect(de('ui.page.smtp.services')).toContain('Dienste-Setup (Registerkarte SMTP)');
    expect(de('ui.page.smtp.initialQuick')).toBe('Urspr. Installationseinstellungen → Schnelleinstellungen Netzwerk');
    expect(localize('ui.button.getToken', 'ja')).toBe('トークン取得');
    // The error texts name the button by its label.
    expect(localize('ERR_TOKEN_NOT_ACQUIRED', 'de')).toContain(`[${de('ui.button.getToken')}]`);
    expect(localize('ERR_TOKEN_NOT_ACQUIRED', 'ja')).toContain(`[${localize('ui.button.getToken', 'ja')}]`);
  });

  it('give every page of the preset a title, and the device-code instruction its URL, code and expiry', async () => {
    const d = await device({ locale: 'de' });
    for (const page of d.pages()) {
      const key = `ui.page.${page.id}` as TextKey;
      for (const locale of ['en', 'de', 'ja']) expect(d.localize(key, locale), `${locale} ${page.id}`).not.toBe(key);
    }
    const params = { url: 'https://microsoft.com/devicelogin', code: 'WDJB-MJHT', minutes: '15' };
    expect(d.localize('ui.deviceCode.instruction', 'en', params)).toBe(
      'Go to https://microsoft.com/devicelogin and enter the code WDJB-MJHT. The code expires in 15 minutes.',
    );
    expect(d.localize('ui.deviceCode.instruction', undefined, params)).toBe(
      'Rufen Sie https://microsoft.com/devicelogin auf und geben Sie den Code WDJB-MJHT ein. Der Code läuft in 15 Minuten ab.',
    );
    expect(d.localize('ui.deviceCode.instruction', 'ja', params)).toContain('WDJB-MJHT');
    await d.close();
  });
});
