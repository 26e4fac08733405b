/**
 * Debian's Dovecot as the demo's POP3 server, when installed: run in the foreground from
 * peers/dovecot.conf in a temp directory, checking tokens at the demo issuer. Mail is delivered
 * by writing into the mailbox's Maildir, as an MDA does.
 */
import { spawn } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoPki } from './pki.js';
import type { DemoMailbox } from './mailbox.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Debian's `mail` user and group, which own the Maildirs when Dovecot runs as root. */
const MAIL_ID = 8;

/** The Dovecot binary, or `undefined` when it is not installed (`DOVECOT_BIN` overrides). */
export function findDovecot(): string | undefined {
  const override = process.env['DOVECOT_BIN'];
  for (const candidate of override ? [override] : ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot']) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts Dovecot (POP3S) on 127.0.0.1 for the demo's mailboxes. */
export async function startDovecotPop3(bin: string, pki: DemoPki, introspectionUrl: string): Promise<DemoMailbox> {
  const dir = mkdtempSync(join(tmpdir(), 'mail-oauth-demo-dovecot-'));
  chmodSync(dir, 0o755);
  for (const sub of ['run', 'state', 'mail']) mkdirSync(join(dir, sub), { mode: 0o755 });
  const root = process.getuid?.() === 0;
  if (root) chownSync(join(dir, 'mail'), MAIL_ID, MAIL_ID);
  const me = userInfo().username;
  const pop3sPort = await freePort();
  const values: Record<string, string> = {
    dir,
    loginUser: root ? 'dovenull' : me,
    internalUser: root ? 'dovecot' : me,
    internalGroup: root ? 'dovecot' : me,
    mailUser: root ? 'mail' : me,
    mailGroup: root ? 'mail' : me,
    pop3sPort: String(pop3sPort),
  };
  const config = readFileSync(join(here, 'dovecot.conf'), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name] ?? '');
  writeFileSync(join(dir, 'dovecot.conf'), config);
  writeFileSync(
    join(dir, 'oauth2.conf.ext'),
    `introspection_mode = post\nintrospection_url = ${introspectionUrl}\nactive_attribute = active\nactive_value = true\nusername_attribute = email\n`,
    { mode: 0o644 },
  );
  writeFileSync(join(dir, 'server.pem'), pki.cert, { mode: 0o644 });
  writeFileSync(join(dir, 'server.key'), pki.key, { mode: 0o600 });

  const child = spawn(bin, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await listening(pop3sPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      let log = '';
      try {
        log = readFileSync(join(dir, 'dovecot.log'), 'utf8');
      } catch {
        // not written
      }
      throw new Error(`Dovecot did not start:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  let sequence = 0;
  return {
    kind: 'dovecot',
    pop3sPort,
    async deliver(account, message) {
      const name = account.toLowerCase();
      if (!/^[^/\0\s]+@[^/\0\s]+$/.test(name)) throw new Error('not a mailbox name');
      const home = join(dir, 'mail', name);
      const maildir = join(home, 'Maildir');
      for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true, mode: 0o700 });
      const file = `${Date.now()}.M${process.pid}P${++sequence}.mail-oauth-demo`;
      writeFileSync(join(maildir, 'tmp', file), message, { mode: 0o600 });
      renameSync(join(maildir, 'tmp', file), join(maildir, 'new', file));
      if (root)
        for (const path of [home, maildir, ...['cur', 'new', 'tmp'].map((s) => join(maildir, s)), join(maildir, 'new', file)])
          chownSync(path, MAIL_ID, MAIL_ID);
    },
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
