/**
 * POP3 password authentication: `login` = USER/PASS (RFC 1939) and `plain` = AUTH PLAIN
 * (RFC 4616/5034) against Dovecot's passwd-file passdb (beside its OAuth passdb), plus the rules
 * tokens follow too: TLS first, secrets never in a transcript, a log line or an error.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailCredentials } from '../../src/transports/credentials.js';
import { connectPop3 } from '../../src/transports/pop3/client.js';
import { fetchPop3 } from '../../src/transports/pop3/mailbox.js';
import { testConnection } from '../../src/transports/connection-test.js';
import { buildPlain } from '../../src/sasl/plain.js';
import { testPki } from '../peers/ca.js';
import { dovecotStatus, startDovecot, type DovecotPeer } from '../peers/dovecot.js';
import { startFakePop3 } from '../peers/pop3-fake.js';
import { codeOf, transcript } from './helpers.js';

const USER = 'frontdesk@example.test';
const PASSWORD = 'correct horse battery staple';

function password(method: 'plain' | 'login', secret = PASSWORD, user = USER): MailCredentials {
  return { method, user, password: async () => secret };
}

function recordingLogger(): {
  lines: string[];
  logger: Record<'debug' | 'info' | 'warn' | 'error', (msg: string, fields?: object) => void>;
} {
  const lines: string[] = [];
  const log = (msg: string, fields?: object): void => void lines.push(`${msg} ${JSON.stringify(fields ?? {})}`);
  return { lines, logger: { debug: log, info: log, warn: log, error: log } };
}

it.runIf(!dovecotStatus.available && dovecotStatus.required)('Dovecot is installed (required with CI=true)', () => {
  throw new Error(dovecotStatus.message);
});

describe.skipIf(!dovecotStatus.available)('POP3 with a password against Dovecot', () => {
  const pki = testPki();
  let dovecot: DovecotPeer;

  beforeAll(async () => {
    dovecot = await startDovecot({ pki, keys: [], passwords: { [USER]: PASSWORD } });
    await dovecot.deliver(USER, Buffer.from(`From: a@example.test\r\nTo: ${USER}\r\nSubject: one\r\n\r\nhello\r\n.dot line\r\n`));
    await dovecot.deliver(USER, Buffer.from(`From: a@example.test\r\nTo: ${USER}\r\nSubject: two\r\n\r\nworld\r\n`));
  });
  afterAll(async () => {
    await dovecot?.stop();
  });

  const stls = () => ({ server: '127.0.0.1', port: dovecot.ports.pop3, security: 'starttls' as const, timeout: 5000 });
  const pop3s = () => ({ server: '127.0.0.1', port: dovecot.ports.pop3s, security: 'tls' as const, timeout: 5000 });

  it('login = USER/PASS after STLS; fetches both messages; the password is only ever "/* secret */"', async () => {
    const t = transcript();
    const { lines, logger } = recordingLogger();
    const messages = await fetchPop3(stls(), password('login'), { ca: pki.ca, onTranscript: t.onTranscript, logger });
    expect(messages.map((m) => m.content.toString())).toEqual([
      expect.stringContaining('Subject: one'),
      expect.stringContaining('Subject: two'),
    ]);
    expect(messages[0]!.content.toString()).toContain('\r\n.dot line\r\n');
    const sent = t.client();
    expect(sent.slice(0, 5)).toEqual(['CAPA', 'STLS', 'CAPA', `USER ${USER}`, 'PASS /* secret */']);
    expect(sent.some((l) => l.startsWith('AUTH'))).toBe(false);
    expect(JSON.stringify(t.entries) + lines.join('\n')).not.toContain(PASSWORD);
  });

  it('plain = AUTH PLAIN, two-step and with the initial response; never USER/PASS', async () => {
    for (const initialResponse of [false, true]) {
      const t = transcript();
      const pop = await connectPop3(pop3s(), password('plain'), { ca: pki.ca, onTranscript: t.onTranscript, initialResponse });
      expect((await pop.stat()).count).toBe(2);
      await pop.quit();
      const sent = t.client();
      expect(sent.slice(1, initialResponse ? 2 : 3)).toEqual(
        initialResponse ? ['AUTH PLAIN /* secret */'] : ['AUTH PLAIN', '/* secret */'],
      );
      expect(sent.some((l) => l.startsWith('USER') || l.startsWith('PASS'))).toBe(false);
      expect(JSON.stringify(t.entries)).not.toContain(buildPlain(USER, PASSWORD));
    }
  });

  it('a wrong password is ERR_PASSWORD_REJECTED (both methods) and the error carries no password', async () => {
    const wrong = 'wrong-password-4711';
    for (const method of ['login', 'plain'] as const) {
      let error: unknown;
      await connectPop3(pop3s(), password(method, wrong), { ca: pki.ca }).catch((err: unknown) => (error = err));
      expect((error as { code?: string }).code).toBe('ERR_PASSWORD_REJECTED');
      const shown = `${String(error)} ${JSON.stringify(error)} ${inspect(error, { depth: 5 })}`;
      expect(shown).not.toContain(wrong);
      expect(shown).not.toContain(buildPlain(USER, wrong));
    }
  });

  it('refuses to send a password without TLS unless plaintext is allowed (loopback tests)', async () => {
    const plainText = { server: '127.0.0.1', port: dovecot.ports.pop3, security: 'none' as const, timeout: 5000 };
    for (const method of ['login', 'plain'] as const) {
      const t = transcript();
      expect(await codeOf(() => connectPop3(plainText, password(method), { onTranscript: t.onTranscript }))).toBe('ERR_TLS_REQUIRED');
      expect(t.client().some((l) => /^(USER|PASS|AUTH)/.test(l))).toBe(false);
    }
    const pop = await connectPop3(plainText, password('login'), { allowPlaintext: true });
    expect((await pop.stat()).count).toBe(2);
    await pop.quit();
  });

  it('the connection test runs with a password and reports a refused one', async () => {
    expect(await testConnection('pop3', pop3s(), password('login'), { ca: pki.ca })).toEqual({ ok: true, code: 'OK' });
    const failed = await testConnection('pop3', pop3s(), password('plain', 'nope-nope'), { ca: pki.ca });
    expect(failed.code).toBe('ERR_PASSWORD_REJECTED');
  });

  it('the passwd-file passdb sits beside the OAuth one: PLAIN is offered with XOAUTH2 and OAUTHBEARER', async () => {
    const pop = await connectPop3(pop3s(), { method: 'login', user: USER, password: async () => PASSWORD }, { ca: pki.ca });
    expect(pop.capabilities.sasl).toEqual(expect.arrayContaining(['XOAUTH2', 'OAUTHBEARER', 'PLAIN']));
    await pop.quit();
  });
});

