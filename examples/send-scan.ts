/**
 * Send a scan: sign in once (device code), then send a PDF through the SMTP page, with progress.
 *
 *   MAIL_OAUTH_CLIENT_ID=… MAIL_ACCOUNT=scanner@contoso.com MAIL_TO=office@contoso.com \
 *     node --import tsx examples/send-scan.ts [file.pdf]
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createMailOAuth, memoryStore } from '../src/index.js';
import { accountFromEnv, providerFromEnv, serverFromEnv } from './example-env.js';

const provider = providerFromEnv();
const device = await createMailOAuth({
  ...provider.options,
  store: memoryStore(),
  pages: { pages: [{ id: 'scan-to-mail', protocol: 'smtp' }] } as const,
});
const smtp = device.page('scan-to-mail');
const account = accountFromEnv();
await smtp.configure({
  ...serverFromEnv('smtp'),
  timeout: 30_000,
  authMethod: 'oauth2',
  provider: provider.id,
  account,
  senderName: 'Scanner 3F',
  senderAddress: account,
});

const prompt = await smtp.getToken({ flow: 'device-code' });
if (prompt.kind === 'device-code') console.log(`Open ${prompt.verificationUri} and enter the code:\n  Code: ${prompt.userCode}`);
await smtp.waitForAuthorization({ signal: AbortSignal.timeout(15 * 60_000) });

// A tiny PDF stands in for the scanner's output when no file is given.
const file = process.argv[2];
const pdf = file === undefined ? Buffer.from('%PDF-1.4\n% mail-oauth example scan\n%%EOF\n') : await readFile(file);
const result = await smtp.sendMail(
  {
    to: process.env.MAIL_TO ?? account,
    subject: 'Scan from Scanner 3F',
    text: 'The scanned document is attached.',
    attachments: [{ filename: file === undefined ? 'scan-0001.pdf' : basename(file), content: pdf, contentType: 'application/pdf' }],
  },
  { signal: AbortSignal.timeout(120_000), onProgress: ({ sentBytes }) => process.stderr.write(`\r${sentBytes} bytes sent`) },
);
console.log(`\nsent: ${result.response}`);
await device.close();
