/**
 * Quick start: the manual's settings pages, configured for Microsoft 365, with statuses in three
 * languages, typed by protocol. Runs offline: it stops before Get Token, which needs the provider.
 *
 *   npm run example
 */
import { createMailOAuth, localize, memoryStore, mfpPages, microsoft365, SettingsError } from '../src/index.js';

const device = await createMailOAuth({
  providers: [microsoft365({ clientId: '00000000-0000-0000-0000-000000000000', tenant: 'organizations' })],
  store: memoryStore(),
  pages: mfpPages(),
  locale: 'de',
});

const services = device.page('smtp.services'); // SmtpPage: sendMail(); POP3 pages have mailbox()
await services.configure({
  server: 'smtp.office365.com',
  port: 587,
  security: 'starttls',
  timeout: 30_000,
  senderName: 'Scanner 3F',
  senderAddress: 'scanner@contoso.com',
  authMethod: 'oauth2',
  provider: 'microsoft365',
  account: 'scanner@contoso.com',
});

// Linked pages share settings and token; the e-mail alert page has its own.
for (const page of device.pages()) {
  const info = page.tokenInfo();
  console.log(
    `${page.id.padEnd(18)} scope=${page.scopeId.padEnd(16)} ${page.settings.server ?? '-'}  ${info.statusText} / ${localize(info.status, 'ja')}`,
  );
}

// Bad input is a coded error and leaves the settings as they were.
try {
  await device.page('smtp.quick').configure({ account: 'scanner@contoso.com\r\nRCPT TO:<x@evil.example>' });
} catch (err) {
  if (!(err instanceof SettingsError)) throw err;
  console.log(`refused: ${err.code} — ${localize(err.code, device.locale)}`);
}
console.log(`manual message (en): ${localize('ERR_TOKEN_REFRESH_FAILED', 'en')}`);

// The connection test of a page with no token: a coded report in the device's language, no network.
const report = await services.testConnection({ signal: AbortSignal.timeout(5_000) });
console.log(`connection test: ${report.code} — ${report.message}`);

// A POP page's mailbox poller belongs to the device: close() stops it.
const poller = await device
  .page('pop.emailStatus')
  .mailbox()
  .poller({ onMessages: (messages) => console.log(`${messages.length} new`) });
await device.close();
console.log(`poller running after close(): ${poller.running}`);
