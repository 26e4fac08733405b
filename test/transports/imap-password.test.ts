/**
 * IMAP password authentication: `login` = the IMAP LOGIN command and `plain` = AUTHENTICATE PLAIN
 * (RFC 4616), against Dovecot's passwd-file passdb; TLS first, the password never in a transcript
 * or an error.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailCredentials } from '../../src/transports/credentials.js';
import { connectImap } from '../../src/transports/imap.js';
import { testConnection } from '../../src/transports/connection-test.js';
import { testPki } from '../peers/ca.js';
import { dovecotStatus, startDovecot, type DovecotPeer } from '../peers/dovecot.js';
import { codeOf, transcript } from './helpers.js';

const USER = 'archive@example.test';
const PASSWORD = 'imap password 4 archive';

function password(method: 'plain' | 'login', secret = PASSWORD): MailCredentials {
  return { method, user: USER, password: async () => secret };
}

it.runIf(!dovecotStatus.available && dovecotStatus.required)('Dovecot is installed (required with CI=true)', () => {
  throw new Error(dovecotStatus.message);
});

describe.skipIf(!dovecotStatus.available)('IMAP with a password against Dovecot', () => {
  const pki = testPki();
  let dovecot: DovecotPeer;

  beforeAll(async () => {
    dovecot = await startDovecot({ pki, keys: [], passwords: { [USER]: PASSWORD } });
    await dovecot.deliver(USER, Buffer.from(`From: a@example.test\r\nTo: ${USER}\r\nSubject: archived\r\n\r\nhello\r\n`));
  });
  afterAll(async () => {
    await dovecot?.stop();
  });

  const starttls = () => ({ server: '127.0.0.1', port: dovecot.ports.imap, security: 'starttls' as const, timeout: 5000 });

  it.each(['login', 'plain'] as const)(
    '%s: signs in after STARTTLS and reads INBOX; the password never appears in the transcript',
    async (method) => {
      const t = transcript();
      const imap = await connectImap(starttls(), password(method), { ca: pki.ca, onTranscript: t.onTranscript });
      try {
        const box = await imap.mailboxOpen('INBOX');
        expect(box.exists).toBe(1);
      } finally {
        await imap.logout();
      }
      const sent = t.client().join('\n');
      expect(sent).toMatch(method === 'login' ? /\bLOGIN\b/ : /AUTHENTICATE PLAIN/);
      expect(sent.indexOf('STARTTLS')).toBeGreaterThanOrEqual(0);
      expect(JSON.stringify(t.entries)).not.toContain(PASSWORD);
      expect(JSON.stringify(t.entries)).not.toContain(Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64'));
    },
  );

  it('a wrong password is ERR_PASSWORD_REJECTED, with no secret in the error', async () => {
    const err = await connectImap(starttls(), password('login', 'not the password'), { ca: pki.ca }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('ERR_PASSWORD_REJECTED');
    expect(inspect(err, { depth: 10 }) + JSON.stringify(err)).not.toContain('not the password');
  });

  it('the connection test runs for a password page', async () => {
    const result = await testConnection('imap', starttls(), password('plain'), { ca: pki.ca });
    expect(result.code).toBe('OK');
  });

  it('`none` is refused before any connection', async () => {
    expect(await codeOf(() => connectImap(starttls(), { method: 'none' }, { ca: pki.ca }))).toBe('ERR_INVALID_AUTH_METHOD');
  });
});
