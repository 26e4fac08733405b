/**
 * What the runnable examples share: the provider, the trusted CA and the mail servers, from
 * environment variables, so that one example runs against Microsoft 365, Google or the local
 * test peers unchanged.
 *
 *   MAIL_OAUTH_PROVIDER   microsoft365 (default), google or oidc
 *   MAIL_OAUTH_CLIENT_ID  the app registration's client id
 *   MAIL_OAUTH_TENANT     Microsoft 365 tenant (default organizations)
 *   MAIL_OAUTH_ISSUER, MAIL_OAUTH_SCOPES   oidc: the issuer and its mail scopes
 *   MAIL_OAUTH_CLIENT_SECRET              a confidential client's secret (app-only)
 *   MAIL_OAUTH_CA         a PEM file of an extra CA to trust (the test peers use one)
 *   MAIL_ACCOUNT          the mailbox; SMTP_SERVER/SMTP_PORT/SMTP_SECURITY, POP3_…, IMAP_… its servers
 */
import { readFileSync } from 'node:fs';
import { google, microsoft365, oidc, type MailOAuthOptions, type Protocol } from '../src/index.js';

const env = process.env;

function required(name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`set ${name} (see examples/example-env.ts)`);
  return value;
}

/** The provider id a page's `provider` setting names, and the device options for it. */
export function providerFromEnv(): { id: string; options: Pick<MailOAuthOptions, 'providers'> & { ca?: string } } {
  const kind = env.MAIL_OAUTH_PROVIDER ?? 'microsoft365';
  const clientId = required('MAIL_OAUTH_CLIENT_ID');
  const secret = env.MAIL_OAUTH_CLIENT_SECRET === undefined ? {} : { clientSecret: env.MAIL_OAUTH_CLIENT_SECRET };
  const ca = env.MAIL_OAUTH_CA === undefined ? {} : { ca: readFileSync(env.MAIL_OAUTH_CA, 'utf8') };
  if (kind === 'google') return { id: 'google', options: { providers: [google({ clientId, ...secret })], ...ca } };
  if (kind === 'oidc') {
    const scopes = required('MAIL_OAUTH_SCOPES').split(/[\s,]+/);
    return {
      id: 'oidc',
      options: {
        providers: [
          oidc({
            id: 'oidc',
            issuer: required('MAIL_OAUTH_ISSUER'),
            clientId,
            scopes: { smtp: scopes, pop3: scopes, imap: scopes },
            ...secret,
          }),
        ],
        ...ca,
      },
    };
  }
  return {
    id: 'microsoft365',
    options: { providers: [microsoft365({ clientId, tenant: env.MAIL_OAUTH_TENANT ?? 'organizations', ...secret })], ...ca },
  };
}

const DEFAULTS: Record<Protocol, { server: string; port: number; security: 'tls' | 'starttls' }> = {
  smtp: { server: 'smtp.office365.com', port: 587, security: 'starttls' },
  pop3: { server: 'outlook.office365.com', port: 995, security: 'tls' },
  imap: { server: 'outlook.office365.com', port: 993, security: 'tls' },
};

/** A page's server settings from `<PROTOCOL>_SERVER`, `_PORT`, `_SECURITY` (Microsoft 365's by default). */
export function serverFromEnv(protocol: Protocol): { server: string; port: number; security: 'tls' | 'starttls' | 'none' } {
  const prefix = protocol.toUpperCase();
  const fallback = DEFAULTS[protocol];
  const security = env[`${prefix}_SECURITY`] ?? fallback.security;
  if (security !== 'tls' && security !== 'starttls' && security !== 'none')
    throw new Error(`${prefix}_SECURITY must be tls, starttls or none`);
  return { server: env[`${prefix}_SERVER`] ?? fallback.server, port: Number(env[`${prefix}_PORT`] ?? fallback.port), security };
}

/** The mailbox account. */
export function accountFromEnv(): string {
  return required('MAIL_ACCOUNT');
}
