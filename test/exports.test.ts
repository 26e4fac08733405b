import { describe, expect, it } from 'vitest';

// The main entry's run-time surface, exactly: a new value must be added here on purpose, so the
// public API cannot grow by accident (scripts/check-exports.mjs caps values and types at 70).
const MAIN_VALUES = [
  'AuthorizationError',
  'BasePage',
  'ImapPage',
  'MailOAuthError',
  'OAuthError',
  'Pop3Page',
  'SettingsError',
  'SmtpPage',
  'StoreError',
  'TokenStateError',
  'TopologyError',
  'TransportError',
  'UsageError',
  'createMailOAuth',
  'fileStore',
  'google',
  'localize',
  'localizeError',
  'memoryStore',
  'mfpPages',
  'microsoft365',
  'oidc',
  'startLoopbackListener',
];

const valueNames = (namespace: object): string[] => Object.keys(namespace).sort();

describe('public entry points', () => {
  it('the main entry exports exactly the expected values', async () => {
    expect(valueNames(await import('../src/index.js'))).toEqual([...MAIN_VALUES].sort());
  });

  it('mail-oauth/provider, mail-oauth/pop3 and mail-oauth/topology are type-only entries', async () => {
    expect(valueNames(await import('../src/provider.js'))).toEqual([]);
    expect(valueNames(await import('../src/pop3.js'))).toEqual([]);
    expect(valueNames(await import('../src/topology.js'))).toEqual([]);
  });

  it('mail-oauth/languages holds the language helpers the main entry left out', async () => {
    const languages = await import('../src/languages.js');
    expect(valueNames(languages)).toEqual(['resolveLocale', 'textKeys']);
    expect(languages.textKeys).toContain('ui.button.getToken');
    expect(languages.resolveLocale('de-CH')).toBe('de');
  });

  it('the subpath entries name their types (checked by tsc on this file)', () => {
    // Type positions only: a missing export fails `npm run typecheck`, not this run.
    type _Pop3 = [
      import('../src/pop3.js').Pop3Session,
      import('../src/pop3.js').Pop3Message,
      import('../src/pop3.js').Pop3Capabilities,
      import('../src/pop3.js').Pop3Stat,
      import('../src/pop3.js').Pop3ListEntry,
      import('../src/pop3.js').Pop3UidlEntry,
      import('../src/pop3.js').Pop3Mechanism,
      import('../src/pop3.js').Pop3Options,
    ];
    type _Provider = [import('../src/provider.js').ProviderAdapter, import('../src/provider.js').ServiceAccountKey];
    type _Topology = [
      import('../src/topology.js').PageTopology,
      import('../src/topology.js').PageFor<import('../src/index.js').MfpTopology, 'smtp.alert'>,
    ];
    const page: _Topology[1] | undefined = undefined;
    expect(page).toBeUndefined();
    expect([] as unknown as _Pop3 | _Provider).toEqual([]);
  });
});
