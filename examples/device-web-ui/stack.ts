/**
 * The whole demo in one process: with no cloud account, a local authorization server, an SMTP
 * server and a POP3 server (Dovecot when installed) on 127.0.0.1, the encrypted file token store
 * in a temporary folder, the SDK, and the device web UI. Environment variables (see
 * docs/web-ui.md) switch to real Microsoft 365 or Google and real mail servers.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMailOAuth,
  fileStore,
  google,
  microsoft365,
  oidc,
  type MailOAuth,
  type PageSettingsInput,
  type TokenStore,
} from '../../src/index.js';
import { DEMO_CLIENT_ID, DEMO_MAIL_SCOPE, startDemoIssuer, type DemoIssuer } from './peers/issuer.js';
import { findDovecot, startDovecotPop3 } from './peers/dovecot.js';
import type { DemoMailbox } from './peers/mailbox.js';
import { createDemoPki } from './peers/pki.js';
import { startBuiltinPop3 } from './peers/pop3.js';
import { startDemoSmtp, type DemoSmtp } from './peers/smtp.js';
import { hashPassword } from './server/auth.js';
import { startWebUi, type WebUi } from './server/app.js';

/** The demo mailbox user (any password is accepted at the demo provider's login page). */
export const DEMO_ACCOUNT = 'scanner@example.test';
/** The id of the local demo provider on the pages. */
export const DEMO_PROVIDER_ID = 'demo';

/** Options of {@link startDemo}; every field defaults from the environment ({@link DemoEnv}). */
export interface DemoOptions {
  /** Environment to read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Admin password. Default `DEMO_ADMIN_PASSWORD`, else a random one. */
  adminPassword?: string;
  /** Where the POP3 side comes from: `auto` (Dovecot when installed), `dovecot` or `builtin`. Default `DEMO_POP3`, else `auto`. */
  pop3?: 'auto' | 'dovecot' | 'builtin';
}

/** A running demo. */
export interface Demo {
  /** The web UI's address. */
  url: string;
  /** The admin password (generated unless given). */
  adminPassword: string;
  /** The device, as the web UI uses it. */
  device: MailOAuth;
  /** The token store the device writes (for the tests' "no token on any page" check). */
  store: TokenStore;
  /** The local authorization server, unless a real provider was chosen. */
  issuer?: DemoIssuer;
  /** The local SMTP server, unless a real provider was chosen. */
  smtp?: DemoSmtp;
  /** The local POP3 side, unless a real provider was chosen. */
  mailbox?: DemoMailbox;
  /** Stops everything and removes the temporary folder. */
  close(): Promise<void>;
}

