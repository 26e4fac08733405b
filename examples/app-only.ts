/**
 * App-only access (no user signs in): client credentials with the app's secret (or a
 * certificate), e.g. a Microsoft 365 app with the SMTP.SendAsApp / POP.AccessAsApp permission,
 * admin consent, and the service principal granted the mailbox. Get Token resolves at once with
 * `{ kind: 'none' }`; then the connection test runs.
 *
 *   MAIL_OAUTH_CLIENT_ID=… MAIL_OAUTH_CLIENT_SECRET=… MAIL_OAUTH_TENANT=contoso.onmicrosoft.com \
 *     MAIL_ACCOUNT=scanner@contoso.com node --import tsx examples/app-only.ts
 */
import { createMailOAuth, memoryStore } from '../src/index.js';
import { accountFromEnv, providerFromEnv, serverFromEnv } from './example-env.js';

if (process.env.MAIL_OAUTH_CLIENT_SECRET === undefined)
  throw new Error('set MAIL_OAUTH_CLIENT_SECRET (app-only needs a confidential client)');
const provider = providerFromEnv();
const device = await createMailOAuth({
  ...provider.options,
  store: memoryStore(),
  pages: { pages: [{ id: 'alerts', protocol: 'smtp' }] } as const,
});
const page = device.page('alerts');
const account = accountFromEnv();
await page.configure({
  ...serverFromEnv('smtp'),
  timeout: 30_000,
  authMethod: 'oauth2',
  provider: provider.id,
  account,
  senderAddress: account,
});

const prompt = await page.getToken({ flow: 'client-credentials', signal: AbortSignal.timeout(30_000) });
console.log(`Get Token: ${prompt.kind}; status ${page.tokenInfo().statusText}`);

// Whether the mail server accepts an app token for this mailbox is the tenant's decision
// (Exchange: New-ServicePrincipal + Add-MailboxPermission); the test says which step fails.
const report = await page.testConnection({ signal: AbortSignal.timeout(30_000) });
console.log(`connection test: ${report.code} — ${report.message}${report.hint === undefined ? '' : `\n${report.hint}`}`);
await device.close();
