/**
 * Device-code sign-in from a terminal: Get Token shows a code, an address and a QR code to scan
 * with a phone; the token is then Acquired and kept in an encrypted file.
 *
 *   MAIL_OAUTH_CLIENT_ID=… MAIL_ACCOUNT=scanner@contoso.com node --import tsx examples/device-code-terminal.ts
 *
 * (see examples/example-env.ts for the other variables; MAIL_OAUTH_STORE defaults to a temp file)
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { createMailOAuth, fileStore } from '../src/index.js';
import { accountFromEnv, providerFromEnv, serverFromEnv } from './example-env.js';

const provider = providerFromEnv();
const device = await createMailOAuth({
  ...provider.options,
  // A real device keeps its key in a secure element; a fresh one makes this run self-contained.
  store: fileStore({ path: process.env.MAIL_OAUTH_STORE ?? join(tmpdir(), `mail-oauth-example-${process.pid}.jwe`), key: randomBytes(32) }),
  pages: { pages: [{ id: 'smtp', protocol: 'smtp' }] } as const,
});

const page = device.page('smtp');
const account = accountFromEnv();
await page.configure({
  ...serverFromEnv('smtp'),
  timeout: 30_000,
  authMethod: 'oauth2',
  provider: provider.id,
  account,
  senderAddress: account,
});

const signal = AbortSignal.timeout(15 * 60_000);
const prompt = await page.getToken({ flow: 'device-code', signal });
if (prompt.kind === 'device-code') {
  console.log(`Open ${prompt.verificationUri} and enter the code:\n\n  Code: ${prompt.userCode}\n`);
  console.log(await QRCode.toString(prompt.verificationUriComplete ?? prompt.verificationUri, { type: 'terminal', small: true }));
}
await page.waitForAuthorization({ signal });

const info = page.tokenInfo();
console.log(`${info.statusText}: ${info.account ?? account}`);
await device.close();