function portOf(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a port: ${value}`);
  return port;
}

/** Starts the demo. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const env = options.env ?? process.env;
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const stop of closers.reverse()) await stop().catch(() => undefined);
  };
  try {
    const storeDir = mkdtempSync(join(tmpdir(), 'mail-oauth-demo-'));
    closers.push(async () => rmSync(storeDir, { recursive: true, force: true }));
    const store = fileStore({ path: join(storeDir, 'oauth.jwe'), key: randomBytes(32) });
    const real = env['DEMO_PROVIDER'];
    const clientId = env['DEMO_CLIENT_ID'] ?? '';
    if (real !== undefined && real !== '' && clientId === '') throw new Error('DEMO_PROVIDER needs DEMO_CLIENT_ID');

    let issuer: DemoIssuer | undefined;
    let smtp: DemoSmtp | undefined;
    let mailbox: DemoMailbox | undefined;
    let ca: string | undefined;
    let providers: { id: string; name?: string }[];
    let device: MailOAuth;
    const defaults: { smtp: PageSettingsInput; pop3: PageSettingsInput } = {
      smtp: { timeout: 30_000, senderName: 'Scanner 3F' },
      pop3: { timeout: 30_000, checkInterval: 300_000 },
    };

    if (real === 'microsoft365' || real === 'google') {
      const provider =
        real === 'microsoft365'
          ? microsoft365({ clientId, tenant: env['DEMO_TENANT'] || 'organizations' })
          : google({ clientId, ...(env['DEMO_CLIENT_SECRET'] ? { clientSecret: env['DEMO_CLIENT_SECRET'] } : {}) });
      providers = [{ id: real }];
      device = await createMailOAuth({ providers: [provider], store, locale: env['DEMO_LOCALE'] ?? 'en' });
      Object.assign(
        defaults.smtp,
        real === 'microsoft365'
          ? { server: 'smtp.office365.com', port: 587, security: 'starttls' }
          : { server: 'smtp.gmail.com', port: 465, security: 'tls' },
      );
      Object.assign(defaults.pop3, {
        server: real === 'microsoft365' ? 'outlook.office365.com' : 'pop.gmail.com',
        port: 995,
        security: 'tls',
      });
    } else if (real === undefined || real === '') {
      const pki = createDemoPki();
      ca = pki.ca;
      issuer = await startDemoIssuer({ accounts: [DEMO_ACCOUNT], callbackPath: '/oauth/callback' });
      closers.push(() => (issuer as DemoIssuer).close());
      const choice = options.pop3 ?? (env['DEMO_POP3'] as DemoOptions['pop3']) ?? 'auto';
      const dovecot = choice === 'builtin' ? undefined : findDovecot();
      if (choice === 'dovecot' && dovecot === undefined) throw new Error('DEMO_POP3=dovecot, but Dovecot is not installed');
      mailbox =
        dovecot === undefined
          ? await startBuiltinPop3(pki, issuer.verifyAccessToken)
          : await startDovecotPop3(dovecot, pki, issuer.introspectionUrl);
      closers.push(() => (mailbox as DemoMailbox).close());
      smtp = await startDemoSmtp(pki, issuer.verifyAccessToken, mailbox);
      closers.push(() => (smtp as DemoSmtp).close());
      providers = [{ id: DEMO_PROVIDER_ID, name: 'Demo provider (local)' }];
      const scopes = { smtp: DEMO_MAIL_SCOPE, pop3: DEMO_MAIL_SCOPE, imap: DEMO_MAIL_SCOPE };
      device = await createMailOAuth({
        providers: [oidc({ id: DEMO_PROVIDER_ID, issuer: issuer.issuer, clientId: DEMO_CLIENT_ID, scopes })],
        store,
        ca,
        locale: env['DEMO_LOCALE'] ?? 'en',
      });
      Object.assign(defaults.smtp, { server: '127.0.0.1', port: smtp.port, security: 'starttls', senderAddress: DEMO_ACCOUNT });
      Object.assign(defaults.pop3, { server: '127.0.0.1', port: mailbox.pop3sPort, security: 'tls' });
    } else {
      throw new Error(`DEMO_PROVIDER must be microsoft365 or google, not ${real}`);
    }
    closers.push(() => device.close());

    if (env['DEMO_SMTP_SERVER'])
      Object.assign(defaults.smtp, { server: env['DEMO_SMTP_SERVER'], port: portOf(env['DEMO_SMTP_PORT'], 587) });
    if (env['DEMO_POP3_SERVER'])
      Object.assign(defaults.pop3, { server: env['DEMO_POP3_SERVER'], port: portOf(env['DEMO_POP3_PORT'], 995) });
    // The server fields come pre-filled, as on a device from the factory; the OAuth choices are the administrator's.
    for (const page of device.pages()) {
      if (page.settings.server === undefined) await page.configure(page.protocol === 'smtp' ? defaults.smtp : defaults.pop3);
    }

    const adminPassword = options.adminPassword ?? env['DEMO_ADMIN_PASSWORD'] ?? randomBytes(12).toString('base64url');
    const webUiOptions: Parameters<typeof startWebUi>[0] = {
      device,
      adminPassword: await hashPassword(adminPassword),
      providers,
      host: env['DEMO_HOST'] || '127.0.0.1',
      port: portOf(env['DEMO_PORT'], 0),
    };
    if (env['DEMO_REDIRECT_URI']) webUiOptions.redirectUri = env['DEMO_REDIRECT_URI'];
    const ui: WebUi = await startWebUi(webUiOptions);
    closers.push(() => ui.close());

    const demo: Demo = { url: ui.url, adminPassword, device, store, close };
    if (issuer !== undefined) demo.issuer = issuer;
    if (smtp !== undefined) demo.smtp = smtp;
    if (mailbox !== undefined) demo.mailbox = mailbox;
    return demo;
  } catch (err) {
    await close();
    throw err;
  }
}
