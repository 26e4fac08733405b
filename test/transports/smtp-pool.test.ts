/**
 * Reused SMTP connections: one pool per page, a renewed token for new connections, the
 * rejected-token retry on a pooled connection, password and relay credentials, the loopback-only
 * plaintext rule, the device owning and closing its pools, and the shared TLS trust.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailOAuth } from '../../src/device.js';
import { SmtpPool } from '../../src/transports/smtp.js';
import { trustContext } from '../../src/transports/trust.js';
import { testPki } from '../peers/ca.js';
import { createJwtIssuer, type JwtIssuer } from '../peers/jwt-issuer.js';
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from '../peers/smtp-server.js';
import { codeOf, scriptedSource, transcript } from './helpers.js';

const USER = 'scanner@example.test';
const pki = testPki();
let issuer: JwtIssuer;
const peers: SmtpPeer[] = [];

async function peer(options: Partial<SmtpPeerOptions> = {}): Promise<SmtpPeer> {
  const p = await startSmtpPeer({ mode: 'starttls', key: pki.key, cert: pki.cert, publicKeyPems: [issuer.publicKeyPem], ...options });
  peers.push(p);
  return p;
}

beforeAll(async () => {
  issuer = await createJwtIssuer();
});
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
});

const settings = (port: number) => ({ server: '127.0.0.1', port, security: 'starttls' as const, timeout: 5000, senderAddress: USER });
const message = (n: number) => ({ to: 'alice@example.test', subject: `Scan ${n}`, text: 'x' });

describe('SmtpPool', () => {
  it('sends several messages over one authenticated connection', async () => {
    const server = await peer();
    const pool = new SmtpPool(
      settings(server.port),
      { method: 'oauth2', source: scriptedSource(USER, await issuer.mint(USER)) },
      { ca: pki.ca },
    );
    try {
      for (let i = 0; i < 3; i++) await pool.send(message(i));
    } finally {
      pool.close();
    }
    expect(server.mails).toHaveLength(3);
    expect(server.counts.connections).toBe(1);
    expect(server.tokensSeen).toHaveLength(1);
    expect(await codeOf(() => pool.send(message(4)))).toBe('ERR_DEVICE_CLOSED');
  });

  it('a new connection takes the current (renewed) token; a rejected one is renewed once and retried', async () => {
    const server = await peer();
    const first = await issuer.mint(USER);
    // A page's token source: the scope's current token, and a renewal after a rejection.
    let renewal = first;
    const source = {
      user: USER,
      current: first,
      refreshes: 0,
      accessToken: async () => source.current,
      refreshAfterRejection: async () => {
        source.refreshes++;
        source.current = renewal;
        return renewal;
      },
    };
    const pool = new SmtpPool(settings(server.port), { method: 'oauth2', source }, { ca: pki.ca }, { maxMessages: 1 });
    try {
      await pool.send(message(1));
      const renewed = await issuer.mint(USER, { expiresIn: 600 });
      source.current = renewed; // the scope renewed its token in the background
      await pool.send(message(2));
      expect(server.tokensSeen).toEqual([first, renewed]);
      const expired = await issuer.mint(USER, { expiresIn: -120 });
      const fresh = await issuer.mint(USER, { expiresIn: 900 });
      source.current = expired;
      renewal = fresh;
      await pool.send(message(3));
      expect(server.tokensSeen.slice(2)).toEqual([expired, fresh]);
      expect(source.refreshes).toBe(1);
    } finally {
      pool.close();
    }
    expect(server.mails).toHaveLength(3);
  });

  it('password AUTH (PLAIN, LOGIN) and no AUTH (relay); the password never shows', async () => {
    const password = 'correct horse battery staple';
    const server = await peer({ passwords: { [USER]: password }, authOptional: true });
    for (const method of ['plain', 'login'] as const) {
      const t = transcript();
      await new SmtpPool(
        settings(server.port),
        { method, user: USER, password: async () => password },
        { ca: pki.ca, onTranscript: t.onTranscript },
      ).send(message(1));
      expect(JSON.stringify(t.entries)).not.toContain(password);
      expect(JSON.stringify(t.entries)).not.toContain(Buffer.from(password).toString('base64'));
    }
    expect(server.methodsSeen).toEqual(['PLAIN', 'LOGIN']);
    const wrong = new SmtpPool(settings(server.port), { method: 'plain', user: USER, password: async () => 'wrong' }, { ca: pki.ca });
    expect(await codeOf(() => wrong.send(message(2)))).toBe('ERR_PASSWORD_REJECTED');
    const t = transcript();
    await new SmtpPool(settings(server.port), { method: 'none' }, { ca: pki.ca, onTranscript: t.onTranscript }).send(message(3));
    expect(t.client().some((l) => l.startsWith('AUTH'))).toBe(false);
    expect(server.mails).toHaveLength(3);
  });

  it('security none: refused for a non-loopback host before any lookup or connection', () => {
    for (const allowPlaintext of [true, false]) {
      expect(
        () =>
          new SmtpPool({ server: 'mail.invalid', port: 25, security: 'none', senderAddress: USER }, { method: 'none' }, { allowPlaintext }),
      ).toThrow(expect.objectContaining({ code: 'ERR_TLS_REQUIRED' }));
    }
  });
});

describe('the device owns one pool per SMTP page', () => {
  it('reuses it, rebuilds it when the settings change, and closes it on close()', async () => {
    const server = await peer({ authOptional: true });
    const device = await createMailOAuth({ providers: [], ca: pki.ca, smtpPool: { idleTimeout: 60_000 } });
    try {
      await device.page('smtp.alert').configure({ ...settings(server.port), authMethod: 'none' });
      await device.page('smtp.alert').sendMail(message(1));
      await device.page('smtp.alert').sendMail(message(2));
      expect(server.counts.connections).toBe(1);
      await device.page('smtp.alert').configure({ timeout: 6000 });
      await device.page('smtp.alert').sendMail(message(3));
      expect(server.counts.connections).toBe(2);
    } finally {
      await device.close();
    }
    expect(server.mails).toHaveLength(3);
    await expect(device.page('smtp.alert').sendMail(message(4))).rejects.toMatchObject({ code: 'ERR_DEVICE_CLOSED' });
  });
});

describe('trust', () => {
  it('one TLS context per CA value, shared by every connection', () => {
    expect(trustContext(undefined)).toBeUndefined();
    const a = trustContext(pki.ca);
    expect(trustContext(pki.ca)).toBe(a);
    expect(trustContext([pki.ca])).toBe(a);
    expect(trustContext(pki.untrusted.cert)).not.toBe(a);
  });
});
