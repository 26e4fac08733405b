/**
 * Poll a POP3 mailbox on the page's check interval (E-mail Print, Internet Fax): the first check
 * runs at once, then every `checkInterval`; Ctrl-C (or EXAMPLE_ONCE=1, after the first messages)
 * stops it through `device.close()`.
 *
 *   MAIL_OAUTH_CLIENT_ID=… MAIL_ACCOUNT=printer@contoso.com node --import tsx examples/pop3-poller.ts
 */
import { createMailOAuth, memoryStore } from '../src/index.js';
import { accountFromEnv, providerFromEnv, serverFromEnv } from './example-env.js';

const provider = providerFromEnv();
const device = await createMailOAuth({
  ...provider.options,
  store: memoryStore(),
  pages: { pages: [{ id: 'email-print', protocol: 'pop3' }] } as const,
});
const pop = device.page('email-print');
await pop.configure({
  ...serverFromEnv('pop3'),
  timeout: 30_000,
  checkInterval: 5 * 60_000,
  authMethod: 'oauth2',
  provider: provider.id,
  account: accountFromEnv(),
});

const prompt = await pop.getToken({ flow: 'device-code' });
if (prompt.kind === 'device-code') console.log(`Open ${prompt.verificationUri} and enter the code:\n  Code: ${prompt.userCode}`);
await pop.waitForAuthorization({ signal: AbortSignal.timeout(15 * 60_000) });

const once = process.env.EXAMPLE_ONCE === '1';
const poller = await pop.mailbox().poller({
  // A print job is deleted once handed over; keep it on the server while trying this out.
  deleteAfterFetch: false,
  onMessages: async (messages) => {
    for (const message of messages) {
      const subject = /^Subject: (.*)$/im.exec(message.content.toString('latin1'))?.[1] ?? '(no subject)';
      console.log(`new message ${message.uid ?? message.id}: ${subject} (${message.content.length} bytes)`);
    }
    if (once) void device.close();
  },
  onError: (error) => {
    console.error(`check failed: ${error.code} — ${device.localize(error.code)}`);
    if (once) process.exitCode = 1;
    if (once) void device.close();
  },
});
poller.start();
console.log(`checking every ${(pop.settings.checkInterval ?? 0) / 1000} s; Ctrl-C stops`);
process.once('SIGINT', () => void device.close());
