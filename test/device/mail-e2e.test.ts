/**
 * The device facade end to end on 127.0.0.1: pages get tokens from the real oidc-provider,
 * the SMTP page's `sendMail` sends a PDF through smtp-server, the same mail is read back with
 * the POP3 page's `mailbox()` and the IMAP page's `imap()` from Dovecot, and `page.testConnection()` reports in the
 * device's language — including the manual's message once the grant is revoked.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMailOAuth, memoryStore, oidc, type MailOAuth } from '../../src/index.js';
import { testPki } from '../peers/ca.js';
import { dovecotStatus, startDovecot, type DovecotPeer } from '../peers/dovecot.js';
import { CLIENTS, startOidcServer, type OidcServer } from '../peers/oidc-server.js';
import { completeAuthorizationCodeFlow } from '../peers/oidc-user.js';
import { startSmtpPeer, type SmtpPeer } from '../peers/smtp-server.js';
import { extractAttachment, fakePdf, firstInboxAttachment } from '../transports/mime.js';

const USER = 'scanner@example.test';
const REDIRECT = 'http://127.0.0.1/callback';
const TOPOLOGY = {
  pages: [
    { id: 'smtp.services', protocol: 'smtp' },
    { id: 'pop.emailStatus', protocol: 'pop3' },
    { id: 'imap.inbox', protocol: 'imap' },
  ],
} as const;

it.runIf(!dovecotStatus.available && dovecotStatus.required)('Dovecot is installed (required with CI=true)', () => {
  throw new Error(dovecotStatus.message);
});

describe.skipIf(!dovecotStatus.available)('device facade: Get Token → sendMail → pop3/imap → testConnection', () => {
  const pki = testPki();
  let server: OidcServer;
  let dovecot: DovecotPeer;
  let smtp: SmtpPeer;
  let device: MailOAuth<typeof TOPOLOGY>;
  const store = memoryStore();

  beforeAll(async () => {
    server = await startOidcServer({ accessTokenTtl: 4, redirectUris: [REDIRECT] });
    [dovecot, smtp] = await Promise.all([
      startDovecot({ pki, keys: [{ kid: server.kid, publicKeyPem: server.publicKeyPem }] }),
      startSmtpPeer({ mode: 'starttls', key: pki.key, cert: pki.cert, publicKeyPems: [server.publicKeyPem], issuer: server.issuer }),
    ]);
    device = await createMailOAuth({
      providers: [
        oidc({
          id: 'corp',
          issuer: server.issuer,
          clientId: CLIENTS.public,
          scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' },
          http: { minTokenLifetimeMs: 1_000 },
        }),
      ],
      pages: TOPOLOGY,
      ca: pki.ca,
      locale: 'de',
      store,
    });
    const common = { server: '127.0.0.1', timeout: 5_000, authMethod: 'oauth2', provider: 'corp', account: USER } as const;
    await device
      .page('smtp.services')
      .configure({ ...common, port: smtp.port, security: 'starttls', senderName: 'Scanner 3F', senderAddress: USER });
    await device.page('pop.emailStatus').configure({ ...common, port: dovecot.ports.pop3, security: 'starttls', checkInterval: 60_000 });
    await device.page('imap.inbox').configure({ ...common, port: dovecot.ports.imaps, security: 'tls' });
    for (const id of ['smtp.services', 'pop.emailStatus', 'imap.inbox']) {
      const page = device.page(id);
      const prompt = await page.getToken({ flow: 'authorization-code', redirectUri: REDIRECT });
      if (prompt.kind !== 'redirect') throw new Error('expected a redirect prompt');
      await page.completeAuthorization(await completeAuthorizationCodeFlow(prompt.url, USER, REDIRECT));
    }
  });
  afterAll(async () => {
    await device?.close();
    await Promise.all([dovecot?.stop(), smtp?.close(), server?.close()]);
  });

  it('sends a scan as PDF and reads the same bytes back over POP3 and IMAP', async () => {
    const pdf = fakePdf(3 * 1024 * 1024 + 7);
    const arrived = smtp.nextMail();
    await device.page('smtp.services').sendMail({
      to: USER,
      subject: 'Scan 2026-11-26',
      text: 'Scanned document attached.',
      attachments: [{ filename: 'scan.pdf', content: pdf, contentType: 'application/pdf' }],
    });
    const mail = await arrived;
    expect(extractAttachment(mail.raw, 'scan.pdf').equals(pdf)).toBe(true);
    await dovecot.deliver(USER, mail.raw);

    const popped = await device.page('pop.emailStatus').mailbox().fetch();
    expect(popped).toHaveLength(1);
    expect(extractAttachment(popped[0]!.content, 'scan.pdf').equals(pdf)).toBe(true);

    const imap = await device.page('imap.inbox').imap();
    expect((await firstInboxAttachment(imap, 'scan.pdf')).equals(pdf)).toBe(true);
    // A wrong protocol is now found by the compiler; at run time the method is simply absent.
    // @ts-expect-error a POP3 page cannot send mail
    expect(device.page('pop.emailStatus').sendMail).toBeUndefined();
  });

  it('the connection test passes on every page, in the device language', async () => {
    for (const id of ['smtp.services', 'pop.emailStatus', 'imap.inbox']) {
      expect(await device.page(id).testConnection()).toEqual({ ok: true, code: 'OK', message: 'Verbindungstest erfolgreich.' });
    }
  });

  it('a revoked grant: the page turns Invalid and the connection test shows the manual message', async () => {
    const page = device.page('pop.emailStatus');
    // Revoke the grant at the provider (as an administrator would in the tenant): JWT access
    // tokens cannot be revoked at oidc-provider, the refresh token (the grant) can.
    const record = (await store.get('pop.emailStatus')) as { tokens: { refreshToken: string } };
    const body = new URLSearchParams({ token: record.tokens.refreshToken, client_id: CLIENTS.public });
    const res = await fetch(`${server.issuer}/token/revocation`, { method: 'POST', body });
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(page.status).toBe('invalid'), { timeout: 15_000, interval: 200 });
    const de = await page.testConnection();
    expect(de).toMatchObject({
      ok: false,
      code: 'ERR_TOKEN_REFRESH_FAILED',
      message: 'Token-Update fehlgeschlagen. Bitte löschen Sie das Token und rufen Sie das Token erneut ab.',
    });
    expect((await page.testConnection({ locale: 'en' })).message).toBe('Token update failed. Please delete the token and obtain it again.');
    expect(device.page('smtp.services').status).toBe('acquired');
  });
});
