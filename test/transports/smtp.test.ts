import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as smtp from '../../src/transports/smtp.js';
import type { TokenSource } from '../../src/transports/token-source.js';
import type { Logger } from '../../src/logger.js';
import { testPki } from '../peers/ca.js';
import { createJwtIssuer, type JwtIssuer } from '../peers/jwt-issuer.js';
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from '../peers/smtp-server.js';
import { codeOf, scriptedSource, transcript } from './helpers.js';
import { extractAttachment, fakePdf } from './mime.js';

// These tests authenticate with a token: the `oauth2` credentials of a token source.
const sendMail = (
  settings: Parameters<typeof smtp.sendMail>[0],
  source: TokenSource,
  message: smtp.MailMessage,
  options?: Parameters<typeof smtp.sendMail>[3],
) => smtp.sendMail(settings, { method: 'oauth2', source }, message, options);
const verifySmtp = (settings: Parameters<typeof smtp.verifySmtp>[0], source: TokenSource, options?: smtp.SmtpOptions) =>
  smtp.verifySmtp(settings, { method: 'oauth2', source }, options);

const USER = 'scanner@example.test';
const pki = testPki();
let issuer: JwtIssuer;
const peers: SmtpPeer[] = [];

async function peer(options: Partial<SmtpPeerOptions> & Pick<SmtpPeerOptions, 'mode'>): Promise<SmtpPeer> {
  const p = await startSmtpPeer({ key: pki.key, cert: pki.cert, publicKeyPems: [issuer.publicKeyPem], ...options });
  peers.push(p);
  return p;
}

beforeAll(async () => {
  issuer = await createJwtIssuer();
});
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
});

const settings = (port: number, security: 'tls' | 'starttls' | 'none') => ({
  server: '127.0.0.1',
  port,
  security,
  timeout: 5000,
  senderName: 'Scanner 3F',
  senderAddress: USER,
});

function recordingLogger(): Logger & { text(): string } {
  const lines: string[] = [];
  const log = (m: string, f?: object): void => void lines.push(m + (f === undefined ? '' : JSON.stringify(f)));
  return { debug: log, info: log, warn: log, error: log, text: () => lines.join('\n') };
}

