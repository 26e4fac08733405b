import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenStateError } from '../../src/errors.js';
import { testConnection } from '../../src/transports/connection-test.js';
import { testPki } from '../peers/ca.js';
import { createJwtIssuer, type JwtIssuer } from '../peers/jwt-issuer.js';
import { startFakePop3, type FakePop3 } from '../peers/pop3-fake.js';
import { startSmtpPeer, type SmtpPeer } from '../peers/smtp-server.js';
import { scriptedSource } from './helpers.js';

const USER = 'scanner@example.test';
const pki = testPki();
let issuer: JwtIssuer;
let smtp: SmtpPeer;
let smtpDisabled: SmtpPeer;
let rogueSmtp: SmtpPeer;
let pop: FakePop3;
let popMismatch: FakePop3;
let silent: net.Server;
let silentPort: number;

beforeAll(async () => {
  issuer = await createJwtIssuer();
  const base = { key: pki.key, cert: pki.cert, publicKeyPems: [issuer.publicKeyPem] };
  [smtp, smtpDisabled, rogueSmtp, pop, popMismatch] = await Promise.all([
    startSmtpPeer({ ...base, mode: 'starttls' }),
    startSmtpPeer({
      ...base,
      mode: 'tls',
      authFailure: {
        responseCode: 535,
        message: '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.',
      },
    }),
    startSmtpPeer({ ...base, mode: 'tls', key: pki.untrusted.key, cert: pki.untrusted.cert }),
    startFakePop3({ tls: pki, implicitTls: true }),
    startFakePop3({
      tls: pki,
      implicitTls: true,
      override: (command, socket, session) => {
        if (command !== 'STAT' || !session.authenticated) return false;
        socket.write('-ERR [AUTH] Mailbox not accessible for this user\r\n');
        return true;
      },
    }),
  ]);
  silent = net.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await Promise.all([smtp.close(), smtpDisabled.close(), rogueSmtp.close(), pop.close(), popMismatch.close()]);
  silent.close();
});

const smtpSettings = (port: number, security: 'tls' | 'starttls' = 'starttls') => ({
  server: '127.0.0.1',
  port,
  security,
  timeout: 3000,
  senderAddress: USER,
});
const popSettings = (port: number) => ({ server: '127.0.0.1', port, security: 'tls' as const, timeout: 3000 });

describe('testConnection', () => {
  it('OK for SMTP (NOOP after AUTH) and POP3 (STAT)', async () => {
    expect(await testConnection('smtp', smtpSettings(smtp.port), scriptedSource(USER, await issuer.mint(USER)), { ca: pki.ca })).toEqual({
      ok: true,
      code: 'OK',
    });
    expect(await testConnection('pop3', popSettings(pop.port), scriptedSource(USER, 'good-token'), { ca: pki.ca })).toEqual({
      ok: true,
      code: 'OK',
    });
  });

  it('ERR_TOKEN_REFRESH_FAILED when the token source cannot refresh (the manual’s message is the lead’s)', async () => {
    const source = scriptedSource(USER, 'expired');
    source.refreshAfterRejection = () =>
      Promise.reject(new TokenStateError('ERR_TOKEN_REFRESH_FAILED', 'Token update failed', { kind: 'definite' }));
    const result = await testConnection('smtp', smtpSettings(smtp.port), source, { ca: pki.ca });
    expect(result).toMatchObject({ ok: false, code: 'ERR_TOKEN_REFRESH_FAILED' });
    const failing = scriptedSource(USER, 'x');
    failing.accessToken = () =>
      Promise.reject(new TokenStateError('ERR_TOKEN_REFRESH_FAILED', 'Token update failed', { kind: 'definite' }));
    expect((await testConnection('pop3', popSettings(pop.port), failing, { ca: pki.ca })).code).toBe('ERR_TOKEN_REFRESH_FAILED');
  });

  it('each failure has its code', async () => {
    const good = async () => scriptedSource(USER, await issuer.mint(USER));
    const cases: Array<[string, Promise<{ code: string }>]> = [
      ['ERR_AUTH_REJECTED', testConnection('smtp', smtpSettings(smtp.port), scriptedSource(USER, 'bad', 'bad'), { ca: pki.ca })],
      ['ERR_AUTH_REJECTED', testConnection('pop3', popSettings(pop.port), scriptedSource(USER, 'bad', 'bad'), { ca: pki.ca })],
      ['ERR_SMTP_AUTH_DISABLED', testConnection('smtp', smtpSettings(smtpDisabled.port, 'tls'), await good(), { ca: pki.ca })],
      ['ERR_TLS', testConnection('smtp', smtpSettings(rogueSmtp.port, 'tls'), await good(), { ca: pki.ca })],
      ['ERR_MAILBOX_REFUSED', testConnection('pop3', popSettings(popMismatch.port), scriptedSource(USER, 'good-token'), { ca: pki.ca })],
      ['ERR_DNS', testConnection('pop3', { ...popSettings(995), server: 'no-such-host.invalid' }, await good())],
      ['ERR_MAIL_TIMEOUT', testConnection('pop3', { ...popSettings(silentPort), timeout: 300 }, await good())],
      ['ERR_MAIL_TIMEOUT', testConnection('smtp', { ...smtpSettings(silentPort), timeout: 300 }, await good())],
      ['ERR_MAIL_TIMEOUT', testConnection('imap', { server: '127.0.0.1', port: silentPort, security: 'tls', timeout: 300 }, await good())],
      ['ERR_TLS_REQUIRED', testConnection('imap', { server: '127.0.0.1', port: silentPort, security: 'none' }, await good())],
      ['ERR_NOT_CONFIGURED', testConnection('smtp', { port: 25 }, await good())],
    ];
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    cases.push(['ERR_CONNECTION', testConnection('smtp', smtpSettings(closed, 'tls'), await good(), { ca: pki.ca })]);
    cases.push([
      'ERR_CONNECTION',
      testConnection('imap', { server: '127.0.0.1', port: closed, security: 'tls' }, await good(), { ca: pki.ca }),
    ]);
    const results = await Promise.all(cases.map(([, p]) => p));
    expect(results.map((r) => r.code)).toEqual(cases.map(([code]) => code));
    for (const r of results) expect(JSON.stringify(r)).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
  });
});
