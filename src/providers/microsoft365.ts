/**
 * Microsoft 365 / Entra ID (v2 endpoints) in the global, US Government (GCC High, DoD) and China
 * clouds. Microsoft has no revocation endpoint: deleting a token is local only (the refresh
 * token stays valid at Microsoft until it expires or an administrator revokes the sessions).
 * @packageDocumentation
 */
import { SettingsError } from '../errors.js';
import type { ClientCertificate } from '../oauth/client-auth.js';
import type { Flow } from '../oauth/types.js';
import { remoteJwks } from '../oauth/id-token.js';
import type { Protocol } from '../settings/types.js';
import { aadstsHint } from './aadsts.js';
import { clientAuthOf, createProviderAdapter, requireOption } from './adapter.js';
import type { ProviderHttpOptions } from './adapter.js';
import type { MailServer, ProviderAdapter } from './types.js';

/**
 * A Microsoft cloud. `usgov` is GCC High, `usgov-dod` is DoD, `china` is operated by 21Vianet.
 * @category Providers
 */
export type MicrosoftCloud = 'global' | 'usgov' | 'usgov-dod' | 'china';

/**
 * Options of {@link microsoft365}.
 * @category Providers
 */
export interface Microsoft365Options {
  /** Application (client) id of the app registration. */
  clientId: string;
  /** `organizations`, `common`, `consumers`, a tenant GUID or a verified domain. Default `organizations`. */
  tenant?: string;
  /** The cloud. Default `global`. */
  cloud?: MicrosoftCloud;
  /** A client secret (confidential client; also enables the client-credentials flow). */
  clientSecret?: string;
  /** A certificate credential (confidential client; also enables the client-credentials flow). */
  certificate?: ClientCertificate;
  /** HTTP tuning. */
  http?: ProviderHttpOptions;
}

interface CloudFacts {
  login: string;
  resource: string;
  appResource: string;
  smtp: string;
  mailbox: string;
}

const CLOUDS: Readonly<Record<MicrosoftCloud, CloudFacts>> = {
  global: {
    login: 'login.microsoftonline.com',
    resource: 'https://outlook.office.com',
    appResource: 'https://outlook.office365.com',
    smtp: 'smtp.office365.com',
    mailbox: 'outlook.office365.com',
  },
  usgov: {
    login: 'login.microsoftonline.us',
    resource: 'https://outlook.office365.us',
    appResource: 'https://outlook.office365.us',
    smtp: 'smtp.office365.us',
    mailbox: 'outlook.office365.us',
  },
  'usgov-dod': {
    login: 'login.microsoftonline.us',
    resource: 'https://outlook-dod.office365.us',
    appResource: 'https://outlook-dod.office365.us',
    smtp: 'outlook-dod.office365.us',
    mailbox: 'outlook-dod.office365.us',
  },
  china: {
    login: 'login.partner.microsoftonline.cn',
    resource: 'https://partner.outlook.cn',
    appResource: 'https://partner.outlook.cn',
    smtp: 'smtp.partner.outlook.cn',
    mailbox: 'partner.outlook.cn',
  },
};

const MAIL_SCOPE: Readonly<Record<Protocol, string>> = { smtp: 'SMTP.Send', pop3: 'POP.AccessAsUser.All', imap: 'IMAP.AccessAsUser.All' };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The Microsoft 365 provider adapter (id `microsoft365`). Flows: device code (default),
 * authorization code + PKCE, and client credentials when a secret or certificate is given.
 *
 * @example
 * ```ts
 * const device = await createMailOAuth({
 *   providers: [microsoft365({ clientId: '00000000-0000-0000-0000-000000000000', tenant: 'contoso.onmicrosoft.com' })],
 *   store: memoryStore(), pages: mfpPages(),
 * });
 * ```
 * @category Providers
 */
export function microsoft365(options: Microsoft365Options): ProviderAdapter {
  const clientId = requireOption(options.clientId, 'clientId');
  const tenant = options.tenant ?? 'organizations';
  if (!/^[a-z0-9.-]+$/i.test(tenant)) {
    throw new SettingsError('ERR_INVALID_OPTION', 'The tenant must be organizations, common, consumers, a GUID or a domain', {
      params: { option: 'tenant' },
    });
  }
  const cloud = options.cloud ?? 'global';
  const facts = CLOUDS[cloud];
  if (facts === undefined) {
    throw new SettingsError('ERR_INVALID_OPTION', 'Unknown Microsoft cloud', { params: { option: 'cloud' } });
  }
  const confidential = options.clientSecret !== undefined || options.certificate !== undefined;
  const base = `https://${facts.login}/${tenant}`;
  const endpoints = {
    token: `${base}/oauth2/v2.0/token`,
    authorization: `${base}/oauth2/v2.0/authorize`,
    device: `${base}/oauth2/v2.0/devicecode`,
    issuer: `https://${facts.login}/{tenantid}/v2.0`,
  };
  const flows: Flow[] = ['device-code', 'authorization-code'];
  if (confidential) flows.push('client-credentials');
  const servers: Readonly<Record<Protocol, MailServer>> = {
    smtp: { host: facts.smtp, port: 587, security: 'starttls' },
    pop3: { host: facts.mailbox, port: 995, security: 'tls' },
    imap: { host: facts.mailbox, port: 993, security: 'tls' },
  };
  return createProviderAdapter({
    id: 'microsoft365',
    clientId,
    client: clientAuthOf(clientId, options, 'client_secret_post'),
    flows,
    defaultFlow: 'device-code',
    endpoints: async () => endpoints,
    jwks: remoteJwks(`${base}/discovery/v2.0/keys`),
    mailScopes: (protocol) => [`${facts.resource}/${MAIL_SCOPE[protocol]}`],
    identityScopes: ['openid', 'email', 'profile', 'offline_access'],
    appScope: () => `${facts.appResource}/.default`,
    refreshWithScope: true,
    tenantId: GUID.test(tenant) ? tenant : undefined,
    accountClaims: 'directory',
    hint: aadstsHint,
    http: options.http,
    mailServer: (protocol) => servers[protocol],
  });
}
