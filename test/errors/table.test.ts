import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AuthorizationError,
  MailOAuthError,
  OAuthError,
  SettingsError,
  StoreError,
  TokenStateError,
  TopologyError,
  TransportError,
  UsageError,
  createError,
  errorFromRecord,
  errorTable,
  kindsOf,
  type ErrorCode,
  type ErrorKind,
} from '../../src/errors.js';
import { catalogs } from '../../src/messages/catalog.js';
import { locales } from '../../src/messages/localize.js';

const codes = Object.keys(errorTable) as ErrorCode[];
const classes = {
  MailOAuthError,
  UsageError,
  SettingsError,
  TopologyError,
  TokenStateError,
  AuthorizationError,
  OAuthError,
  TransportError,
  StoreError,
};
const KINDS: readonly ErrorKind[] = ['definite', 'configuration', 'transient', 'protocol', 'usage'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'cli' ? [] : sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}
// The CLI only reads codes; errors.ts and the catalogs name every code by construction.
const files = sources('src').filter((f) => !/src[\\/](errors|messages[\\/]catalog)\.ts$/.test(f));
const ownThrows = [...readFileSync('src/errors.ts', 'utf8').matchAll(/new \w+Error\(\s*('ERR_\w+')/g)].map((m) => m[1]);
const text = [...files.map((f) => readFileSync(f, 'utf8')), ...ownThrows].join('\n');

describe('the error table', () => {
  it('every code is thrown somewhere in src/', () => {
    const never = codes.filter((code) => !text.includes(`'${code}'`));
    expect(never).toEqual([]);
  });

  it('every literal throw site uses the class and a kind the table gives its code', () => {
    const wrong: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/new (\w+Error)\(\s*'(ERR_\w+)'((?:[^;](?!new \w+Error\())*)/g)) {
        const [, cls, code, rest] = m as unknown as [string, string, ErrorCode, string];
        if (!(code in errorTable)) wrong.push(`${f}: unknown ${code}`);
        else if (errorTable[code].class !== cls) wrong.push(`${f}: ${code} under ${cls}`);
        const kind = /kind: '(\w+)'/.exec(rest ?? '')?.[1] as ErrorKind | undefined;
        if (kind !== undefined && code in errorTable && !kindsOf(code).includes(kind)) wrong.push(`${f}: ${code} as ${kind}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('every code is translated in every built-in locale', () => {
    for (const locale of locales) {
      const catalog = catalogs[locale] as Readonly<Record<string, string>>;
      const missing = codes.filter((code) => typeof catalog[code] !== 'string' || catalog[code].length === 0);
      expect(missing, locale).toEqual([]);
    }
  });

  it('the catalogs hold no code the table does not know', () => {
    for (const locale of locales) {
      const stale = Object.keys(catalogs[locale]).filter((key) => key.startsWith('ERR_') && !(key in errorTable));
      expect(stale, locale).toEqual([]);
    }
  });

  it('dead codes are gone', () => {
    for (const dead of ['ERR_TIMEOUT', 'ERR_TOKEN_EXPIRED']) expect(dead in errorTable, dead).toBe(false);
  });

  it.each(codes)('%s: its table class works, another class or kind is a TypeError', (code) => {
    const Class = classes[errorTable[code].class];
    const made = createError(code, 'message');
    expect(made).toBeInstanceOf(Class);
    expect(made.constructor).toBe(Class);
    expect(made.kind).toBe(kindsOf(code)[0]);
    for (const kind of kindsOf(code)) expect(createError(code, 'message', { kind }).kind).toBe(kind);
    for (const kind of KINDS.filter((k) => !kindsOf(code).includes(k))) {
      expect(() => createError(code, 'message', { kind }), kind).toThrow(TypeError);
    }
    const other = Class === SettingsError ? StoreError : SettingsError;
    expect(() => new other(code, 'message')).toThrow(TypeError);
    if (Class !== MailOAuthError) expect(() => new MailOAuthError(code, 'message')).toThrow(TypeError);
  });

  it('caller mistakes have their own class', () => {
    for (const code of ['ERR_ABORTED', 'ERR_DEVICE_CLOSED', 'ERR_SASL_INVALID_INPUT'] as const) {
      expect(createError(code, 'm')).toBeInstanceOf(UsageError);
      expect(createError(code, 'm').kind).toBe('usage');
    }
  });

  it('a stored record of a code that changed class or kind still loads, with the table class', () => {
    const moved = errorFromRecord({ name: 'TokenStateError', code: 'ERR_DEVICE_CLOSED', kind: 'transient', message: 'closed' });
    expect(moved).toBeInstanceOf(UsageError);
    expect(moved.kind).toBe('usage');
    const gone = errorFromRecord({ name: 'MailOAuthError', code: 'ERR_TIMEOUT' as ErrorCode, kind: 'transient', message: 'timed out' });
    expect(gone).toMatchObject({ code: 'ERR_INTERNAL', kind: 'transient', params: { reason: 'ERR_TIMEOUT' } });
    const oauth = errorFromRecord({
      name: 'OAuthError',
      code: 'ERR_OAUTH',
      kind: 'definite',
      message: 'm',
      params: { error: 'invalid_grant' },
    });
    expect(oauth).toMatchObject({ kind: 'definite', error: 'invalid_grant' });
  });
});