describe('SMTP on nodemailer against smtp-server', () => {
  it('STARTTLS (verified): a multi-megabyte PDF arrives byte-identical; nothing secret in logs or transcript', async () => {
    const server = await peer({ mode: 'starttls' });
    const pdf = fakePdf(3 * 1024 * 1024 + 17);
    const token = await issuer.mint(USER);
    const t = transcript();
    const logger = recordingLogger();
    const arrived = server.nextMail();
    const result = await sendMail(
      settings(server.port, 'starttls'),
      scriptedSource(USER, token),
      {
        to: 'alice@example.test',
        bcc: 'archive@example.test',
        subject: 'Scan 0001',
        text: 'Your scan.\r\n.a line starting with a dot\r\n',
        attachments: [{ filename: 'scan-0001.pdf', content: pdf, contentType: 'application/pdf' }],
      },
      { ca: pki.ca, onTranscript: t.onTranscript, logger },
    );
    const mail = await arrived;
    expect(result.accepted).toEqual(['alice@example.test', 'archive@example.test']);
    expect(result.response).toMatch(/^250/);
    expect(mail.from).toBe(USER);
    expect(mail.user).toBe(USER);
    expect(extractAttachment(mail.raw, 'scan-0001.pdf').equals(pdf)).toBe(true);
    const raw = mail.raw.toString('latin1');
    expect(raw).toContain('\r\n.a line starting with a dot\r\n');
    expect(raw).not.toMatch(/^bcc:/im);
    const sent = t.client();
    expect(sent.indexOf('STARTTLS')).toBeLessThan(sent.indexOf('AUTH XOAUTH2 /* secret */'));
    for (const text of [JSON.stringify(t.entries), logger.text()]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain('dXNlcj'); // base64 "user="
    }
  });

  it('implicit TLS: send with a streamed attachment', async () => {
    const server = await peer({ mode: 'tls' });
    const pdf = fakePdf(700_001);
    const arrived = server.nextMail();
    await sendMail(
      settings(server.port, 'tls'),
      scriptedSource(USER, await issuer.mint(USER)),
      {
        to: ['"Alice" <alice@example.test>'],
        subject: 'Stream',
        attachments: [{ filename: 'stream.pdf', content: Readable.from([pdf.subarray(0, 12345), pdf.subarray(12345)]) }],
      },
      { ca: pki.ca },
    );
    expect(extractAttachment((await arrived).raw, 'stream.pdf').equals(pdf)).toBe(true);
  });

  it('an expired token → JSON challenge → empty line → one refresh → success', async () => {
    const server = await peer({ mode: 'starttls' });
    const source = scriptedSource(USER, await issuer.mint(USER, { expiresIn: -120 }), await issuer.mint(USER));
    const t = transcript();
    await verifySmtp(settings(server.port, 'starttls'), source, { ca: pki.ca, onTranscript: t.onTranscript });
    expect(source.refreshes).toBe(1);
    expect(server.tokensSeen).toHaveLength(2);
    const sent = t.client();
    const firstAuth = sent.indexOf('AUTH XOAUTH2 /* secret */');
    expect(sent[firstAuth + 1]).toBe(''); // the empty line answering the challenge
    expect(sent.filter((l) => l.startsWith('AUTH')).length).toBe(2);
    expect(sent).toContain('RSET'); // one real command after AUTH
  });

  it('535 5.7.3 → one refresh → still rejected → ERR_AUTH_REJECTED', async () => {
    const server = await peer({ mode: 'tls', plain535: true });
    const source = scriptedSource(USER, 'not-a-jwt', 'still-not-a-jwt');
    expect(await codeOf(() => verifySmtp(settings(server.port, 'tls'), source, { ca: pki.ca }))).toBe('ERR_AUTH_REJECTED');
    expect(source.refreshes).toBe(1);
    expect(server.tokensSeen).toEqual(['not-a-jwt', 'still-not-a-jwt']);
  });

  it('535 5.7.139 (SMTP AUTH disabled) → ERR_SMTP_AUTH_DISABLED without refreshing', async () => {
    const server = await peer({
      mode: 'tls',
      authFailure: {
        responseCode: 535,
        message: '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.',
      },
    });
    const source = scriptedSource(USER, await issuer.mint(USER));
    let error: unknown;
    try {
      await verifySmtp(settings(server.port, 'tls'), source, { ca: pki.ca });
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'ERR_SMTP_AUTH_DISABLED', kind: 'configuration', responseCode: 535 });
    expect(source.refreshes).toBe(0);
  });

  it('an untrusted certificate after STARTTLS: the server never receives the token', async () => {
    const server = await peer({ mode: 'starttls', key: pki.untrusted.key, cert: pki.untrusted.cert });
    const source = scriptedSource(USER, await issuer.mint(USER));
    const t = transcript();
    expect(await codeOf(() => verifySmtp(settings(server.port, 'starttls'), source, { ca: pki.ca, onTranscript: t.onTranscript }))).toBe(
      'ERR_TLS',
    );
    expect(server.tokensSeen).toEqual([]);
    expect(source.calls).toBe(0);
    expect(t.client().some((l) => l.startsWith('AUTH'))).toBe(false);
    expect(t.client().at(-1)).toBe('STARTTLS');
    // and without the custom CA, the trusted test certificate is refused too
    const good = await peer({ mode: 'starttls' });
    expect(await codeOf(() => verifySmtp(settings(good.port, 'starttls'), source, {}))).toBe('ERR_TLS');
    expect(good.tokensSeen).toEqual([]);
  });

  it('an untrusted certificate on implicit TLS → ERR_TLS, no token', async () => {
    const server = await peer({ mode: 'tls', key: pki.untrusted.key, cert: pki.untrusted.cert });
    const source = scriptedSource(USER, await issuer.mint(USER));
    expect(await codeOf(() => verifySmtp(settings(server.port, 'tls'), source, { ca: pki.ca }))).toBe('ERR_TLS');
    expect(server.tokensSeen).toEqual([]);
  });

  it('a server without STARTTLS → refused before AUTH, proved from the client transcript', async () => {
    const server = await peer({ mode: 'plain' });
    const source = scriptedSource(USER, await issuer.mint(USER));
    const t = transcript();
    expect(await codeOf(() => verifySmtp(settings(server.port, 'starttls'), source, { ca: pki.ca, onTranscript: t.onTranscript }))).toBe(
      'ERR_TLS_REQUIRED',
    );
    // nodemailer's requireTLS asks for STARTTLS even when it is not offered; the refusal ends the session.
    expect(t.client()).toEqual(['EHLO mail-oauth', 'STARTTLS']);
    expect(source.calls).toBe(0);
    expect(await codeOf(() => verifySmtp(settings(server.port, 'none'), source, {}))).toBe('ERR_TLS_REQUIRED');
    expect(server.tokensSeen).toEqual([]);
  });

  it('connection refused and unknown host are coded', async () => {
    const server = await peer({ mode: 'tls' });
    const port = server.port;
    await server.close();
    const source = scriptedSource(USER, 't');
    expect(await codeOf(() => verifySmtp(settings(port, 'tls'), source, { ca: pki.ca }))).toBe('ERR_CONNECTION');
    expect(await codeOf(() => verifySmtp({ ...settings(25, 'tls'), server: 'nowhere.invalid' }, source, {}))).toBe('ERR_DNS');
  });

  it('refuses header injection and a token with CR/LF before sending', async () => {
    const server = await peer({ mode: 'tls' });
    expect(
      await codeOf(() =>
        sendMail(
          settings(server.port, 'tls'),
          scriptedSource(USER, 't'),
          { to: 'a@example.test', subject: 'x\r\nBcc: evil@example.test' },
          { ca: pki.ca },
        ),
      ),
    ).toBe('ERR_INVALID_OPTION');
    expect(await codeOf(() => verifySmtp(settings(server.port, 'tls'), scriptedSource(USER, 'tok\r\nRSET'), { ca: pki.ca }))).toBe(
      'ERR_SASL_INVALID_INPUT',
    );
    expect(server.tokensSeen).toEqual([]);
  });
});

