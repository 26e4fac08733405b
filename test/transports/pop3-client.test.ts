import { afterEach, describe, expect, it } from 'vitest';
import { createPop3Poller, fetchPop3 } from '../../src/transports/pop3/mailbox.js';
import { connectPop3, Pop3Client } from '../../src/transports/pop3/client.js';
import { TokenStateError } from '../../src/errors.js';
import { testPki } from '../peers/ca.js';
import { startFakePop3, type FakePop3 } from '../peers/pop3-fake.js';
import { codeOf, scriptedSource, transcript } from './helpers.js';

const pki = testPki();
const servers: FakePop3[] = [];
async function server(options: Parameters<typeof startFakePop3>[0]): Promise<FakePop3> {
  const s = await startFakePop3(options);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const messages = [Buffer.from('Subject: one\r\n\r\nhello\r\n.hidden dot\r\n..two\r\n'), Buffer.from('Subject: two\r\n\r\nsecond\r\n')];

describe('POP3 client against a scripted server', () => {
  it('STLS, two-step XOAUTH2, STAT, LIST, UIDL, RETR with unstuffing, DELE, QUIT', async () => {
    const fake = await server({ tls: pki, messages });
    const t = transcript();
    const pop = await connectPop3(
      { server: '127.0.0.1', port: fake.port, security: 'starttls' },
      scriptedSource('u@example.com', 'good-token'),
      {
        ca: pki.ca,
        onTranscript: t.onTranscript,
      },
    );
    expect(pop.secure).toBe(true);
    expect(await pop.stat()).toEqual({ count: 2, size: messages[0]!.length + messages[1]!.length });
    expect(await pop.list()).toEqual([
      { id: 1, size: messages[0]!.length },
      { id: 2, size: messages[1]!.length },
    ]);
    expect(await pop.uidl()).toEqual([
      { id: 1, uid: 'uid-1' },
      { id: 2, uid: 'uid-2' },
    ]);
    const [a, b] = await Promise.all([pop.retr(1), pop.retr(2)]); // queued
    expect(a.equals(messages[0]!)).toBe(true);
    expect(b.equals(messages[1]!)).toBe(true);
    await pop.dele(1);
    await pop.quit();
    expect(t.client()).toEqual([
      'CAPA',
      'STLS',
      'CAPA',
      'AUTH XOAUTH2',
      '/* secret */',
      'STAT',
      'LIST',
      'UIDL',
      'RETR 1',
      'RETR 2',
      'DELE 1',
      'QUIT',
    ]);
    expect(JSON.stringify(t.entries)).not.toContain('good-token');
  });

  it('implicit TLS with the initial response and OAUTHBEARER', async () => {
    const fake = await server({ tls: pki, implicitTls: true, messages, sasl: ['OAUTHBEARER'] });
    const t = transcript();
    const pop = await connectPop3(
      { server: '127.0.0.1', port: fake.port, security: 'tls' },
      scriptedSource('u@example.com', 'good-token'),
      {
        ca: pki.ca,
        initialResponse: true,
        onTranscript: t.onTranscript,
      },
    );
    expect((await pop.stat()).count).toBe(2);
    await pop.quit();
    expect(t.client()).toContain('AUTH OAUTHBEARER /* secret */');
  });

  it('expired token → challenge answered with an empty line → one refresh → success', async () => {
    const fake = await server({ tls: pki, implicitTls: true, messages });
    const source = scriptedSource('u@example.com', 'expired-token', 'good-token');
    const t = transcript();
    const pop = await connectPop3({ server: '127.0.0.1', port: fake.port, security: 'tls' }, source, {
      ca: pki.ca,
      onTranscript: t.onTranscript,
    });
    expect(source.refreshes).toBe(1);
    expect(fake.tokensSeen).toEqual(['expired-token', 'good-token']);
    expect(t.client()).toEqual(['CAPA', 'AUTH XOAUTH2', '/* secret */', '', 'AUTH XOAUTH2', '/* secret */']);
    await pop.quit();
  });

  it('a token rejected after the refresh fails with ERR_AUTH_REJECTED, refreshing only once', async () => {
    const fake = await server({ tls: pki, implicitTls: true });
    const source = scriptedSource('u@example.com', 'bad-1', 'bad-2');
    expect(await codeOf(() => connectPop3({ server: '127.0.0.1', port: fake.port, security: 'tls' }, source, { ca: pki.ca }))).toBe(
      'ERR_AUTH_REJECTED',
    );
    expect(source.refreshes).toBe(1);
  });

  it('an error of the token source passes through unchanged', async () => {
    const fake = await server({ tls: pki, implicitTls: true });
    const source = scriptedSource('u@example.com', 'bad');
    source.refreshAfterRejection = async () => {
      throw new TokenStateError('ERR_TOKEN_REFRESH_FAILED', 'refresh failed', { kind: 'definite' });
    };
    expect(await codeOf(() => connectPop3({ server: '127.0.0.1', port: fake.port, security: 'tls' }, source, { ca: pki.ca }))).toBe(
      'ERR_TOKEN_REFRESH_FAILED',
    );
  });

  it('refuses a token with CR/LF before anything is sent', async () => {
    const fake = await server({ tls: pki, implicitTls: true });
    const t = transcript();
    expect(
      await codeOf(() =>
        connectPop3({ server: '127.0.0.1', port: fake.port, security: 'tls' }, scriptedSource('u@example.com', 'tok\r\nDELE 1'), {
          ca: pki.ca,
          onTranscript: t.onTranscript,
        }),
      ),
    ).toBe('ERR_SASL_INVALID_INPUT');
    expect(t.client().some((l) => l.startsWith('AUTH'))).toBe(false);
  });

  it('server without STLS → refused before AUTH, proved from the client transcript', async () => {
    const fake = await server({ messages }); // no TLS at all
    const t = transcript();
    const source = scriptedSource('u@example.com', 'good-token');
    expect(
      await codeOf(() =>
        connectPop3({ server: '127.0.0.1', port: fake.port, security: 'starttls' }, source, { onTranscript: t.onTranscript }),
      ),
    ).toBe('ERR_TLS_REQUIRED');
    expect(t.client()).toEqual(['CAPA']);
    expect(source.calls).toBe(0);
    expect(fake.tokensSeen).toEqual([]);
    // security 'none' is refused too, unless plaintext is explicitly allowed
    expect(await codeOf(() => connectPop3({ server: '127.0.0.1', port: fake.port, security: 'none' }, source))).toBe('ERR_TLS_REQUIRED');
    // allowPlaintext never downgrades a required STLS (RFC 2595 §2.2, RFC 8314): nothing after CAPA
    const downgrade = transcript();
    expect(
      await codeOf(() =>
        connectPop3({ server: '127.0.0.1', port: fake.port, security: 'starttls' }, source, {
          allowPlaintext: true,
          onTranscript: downgrade.onTranscript,
        }),
      ),
    ).toBe('ERR_TLS_REQUIRED');
    expect(downgrade.client()).toEqual(['CAPA']);
    expect(source.calls).toBe(0);
    expect(fake.tokensSeen).toEqual([]);
    // it applies to security 'none' on a loopback host only
    const pop = await connectPop3({ server: '127.0.0.1', port: fake.port, security: 'none' }, source, { allowPlaintext: true });
    expect((await pop.stat()).count).toBe(2);
    await pop.quit();
  });

  it('STLS refused by the server → ERR_TLS_REQUIRED before AUTH', async () => {
    const fake = await server({ stls: true, messages }); // announces STLS, has no certificate → -ERR
    const t = transcript();
    expect(
      await codeOf(() =>
        connectPop3({ server: '127.0.0.1', port: fake.port, security: 'starttls' }, scriptedSource('u', 'good-token'), {
          onTranscript: t.onTranscript,
        }),
      ),
    ).toBe('ERR_TLS_REQUIRED');
    expect(t.client()).toEqual(['CAPA', 'STLS']);
    const allowed = transcript();
    expect(
      await codeOf(() =>
        connectPop3({ server: '127.0.0.1', port: fake.port, security: 'starttls' }, scriptedSource('u', 'good-token'), {
          allowPlaintext: true,
          onTranscript: allowed.onTranscript,
        }),
      ),
    ).toBe('ERR_TLS_REQUIRED');
    expect(allowed.client()).toEqual(['CAPA', 'STLS']);
    expect(fake.tokensSeen).toEqual([]);
  });

  it('untrusted certificate after STLS or on implicit TLS → ERR_TLS, no token sent', async () => {
    const rogue = { key: pki.untrusted.key, cert: pki.untrusted.cert };
    const starttls = await server({ tls: rogue });
    const implicit = await server({ tls: rogue, implicitTls: true });
    const source = scriptedSource('u@example.com', 'good-token');
    expect(
      await codeOf(() => connectPop3({ server: '127.0.0.1', port: starttls.port, security: 'starttls' }, source, { ca: pki.ca })),
    ).toBe('ERR_TLS');
    expect(await codeOf(() => connectPop3({ server: '127.0.0.1', port: implicit.port, security: 'tls' }, source, { ca: pki.ca }))).toBe(
      'ERR_TLS',
    );
    expect(source.calls).toBe(0);
    expect(starttls.tokensSeen).toEqual([]);
    expect(implicit.tokensSeen).toEqual([]);
    // the trusted certificate verifies by DNS name too
    const good = await server({ tls: pki, implicitTls: true });
    expect(await codeOf(() => Pop3Client.connect({ server: 'localhost', port: good.port, security: 'tls' }, { ca: pki.ca }))).toBe(
      'no error',
    );
  });

  it('maps refused connections and unknown hosts to codes', async () => {
    const fake = await server({});
    const port = fake.port;
    await fake.close();
    expect(await codeOf(() => Pop3Client.connect({ server: '127.0.0.1', port, security: 'none' }))).toBe('ERR_CONNECTION');
    expect(await codeOf(() => Pop3Client.connect({ server: 'does-not-exist.invalid', port: 1, security: 'none' }))).toBe('ERR_DNS');
  });

  it('fetchPop3 skips known UIDs and deletes fetched mail', async () => {
    const fake = await server({ tls: pki, implicitTls: true, messages });
    const settings = { server: '127.0.0.1', port: fake.port, security: 'tls' as const };
    const got = await fetchPop3(settings, scriptedSource('u', 'good-token'), {
      ca: pki.ca,
      isKnown: (uid) => uid === 'uid-1',
      deleteAfterFetch: true,
    });
    expect(got.map((m) => m.uid)).toEqual(['uid-2']);
    expect(fake.received).toContain('DELE 2');
    expect(fake.received).not.toContain('DELE 1');
  });

  it('the poller checks every checkInterval on the injected clock and stops', async () => {
    const fake = await server({ tls: pki, implicitTls: true, messages });
    const timers: Array<{ fn: () => void; at: number; id: number }> = [];
    let now = 0;
    let nextId = 0;
    const clock = {
      now: () => now,
      setTimeout: (fn: (...args: unknown[]) => void, ms: number) => {
        const id = ++nextId;
        timers.push({ fn, at: now + ms, id });
        return id;
      },
      clearTimeout: (id: unknown) => {
        const i = timers.findIndex((t) => t.id === id);
        if (i >= 0) timers.splice(i, 1);
      },
    };
    // Timeouts of the connection itself run on the real clock here; only the poller uses the fake one.
    const batches: number[] = [];
    const poller = createPop3Poller(
      { server: '127.0.0.1', port: fake.port, security: 'tls', checkInterval: 60_000 },
      scriptedSource('u', 'good-token'),
      {
        ca: pki.ca,
        clock,
        onMessages: (m) => void batches.push(m.length),
      },
    );
    const pollerTimers = (): typeof timers => timers.filter((t) => t.at - now >= 0 && (t.at === now || t.at - now === 60_000));
    const fire = async (): Promise<void> => {
      const t = pollerTimers().sort((x, y) => x.at - y.at)[0];
      if (t === undefined) throw new Error('no poller timer');
      timers.splice(timers.indexOf(t), 1);
      now = t.at;
      t.fn();
      await poller.checkNow();
    };
    poller.start();
    expect(poller.running).toBe(true);
    await fire();
    expect(batches).toEqual([2]);
    expect(pollerTimers().some((t) => t.at === now + 60_000)).toBe(true);
    await fire();
    expect(batches).toEqual([2, 2]);
    await poller.stop();
    expect(poller.running).toBe(false);
    expect(pollerTimers().filter((t) => t.at === now + 60_000)).toEqual([]);
  });
});
