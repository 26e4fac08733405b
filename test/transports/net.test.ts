/**
 * The socket helpers' rules: plaintext only to loopback with security `none` (decided before any
 * lookup or connection), redaction of folded and partial echoes, and Nagle off on mail sockets.
 */
import { randomBytes } from 'node:crypto';
import dns from 'node:dns';
import * as net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildOAuthBearer } from '../../src/sasl/oauthbearer.js';
import { buildXOAuth2 } from '../../src/sasl/xoauth2.js';
import { testConnection } from '../../src/transports/connection-test.js';
import { connectImap } from '../../src/transports/imap.js';
import { createRedactor, isLoopbackHost, plaintextAllowed, redact } from '../../src/transports/net.js';
import { connectPop3, Pop3Client } from '../../src/transports/pop3/client.js';
import { testPki } from '../peers/ca.js';
import { startFakePop3, type FakePop3 } from '../peers/pop3-fake.js';
import { codeOf, leakedFragments, scriptedSource } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('loopback and the plaintext rule', () => {
  it('isLoopbackHost knows 127.0.0.0/8, ::1 and localhost, from the text alone', () => {
    for (const host of [
      '127.0.0.1',
      '127.255.0.9',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      'localhost',
      'LOCALHOST',
      'localhost.',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of [
      'mail.example.com',
      '10.0.0.1',
      '128.0.0.1',
      '::2',
      '::ffff:10.0.0.1',
      '0.0.0.0',
      '::',
      'localhost.example.com',
      'mylocalhost',
      '127.0.0.1.nip.io',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('plaintextAllowed: only security none, only with allowPlaintext, only to loopback', () => {
    const yes = { allowPlaintext: true };
    expect(plaintextAllowed({ host: '127.0.0.1', security: 'none' }, yes)).toBe(true);
    expect(plaintextAllowed({ host: '127.0.0.1', security: 'none' }, {})).toBe(false);
    expect(plaintextAllowed({ host: '127.0.0.1', security: 'starttls' }, yes)).toBe(false);
    expect(plaintextAllowed({ host: 'mail.example.com', security: 'none' }, yes)).toBe(false);
  });

  it('a non-loopback host with security none is refused before any DNS lookup or connection (POP3, IMAP, connection test)', async () => {
    const lookup = vi.spyOn(dns, 'lookup');
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    const options = { allowPlaintext: true, timeout: 2_000 };
    for (const server of ['mail.example.com', '10.0.0.1']) {
      const settings = { server, port: 110, security: 'none' as const };
      const source = scriptedSource('u@example.com', 'good-token');
      const pop = await connectPop3(settings, source, options).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(pop).toMatchObject({ code: 'ERR_TLS_REQUIRED' });
      expect(String((pop as Error).message)).toContain('loopback');
      expect(await codeOf(() => connectImap({ ...settings, port: 143 }, source, options))).toBe('ERR_TLS_REQUIRED');
      expect((await testConnection('pop3', settings, source, options)).code).toBe('ERR_TLS_REQUIRED');
      expect((await testConnection('imap', { ...settings, port: 143 }, source, options)).code).toBe('ERR_TLS_REQUIRED');
      expect(source.calls).toBe(0);
    }
    expect(lookup).not.toHaveBeenCalled();
    expect(connect).not.toHaveBeenCalled();
    // The spies do see a lookup when one happens (the test's DNS guard answers ENOTFOUND).
    expect(await codeOf(() => Pop3Client.connect({ server: 'mail.example.com', port: 995, security: 'tls', timeout: 2_000 }))).toBe(
      'ERR_DNS',
    );
    expect(lookup).toHaveBeenCalled();
    expect(connect).toHaveBeenCalled();
  });
});

describe('POP3 sockets', () => {
  const pki = testPki();
  const servers: FakePop3[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('disable Nagle, on plain and on implicit-TLS connections', async () => {
    const plain = await startFakePop3({});
    const implicit = await startFakePop3({ tls: pki, implicitTls: true });
    servers.push(plain, implicit);
    const noDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay');
    const a = await Pop3Client.connect({ server: '127.0.0.1', port: plain.port, security: 'none', timeout: 2_000 });
    expect(noDelay).toHaveBeenCalledWith(true);
    a.close();
    noDelay.mockClear();
    const b = await Pop3Client.connect({ server: '127.0.0.1', port: implicit.port, security: 'tls', timeout: 2_000 }, { ca: pki.ca });
    expect(noDelay).toHaveBeenCalledWith(true);
    b.close();
  });
});

describe('redaction', () => {
  const USER = 'scanner@example.test';
  const TOKEN = `eyJ${randomBytes(600).toString('base64url')}`;
  const PAYLOAD = buildXOAuth2(USER, TOKEN);
  const secrets = [TOKEN, PAYLOAD];
  const redactor = createRedactor(secrets);

  it('exact echoes, as before', () => {
    expect(redactor.redact(`-ERR [AUTH] not accepted: ${PAYLOAD}`)).toBe('-ERR [AUTH] not accepted: /* secret */');
    expect(redact(`token ${TOKEN}.`, [TOKEN])).toBe('token /* secret */.');
  });

  it('partial echoes: any run of 16 characters or more of the token or the payload', () => {
    for (const text of [
      `-ERR bad ${TOKEN.slice(0, TOKEN.length / 2)}`,
      `-ERR bad ${TOKEN.slice(100, 116)} end`,
      `-ERR ${PAYLOAD.slice(PAYLOAD.length / 2)}`,
      `-ERR ${PAYLOAD.slice(7, 60)}…${TOKEN.slice(-40)}`,
    ]) {
      const out = redactor.redact(text);
      expect(leakedFragments(out, secrets), out).toEqual([]);
      expect(out).toContain('/* secret */');
    }
    // shorter runs and unrelated text stay readable
    expect(redactor.redact(`+OK ${TOKEN.slice(10, 25)}`)).toBe(`+OK ${TOKEN.slice(10, 25)}`);
    expect(redactor.redact('-ERR [AUTH] Authentication failed.')).toBe('-ERR [AUTH] Authentication failed.');
  });

  it('echoes folded over lines or broken by whitespace', () => {
    const fold = (text: string, width: number, joint: string): string => text.match(new RegExp(`.{1,${width}}`, 'g'))!.join(joint);
    for (const text of [
      `535-5.7.8 ${fold(PAYLOAD, 76, '\r\n535-5.7.8 ')}`,
      `-ERR echo:\r\n ${fold(PAYLOAD, 10, '\r\n ')}`,
      `-ERR echo: ${fold(TOKEN, 7, '\r\n\t')}`,
      `-ERR echo: ${fold(TOKEN, 3, ' ')}`,
    ]) {
      const out = redactor.redact(text);
      expect(leakedFragments(out, secrets), out).toEqual([]);
    }
  });

  it('base64 re-encodings of the token at any alignment, e.g. inside an OAUTHBEARER payload', () => {
    for (const prefix of ['', 'a', 'ab', 'auth=Bearer ']) {
      const encoded = Buffer.from(`${prefix}${TOKEN}`).toString('base64');
      const out = redactor.redact(`-ERR ${encoded}`);
      expect(leakedFragments(out, [encoded.slice(Buffer.from(prefix).toString('base64').length + 4, -4)]), out).toEqual([]);
    }
    const bearer = buildOAuthBearer(USER, TOKEN, { host: 'mail.example.test', port: 995 });
    const out = redactor.redact(bearer);
    expect(out.length).toBeLessThan(120);
  });

  it('bounded on a 1 MB reply: linear time, the unscanned rest is dropped', () => {
    const filler = 'x'.repeat(1024 * 1024);
    const started = performance.now();
    const out = redactor.redact(`-ERR ${PAYLOAD.slice(3, 200)} ${filler}${TOKEN}`);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(500);
    expect(out.length).toBeLessThan(70 * 1024);
    expect(leakedFragments(out, secrets)).toEqual([]);
    // a secret-free 1 MB string is scanned in bounded time too
    const started2 = performance.now();
    redactor.redact(randomBytes(768 * 1024).toString('base64'));
    expect(performance.now() - started2).toBeLessThan(500);
  });

  it('secrets added later are redacted too; the redactor does not show them when inspected', async () => {
    const r = createRedactor();
    expect(r.redact(TOKEN)).toBe(TOKEN);
    r.push(TOKEN);
    expect(r.redact(`x${TOKEN}x`)).toBe('x/* secret */x');
    const { inspect } = await import('node:util');
    expect(leakedFragments(`${inspect(r, { depth: 5, showHidden: true })}${JSON.stringify(r)}`, [TOKEN])).toEqual([]);
  });
});
