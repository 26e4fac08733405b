/**
 * The device facade with password pages on 127.0.0.1: SMTP pages on `plain`, `login` and `none`
 * send through smtp-server; a POP page on `login` (USER/PASS after STLS) and one on `plain` (AUTH
 * PLAIN over POP3S) fetch from Dovecot's passwd-file users through the POP3 pages' `mailbox()`; and
 * `page.testConnection()` runs the real test and reports a refused password in the device's
 * language without talking about tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailOAuth, localize, memoryStore, type MailOAuth, type MfpTopology } from '../../src/index.js';
import type { Pop3Message } from '../../src/pop3.js';
import { testPki } from '../peers/ca.js';
import { dovecotStatus, startDovecot, type DovecotPeer } from '../peers/dovecot.js';
import { startSmtpPeer, type SmtpPeer } from '../peers/smtp-server.js';

const USER = 'frontdesk@example.test';
const PASSWORD = 'pop-password-1234';

it.runIf(!dovecotStatus.available && dovecotStatus.required)('Dovecot is installed (required with CI=true)', () => {
  throw new Error(dovecotStatus.message);
});

describe.skipIf(!dovecotStatus.available)('device facade with passwords: configure → pop3 fetch/connect/poller → testConnection', () => {
  const pki = testPki();
  let dovecot: DovecotPeer;
  let smtp: SmtpPeer;
  let relay: SmtpPeer;
  let device: MailOAuth<MfpTopology>;

  beforeAll(async () => {
    dovecot = await startDovecot({ pki, keys: [], passwords: { [USER]: PASSWORD } });
    await dovecot.deliver(USER, Buffer.from(`From: a@example.test\r\nTo: ${USER}\r\nSubject: fax 1\r\n\r\npage one\r\n`));
    smtp = await startSmtpPeer({ mode: 'starttls', key: pki.key, cert: pki.cert, publicKeyPems: [], passwords: { [USER]: PASSWORD } });
    relay = await startSmtpPeer({ mode: 'starttls', key: pki.key, cert: pki.cert, publicKeyPems: [], authOptional: true });
    device = await createMailOAuth({ providers: [], store: memoryStore(), ca: pki.ca, locale: 'de' });
    const sender = { server: '127.0.0.1', security: 'starttls', timeout: 5_000, senderName: 'Front Desk', senderAddress: USER } as const;
    await device.page('smtp.services').configure({ ...sender, port: smtp.port, authMethod: 'plain', account: USER, password: PASSWORD });
    await device.page('smtp.alert').configure({ ...sender, port: smtp.port, authMethod: 'login', account: USER, password: PASSWORD });
    const common = { server: '127.0.0.1', timeout: 5_000, account: USER, password: PASSWORD, checkInterval: 60_000 } as const;
    await device.page('pop.emailStatus').configure({ ...common, port: dovecot.ports.pop3, security: 'starttls', authMethod: 'login' });
    await device.page('pop.internetFax').configure({ ...common, port: dovecot.ports.pop3s, security: 'tls', authMethod: 'plain' });
  });
  afterAll(async () => {
    await device?.close();
    await Promise.all([dovecot?.stop(), smtp?.close(), relay?.close()]);
  });

  it('sends with AUTH PLAIN and AUTH LOGIN through smtp-server, and through a relay with none', async () => {
    for (const [id, method] of [
      ['smtp.services', 'PLAIN'],
      ['smtp.alert', 'LOGIN'],
    ] as const) {
      const arrived = smtp.nextMail();
      await device.page(id).sendMail({ to: USER, subject: `via ${method}`, text: 'scan attached' });
      const mail = await arrived;
      expect(mail.user).toBe(USER);
      expect(mail.raw.toString()).toContain(`Subject: via ${method}`);
      expect(smtp.methodsSeen.at(-1)).toBe(method);
      expect((await device.page(id).testConnection()).code).toBe('OK');
    }
    const page = device.page('smtp.alert');
    await page.configure({ port: relay.port, authMethod: 'none' });
    expect(page.passwordSet).toBe(false);
    const arrived = relay.nextMail();
    await device.page('smtp.alert').sendMail({ to: USER, subject: 'no auth', text: 'relay' });
    expect((await arrived).user).toBeUndefined();
    expect(relay.methodsSeen).toEqual([]);
    expect((await page.testConnection()).code).toBe('OK');
  });

  it('a wrong SMTP password is ERR_PASSWORD_REJECTED, in the test and in sendMail', async () => {
    const page = device.page('smtp.alert');
    await page.configure({ port: smtp.port, authMethod: 'login', account: USER, password: 'wrong-smtp-password' });
    const report = await page.testConnection({ locale: 'en' });
    expect(report).toMatchObject({
      ok: false,
      code: 'ERR_PASSWORD_REJECTED',
      message: 'The mail server rejected the account name or password.',
    });
    const error = await device
      .page('smtp.alert')
      .sendMail({ to: USER, subject: 'x', text: 'y' })
      .catch((err: unknown) => err);
    expect((error as { code?: string }).code).toBe('ERR_PASSWORD_REJECTED');
    expect(JSON.stringify([report, error, String(error)])).not.toContain('wrong-smtp-password');
  });

  it('fetches over USER/PASS and over AUTH PLAIN', async () => {
    for (const id of ['pop.emailStatus', 'pop.internetFax'] as const) {
      const messages = await device.page(id).mailbox().fetch();
      expect(messages.map((m) => m.content.toString())).toEqual([expect.stringContaining('Subject: fax 1')]);
    }
  });

  it('opens a session and runs the check-interval poller with the page password', async () => {
    const pop = await device.page('pop.internetFax').mailbox().connect();
    expect((await pop.stat()).count).toBe(1);
    await pop.quit();
    const seen: Pop3Message[][] = [];
    const poller = await device
      .page('pop.emailStatus')
      .mailbox()
      .poller({ onMessages: (m) => void seen.push(m), onError: (e) => void seen.push([e as never]) });
    await poller.checkNow();
    expect(seen).toHaveLength(1);
    expect(seen[0]![0]!.content.toString()).toContain('Subject: fax 1');
  });

  it('the connection test passes, and a wrong password is ERR_PASSWORD_REJECTED in German, not about tokens', async () => {
    expect(await device.page('pop.emailStatus').testConnection()).toEqual({ ok: true, code: 'OK', message: localize('OK', 'de') });
    expect((await device.page('pop.internetFax').testConnection()).ok).toBe(true);
    const page = device.page('pop.emailPrint');
    await page.configure({
      server: '127.0.0.1',
      port: dovecot.ports.pop3s,
      security: 'tls',
      timeout: 5_000,
      authMethod: 'login',
      account: USER,
      password: 'not-the-password',
    });
    const report = await page.testConnection();
    expect(report.code).toBe('ERR_PASSWORD_REJECTED');
    expect(report.message).toBe('Der Mailserver hat den Kontonamen oder das Kennwort abgelehnt.');
    expect(report.message).not.toMatch(/token/i);
    expect(JSON.stringify(report)).not.toContain('not-the-password');
  });

  it('without a stored password the test says so before connecting', async () => {
    const page = device.page('pop.emailPrint');
    await page.configure({ password: null });
    const report = await page.testConnection({ locale: 'en' });
    expect(report).toMatchObject({ ok: false, code: 'ERR_PASSWORD_NOT_SET', message: 'Enter the account name and the password first.' });
    expect(
      await device
        .page('pop.emailPrint')
        .mailbox()
        .fetch()
        .catch((err: { code?: string }) => err.code),
    ).toBe('ERR_PASSWORD_NOT_SET');
  });
});
