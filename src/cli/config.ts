import { readFile } from 'node:fs/promises';
import { createMailOAuth, fileStore, google, microsoft365, oidc, type MailOAuth, type TokenStore } from '../index.js';
import { CommandLineError } from './exit.js';

/** The CLI's pages: one per protocol, each with its own token. */
export const TOPOLOGY = {
  pages: [
    { id: 'smtp', protocol: 'smtp', label: 'SMTP' },
    { id: 'pop3', protocol: 'pop3', label: 'POP3' },
    { id: 'imap', protocol: 'imap', label: 'IMAP' },
  ],
} as const;

export type PageId = (typeof TOPOLOGY)['pages'][number]['id'];
export type CliDevice = MailOAuth<typeof TOPOLOGY>;

/** Key of the CLI's own record in the store; page ids cannot contain `:`, so it never meets a scope. */
const CONFIG_KEY = 'mail-oauth-cli:config';

/** What `login` remembers besides the page settings the SDK stores itself. Kept encrypted with the tokens. */
export interface CliConfig {
  version: 1;
  provider: 'microsoft365' | 'google' | 'oidc';
  clientId: string;
  tenant?: string;
  issuer?: string;
  scopes?: string[];
  /** Stored because it sits in the encrypted store anyway; never printed. */
  clientSecret?: string;
  ca?: string;
  allowPlaintext?: boolean;
}

export interface StoreArgs {
  store?: string | undefined;
  'store-key-file'?: string | undefined;
  'passphrase-env'?: string | undefined;
}

function decodeKey(text: string, source: string): Uint8Array {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const base64 = Buffer.from(trimmed, 'base64');
  if (base64.length === 32 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return base64;
  throw new CommandLineError(`${source} must hold a 32-byte key (64 hex digits or base64)`);
}

/** Opens the file store from --store and a key that never appears on the command line. */
export async function openStore(args: StoreArgs): Promise<TokenStore> {
  const path = args.store;
  if (path === undefined || path === '') throw new CommandLineError('--store <file> is required');
  const keyFile = args['store-key-file'];
  if (keyFile !== undefined) {
    const raw = await readFile(keyFile);
    return fileStore({
      path,
      key: raw.length === 32 ? new Uint8Array(raw) : decodeKey(raw.toString('utf8'), `--store-key-file ${keyFile}`),
    });
  }
  const passphraseVar = args['passphrase-env'];
  if (passphraseVar !== undefined) {
    const passphrase = process.env[passphraseVar];
    if (passphrase === undefined || passphrase === '') throw new CommandLineError(`environment variable ${passphraseVar} is empty`);
    return fileStore({ path, passphrase });
  }
  const envKey = process.env.MAIL_OAUTH_STORE_KEY;
  if (envKey !== undefined && envKey !== '') return fileStore({ path, key: decodeKey(envKey, 'MAIL_OAUTH_STORE_KEY') });
  throw new CommandLineError('no store key: use --store-key-file <file>, --passphrase-env <VAR> or env MAIL_OAUTH_STORE_KEY');
}

export async function readConfig(store: TokenStore): Promise<CliConfig | undefined> {
  const record = (await store.get(CONFIG_KEY)) as CliConfig | undefined;
  return record?.version === 1 ? record : undefined;
}

export async function writeConfig(store: TokenStore, config: CliConfig): Promise<void> {
  await store.set(CONFIG_KEY, config);
}

/** The provider adapter a stored configuration names; its id is what the pages' `provider` setting says. */
function providerOf(config: CliConfig) {
  const secret = config.clientSecret === undefined ? {} : { clientSecret: config.clientSecret };
  switch (config.provider) {
    case 'microsoft365':
      return microsoft365({ clientId: config.clientId, tenant: config.tenant ?? 'organizations', ...secret });
    case 'google':
      return google({ clientId: config.clientId, ...secret });
    case 'oidc': {
      const scopes = config.scopes ?? [];
      return oidc({
        id: 'oidc',
        issuer: config.issuer ?? '',
        clientId: config.clientId,
        scopes: { smtp: scopes, pop3: scopes, imap: scopes },
        ...secret,
      });
    }
  }
}

/** The device the CLI drives: its pages restored from the store. */
export async function openDevice(store: TokenStore, config: CliConfig, locale: string | undefined): Promise<CliDevice> {
  return createMailOAuth({
    providers: [providerOf(config)],
    store,
    pages: TOPOLOGY,
    ...(config.ca === undefined ? {} : { ca: config.ca }),
    ...(config.allowPlaintext === true ? { allowPlaintext: true } : {}),
    ...(locale === undefined ? {} : { locale }),
  });
}

/** Default mail servers of the big providers, so that `login` needs only the account. */
export const DEFAULT_SERVERS: Readonly<
  Record<string, Readonly<Record<PageId, { server: string; port: number; security: 'tls' | 'starttls' }>>>
> = {
  microsoft365: {
    smtp: { server: 'smtp.office365.com', port: 587, security: 'starttls' },
    pop3: { server: 'outlook.office365.com', port: 995, security: 'tls' },
    imap: { server: 'outlook.office365.com', port: 993, security: 'tls' },
  },
  google: {
    smtp: { server: 'smtp.gmail.com', port: 465, security: 'tls' },
    pop3: { server: 'pop.gmail.com', port: 995, security: 'tls' },
    imap: { server: 'imap.gmail.com', port: 993, security: 'tls' },
  },
};

/** Default ports when only a server is given. */
export const DEFAULT_PORTS: Readonly<Record<PageId, { port: number; security: 'tls' | 'starttls' }>> = {
  smtp: { port: 587, security: 'starttls' },
  pop3: { port: 995, security: 'tls' },
  imap: { port: 993, security: 'tls' },
};
