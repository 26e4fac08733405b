/**
 * Every runnable example in examples/ runs as a user would start it (`node --import tsx`), with
 * environment variables pointing at the local peers; the test plays the user who signs in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dovecotStatus } from '../peers/dovecot.js';
import { completeDeviceFlow } from '../peers/oidc-user.js';
import { extractAttachment } from '../transports/mime.js';
import { startLocalPeers, USER, type LocalPeers } from '../cli/peers.js';
import { runScript, type RunResult } from '../cli/run.js';

let peers: LocalPeers;

beforeAll(async () => {
  peers = await startLocalPeers();
}, 30_000);
afterAll(async () => {
  await peers?.stop();
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  const info = peers.info;
  return {
    MAIL_OAUTH_PROVIDER: 'oidc',
    MAIL_OAUTH_ISSUER: info.issuer,
    MAIL_OAUTH_SCOPES: 'mail',
    MAIL_OAUTH_CLIENT_ID: info.publicClient,
    MAIL_OAUTH_CA: info.caPath,
    MAIL_ACCOUNT: USER,
    SMTP_SERVER: '127.0.0.1',
    SMTP_PORT: String(info.smtpPort),
    SMTP_SECURITY: 'starttls',
    POP3_SERVER: '127.0.0.1',
    POP3_PORT: String(info.pop3Port ?? 0),
    POP3_SECURITY: 'tls',
    IMAP_SERVER: '127.0.0.1',
    IMAP_PORT: String(info.imapPort ?? 0),
    IMAP_SECURITY: 'tls',
    ...extra,
  };
}

/** Runs an example and enters the code it prints, as the user at the provider. */
async function runWithSignIn(script: string, extra: Record<string, string> = {}, args: string[] = []): Promise<RunResult> {
  let signedIn: Promise<void> | undefined;
  const result = await runScript(script, args, {
    env: env(extra),
    onStdout: (text) => {
      const code = /Code: (\S+)/.exec(text)?.[1];
      if (code !== undefined && signedIn === undefined) signedIn = completeDeviceFlow(peers.oidc.issuer, code, USER);
    },
  });
  await signedIn;
  expect(result.code, result.stderr + result.stdout).toBe(0);
  return result;
}

describe('examples against the local peers', () => {
  it('device-code-terminal.ts: code, address and QR code, then Acquired', async () => {
    const result = await runWithSignIn('examples/device-code-terminal.ts');
    expect(result.stdout).toContain(`${peers.oidc.issuer}/device`);
    // A QR finder pattern, as qrcode's terminal renderer draws it.
    expect(result.stdout).toContain('█ ▄▄▄ █');
    expect(result.stdout).toContain(`Acquired: ${USER}`);
  }, 60_000);

  it('send-scan.ts: the PDF arrives with its name', async () => {
    const arrived = peers.smtp.nextMail();
    const result = await runWithSignIn('examples/send-scan.ts', { MAIL_TO: 'office@example.test' });
    const mail = await arrived;
    expect(mail.to).toEqual(['office@example.test']);
    expect(extractAttachment(mail.raw, 'scan-0001.pdf').toString()).toContain('%PDF-1.4');
    expect(result.stdout).toMatch(/sent: 250/);
  }, 60_000);

  it.runIf(dovecotStatus.available)(
    'pop3-poller.ts: the first check at once finds the delivered message',
    async () => {
      await peers.dovecot?.deliver(
        USER,
        Buffer.from(`From: office@example.test\r\nTo: ${USER}\r\nSubject: Print job 17\r\n\r\nPlease print.\r\n`),
      );
      const result = await runWithSignIn('examples/pop3-poller.ts', { EXAMPLE_ONCE: '1' });
      expect(result.stdout).toContain('checking every 300 s');
      expect(result.stdout).toMatch(/new message \S+: Print job 17/);
    },
    60_000,
  );

  it.runIf(dovecotStatus.available)(
    'read-imap.ts: lists INBOX',
    async () => {
      await peers.dovecot?.deliver(
        USER,
        Buffer.from(`From: office@example.test\r\nTo: ${USER}\r\nSubject: Read me over IMAP\r\n\r\nHello.\r\n`),
      );
      const result = await runWithSignIn('examples/read-imap.ts');
      expect(result.stdout).toMatch(/INBOX: \d+ message\(s\)/);
      expect(result.stdout).toContain('Read me over IMAP');
    },
    60_000,
  );

  it('app-only.ts: client credentials need no sign-in; the connection test reports, without the secret', async () => {
    const result = await runScript('examples/app-only.ts', [], {
      env: env({ MAIL_OAUTH_CLIENT_ID: peers.info.confidentialClient, MAIL_OAUTH_CLIENT_SECRET: peers.info.confidentialSecret }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Get Token: none; status Acquired');
    // The local SMTP peer accepts only tokens naming a mailbox user, as Exchange does without Add-MailboxPermission.
    expect(result.stdout).toMatch(/connection test: (OK|ERR_AUTH_REJECTED)/);
    expect(result.stdout + result.stderr).not.toContain(peers.info.confidentialSecret);
  }, 60_000);
});
