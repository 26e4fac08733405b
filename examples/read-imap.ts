/**
 * Read an IMAP mailbox with the page's token: list the newest messages of INBOX (imapflow).
 *
 *   MAIL_OAUTH_CLIENT_ID=… MAIL_ACCOUNT=scanner@contoso.com node --import tsx examples/read-imap.ts
 */
import { createMailOAuth, memoryStore } from '../src/index.js';
import { accountFromEnv, providerFromEnv, serverFromEnv } from './example-env.js';

const provider = providerFromEnv();
const device = await createMailOAuth({
  ...provider.options,
  store: memoryStore(),
  pages: { pages: [{ id: 'inbox', protocol: 'imap' }] } as const,
});
const page = device.page('inbox');
await page.configure({ ...serverFromEnv('imap'), timeout: 30_000, authMethod: 'oauth2', provider: provider.id, account: accountFromEnv() });

const prompt = await page.getToken({ flow: 'device-code' });
if (prompt.kind === 'device-code') console.log(`Open ${prompt.verificationUri} and enter the code:\n  Code: ${prompt.userCode}`);
await page.waitForAuthorization({ signal: AbortSignal.timeout(15 * 60_000) });

const imap = await page.imap({ signal: AbortSignal.timeout(30_000) });
try {
  const mailbox = await imap.mailboxOpen('INBOX', { readOnly: true });
  console.log(`INBOX: ${mailbox.exists} message(s)`);
  if (mailbox.exists > 0) {
    for await (const message of imap.fetch(`${Math.max(1, mailbox.exists - 9)}:*`, { envelope: true, size: true })) {
      console.log(`${message.uid}  ${message.envelope?.subject ?? '(no subject)'}  ${message.size ?? 0} bytes`);
    }
  }
} finally {
  await imap.logout();
}
await device.close();
