/**
 * POP3 (STLS, POP3S) and IMAP (STARTTLS, IMAPS) against Debian's Dovecot on 127.0.0.1,
 * validating RS256 JWT access tokens locally. Skips (saying so) where Dovecot is absent,
 * fails where CI=true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectImap } from '../../src/transports/imap.js';
import { connectPop3 } from '../../src/transports/pop3/client.js';
import { fetchPop3 } from '../../src/transports/pop3/mailbox.js';
import { testPki } from '../peers/ca.js';
import { dovecotStatus, startDovecot, type DovecotPeer } from '../peers/dovecot.js';
import { createJwtIssuer, type JwtIssuer } from '../peers/jwt-issuer.js';
import { codeOf, scriptedSource, transcript } from './helpers.js';

const USER = 'scanner@example.test';

it.runIf(!dovecotStatus.available && dovecotStatus.required)('Dovecot is installed (required with CI=true)', () => {
  throw new Error(dovecotStatus.message);
});

if (!dovecotStatus.available && !dovecotStatus.required) {
  console.warn(`[dovecot.test] ${dovecotStatus.message}`);
}

describe.skipIf(!dovecotStatus.available)('Dovecot (POP3 and IMAP with OAuth)', () => {
  const pki = testPki();
  let dovecot: DovecotPeer;
  let rogue: DovecotPeer;
  let issuer: JwtIssuer;

  beforeAll(async () => {
    issuer = await createJwtIssuer();
    const keys = [{ kid: issuer.kid, publicKeyPem: issuer.publicKeyPem }];
    [dovecot, rogue] = await Promise.all([
      startDovecot({ pki, keys }),
      startDovecot({ pki: { ...pki, cert: pki.untrusted.cert, key: pki.untrusted.key }, keys }),
    ]);
    await dovecot.deliver(USER, Buffer.from(`From: a@example.test\r\nTo: ${USER}\r\nSubject: first\r\n\r\nhello\r\n.dot line\r\n`));
    await dovecot.deliver(USER, Buffer.from(`From: a@example.test\r\nTo: ${USER}\r\nSubject: second\r\n\r\nworld\r\n`));
  });
  afterAll(async () => {
    await Promise.all([dovecot?.stop(), rogue?.stop()]);
  });

  const pop3s = () => ({ server: '127.0.0.1', port: dovecot.ports.pop3s, security: 'tls' as const, timeout: 5000 });
  const pop3stls = () => ({ server: '127.0.0.1', port: dovecot.ports.pop3, security: 'starttls' as const, timeout: 5000 });

  it('POP3 with STLS: upgrade, two-step XOAUTH2, STAT, UIDL, RETR, QUIT', async () => {
    const t = transcript();
    const pop = await connectPop3(pop3stls(), scriptedSource(USER, await issuer.mint(USER)), { ca: pki.ca, onTranscript: t.onTranscript });
    expect(pop.secure).toBe(true);
    expect(pop.capabilities.sasl).toEqual(expect.arrayContaining(['XOAUTH2', 'OAUTHBEARER']));
    expect((await pop.stat()).count).toBe(2);
    const [first] = await pop.uidl();
    const raw = (await pop.retr(first!.id)).toString();
    expect(raw).toContain('Subject: first');
    expect(raw).toContain('\r\n.dot line\r\n');
    await pop.quit();
    const sent = t.client();
    expect(sent.slice(0, 4)).toEqual(['CAPA', 'STLS', 'CAPA', 'AUTH XOAUTH2']);
    expect(sent.indexOf('STLS')).toBeLessThan(sent.findIndex((l) => l.startsWith('AUTH')));
  });

  it('POP3S with OAUTHBEARER and the initial response', async () => {
    const pop = await connectPop3(pop3s(), scriptedSource(USER, await issuer.mint(USER)), {
      ca: pki.ca,
      mechanism: 'OAUTHBEARER',
      initialResponse: true,
    });
    expect((await pop.stat()).count).toBe(2);
    await pop.quit();
  });

  it('POP3: an expired token → Dovecot’s challenge → one refresh → success', async () => {
    const source = scriptedSource(USER, await issuer.mint(USER, { expiresIn: -120 }), await issuer.mint(USER));
    const messages = await fetchPop3(pop3s(), source, { ca: pki.ca });
    expect(source.refreshes).toBe(1);
    expect(messages).toHaveLength(2);
  });

  it('POP3: a token for another account is rejected after one refresh → ERR_AUTH_REJECTED', async () => {
    const source = scriptedSource(USER, await issuer.mint('other@example.test'), await issuer.mint('other@example.test'));
    expect(await codeOf(() => connectPop3(pop3s(), source, { ca: pki.ca }))).toBe('ERR_AUTH_REJECTED');
    expect(source.refreshes).toBe(1);
  });

  it('POP3 and IMAP: Dovecot with an untrusted certificate never receives a token', async () => {
    const source = scriptedSource(USER, await issuer.mint(USER));
    const t = transcript();
    expect(
      await codeOf(() =>
        connectPop3({ server: '127.0.0.1', port: rogue.ports.pop3, security: 'starttls', timeout: 5000 }, source, {
          ca: pki.ca,
          onTranscript: t.onTranscript,
        }),
      ),
    ).toBe('ERR_TLS');
    expect(t.client()).toEqual(['CAPA', 'STLS']);
    expect(
      await codeOf(() =>
        connectPop3({ server: '127.0.0.1', port: rogue.ports.pop3s, security: 'tls', timeout: 5000 }, source, { ca: pki.ca }),
      ),
    ).toBe('ERR_TLS');
    expect(
      await codeOf(() =>
        connectImap({ server: '127.0.0.1', port: rogue.ports.imaps, security: 'tls', timeout: 5000 }, source, { ca: pki.ca }),
      ),
    ).toBe('ERR_TLS');
    expect(
      await codeOf(() =>
        connectImap({ server: '127.0.0.1', port: rogue.ports.imap, security: 'starttls', timeout: 5000 }, source, { ca: pki.ca }),
      ),
    ).toBe('ERR_TLS');
    expect(source.calls).toBeLessThanOrEqual(4);
    expect(rogue.log()).not.toMatch(/oauth2\(/); // no authentication attempt reached Dovecot's passdb
  });

  it('IMAPS: authenticate and SELECT INBOX', async () => {
    const imap = await connectImap(
      { server: '127.0.0.1', port: dovecot.ports.imaps, security: 'tls', timeout: 5000 },
      scriptedSource(USER, await issuer.mint(USER)),
      { ca: pki.ca },
    );
    const box = await imap.mailboxOpen('INBOX');
    expect(box.exists).toBe(2);
    await imap.logout();
  });

  it('IMAP with STARTTLS: an expired token → one refresh → success', async () => {
    const source = scriptedSource(USER, await issuer.mint(USER, { expiresIn: -120 }), await issuer.mint(USER));
    const t = transcript();
    const imap = await connectImap({ server: '127.0.0.1', port: dovecot.ports.imap, security: 'starttls', timeout: 5000 }, source, {
      ca: pki.ca,
      onTranscript: t.onTranscript,
    });
    expect(source.refreshes).toBe(1);
    expect((await imap.mailboxOpen('INBOX')).exists).toBe(2);
    await imap.logout();
    const sent = t.client().join('\n');
    expect(sent.indexOf('STARTTLS')).toBeGreaterThanOrEqual(0);
    expect(sent.indexOf('STARTTLS')).toBeLessThan(sent.indexOf('AUTHENTICATE'));
    expect(sent).not.toContain('eyJ'); // no JWT (or its base64 SASL form) in the transcript
    expect(sent).not.toContain('dXNlcj');
  });

  it('IMAP: a rejected refreshed token → ERR_AUTH_REJECTED', async () => {
    const source = scriptedSource(USER, await issuer.mint('other@example.test'));
    expect(
      await codeOf(() =>
        connectImap({ server: '127.0.0.1', port: dovecot.ports.imaps, security: 'tls', timeout: 5000 }, source, { ca: pki.ca }),
      ),
    ).toBe('ERR_AUTH_REJECTED');
    expect(source.refreshes).toBe(1);
  });
});