describe('SMTP against a hostile server', () => {
  /** A server that drips `line` forever, a byte every 100 ms, either as its greeting or as its EHLO reply: the socket never goes idle. */
  async function dripping(when: 'greeting' | 'ehlo'): Promise<{ port: number; close(): Promise<void> }> {
    const { createServer } = await import('node:net');
    const timers: NodeJS.Timeout[] = [];
    const drip = (socket: import('node:net').Socket, line: string): void => {
      const bytes = Buffer.from(line);
      let i = 0;
      const timer = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        socket.write(bytes.subarray(i % bytes.length, (i % bytes.length) + 1));
        i += 1;
      }, 100);
      timers.push(timer);
    };
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      if (when === 'greeting') return drip(socket, '220-drip.example.test welcomes you at length ');
      socket.write('220 drip.example.test ESMTP\r\n');
      socket.once('data', () => drip(socket, '250-drip.example.test says hello and keeps talking '));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as import('node:net').AddressInfo).port,
      close: async () => {
        for (const timer of timers) clearInterval(timer);
        await new Promise((resolve) => server.close(resolve));
      },
    };
  }

  it.each(['greeting', 'ehlo'] as const)(
    'a %s that drips one byte at a time and never ends is cut at the timeout (ERR_MAIL_TIMEOUT)',
    async (when) => {
      const server = await dripping(when);
      const started = Date.now();
      try {
        const source = scriptedSource(USER, 't');
        const code = await codeOf(() => verifySmtp({ ...settings(server.port, 'none'), timeout: 1_000 }, source, { allowPlaintext: true }));
        expect(code).toBe('ERR_MAIL_TIMEOUT');
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(source.calls).toBe(0);
      } finally {
        await server.close();
      }
    },
  );
});