describe('POP3 password: secrets the server echoes', () => {
  it('redacts a password a hostile server echoes back in its refusal', async () => {
    const secret = 'echo-me-if-you-can';
    const fake = await startFakePop3({
      override: (command, socket) => {
        if (command.startsWith('USER')) socket.write('+OK\r\n');
        else if (command.startsWith('PASS')) socket.write(`-ERR [AUTH] bad password ${command.slice(5)}\r\n`);
        else return false;
        return true;
      },
    });
    try {
      const t = transcript();
      let error: unknown;
      await connectPop3({ server: '127.0.0.1', port: fake.port, security: 'none', timeout: 5000 }, password('login', secret), {
        allowPlaintext: true,
        onTranscript: t.onTranscript,
      }).catch((err: unknown) => (error = err));
      expect((error as { code?: string }).code).toBe('ERR_PASSWORD_REJECTED');
      expect(`${JSON.stringify(error)} ${inspect(error)} ${JSON.stringify(t.entries)}`).not.toContain(secret);
      expect((error as { response?: string }).response).toBe('-ERR [AUTH] bad password /* secret */');
    } finally {
      await fake.close();
    }
  });

  it('refuses a password with CR/LF before anything is sent', async () => {
    const fake = await startFakePop3();
    try {
      expect(
        await codeOf(() =>
          connectPop3({ server: '127.0.0.1', port: fake.port, security: 'none', timeout: 5000 }, password('login', 'a\r\nDELE 1'), {
            allowPlaintext: true,
          }),
        ),
      ).toBe('ERR_SASL_INVALID_INPUT');
      expect(fake.received.some((l) => l.startsWith('USER') || l.startsWith('DELE'))).toBe(false);
    } finally {
      await fake.close();
    }
  });
});
