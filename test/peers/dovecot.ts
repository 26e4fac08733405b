/**
 * Debian's Dovecot as a test peer: renders test/peers/dovecot.conf into a temp directory,
 * starts `dovecot -F -c <tmp>/dovecot.conf` in the foreground, waits for its ports, and stops
 * it again (waiting for the old master PID to exit). POP3 (STLS and POP3S), IMAP (STARTTLS and
 * IMAPS) listen on 127.0.0.1 only; test mail is delivered by writing into the user's Maildir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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
import type { TestPki } from './ca.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Where the dovecot binary is, or undefined when it is not installed. */
export function findDovecot(): string | undefined {
  const override = process.env['DOVECOT_BIN'];
  const candidates =
    override !== undefined && override !== '' ? [override] : ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot', '/usr/bin/dovecot'];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * Whether the Dovecot tests can run. Outside CI a missing Dovecot skips them (with a message);
 * with `CI=true` the caller must fail instead.
 */
export const dovecotStatus: { available: boolean; required: boolean; message: string } = (() => {
  const bin = findDovecot();
  const required = process.env['CI'] === 'true';
  return {
    available: bin !== undefined,
    required,
    message:
      bin !== undefined
        ? `Dovecot found at ${bin}`
        : `Dovecot is not installed (apt-get install dovecot-core dovecot-pop3d dovecot-imapd): ${required ? 'required in CI' : 'skipping the Dovecot tests'}`,
  };
})();

/** A public key Dovecot uses to validate JWT access tokens locally. */
export interface DovecotKey {
  /** The JWT header `kid`. */
  kid: string;
  /** SPKI PEM public key. */
  publicKeyPem: string;
}

export interface DovecotOptions {
  pki: TestPki;
  /** Keys for local JWT validation (RS256). */
  keys: DovecotKey[];
  /** Accepted `iss` values (optional). */
  issuers?: string[];
  /** Validate tokens by POSTing them here (RFC 7662 style) instead of locally: revocation becomes visible. */
  introspectionUrl?: string;
  /** Password users (user → password) for PLAIN, LOGIN, USER/PASS and IMAP LOGIN, beside the OAuth users. No `:` or line breaks. */
  passwords?: Readonly<Record<string, string>>;
}

export interface DovecotPeer {
  dir: string;
  ports: { pop3: number; pop3s: number; imap: number; imaps: number };
  /** Adds or replaces a validation key while running. */
  addKey(key: DovecotKey): void;
  /** Delivers a message to a user's INBOX (written into `<dir>/mail/<user>/Maildir/new`). */
  deliver(to: string, message: Buffer): Promise<void>;
  /** Dovecot's log so far. */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, deadline: number, log: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dovecot exited (${child.exitCode}):\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`dovecot did not listen on ${port}:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function render(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`dovecot template: no value for ${name}`);
    return String(value);
  });
}

/** Starts Dovecot in the foreground from the repository's config template. */
export async function startDovecot(options: DovecotOptions): Promise<DovecotPeer> {
  const bin = findDovecot();
  if (bin === undefined) throw new Error(dovecotStatus.message);
  const dir = mkdtempSync(join(tmpdir(), 'mail-oauth-dovecot-'));
  chmodSync(dir, 0o755);
  for (const sub of ['run', 'state', 'mail', 'keys/default/RS256']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o755 });
  const root = process.getuid?.() === 0;
  const me = userInfo().username;
  if (root) chownSync(join(dir, 'mail'), 8, 8); // Debian's `mail` user and group
  const ports = { pop3: await freePort(), pop3s: await freePort(), imap: await freePort(), imaps: await freePort() };
  const cert = join(dir, 'server.pem');
  const key = join(dir, 'server.key');
  writeFileSync(cert, options.pki.cert, { mode: 0o644 });
  writeFileSync(key, options.pki.key, { mode: 0o600 });
  const values = {
    dir,
    cert,
    key,
    loginUser: root ? 'dovenull' : me,
    internalUser: root ? 'dovecot' : me,
    internalGroup: root ? 'dovecot' : me,
    mailUser: root ? 'mail' : me,
    mailGroup: root ? 'mail' : me,
    pop3Port: ports.pop3,
    pop3sPort: ports.pop3s,
    imapPort: ports.imap,
    imapsPort: ports.imaps,
    issuersLine: options.issuers === undefined ? '' : `issuers = ${options.issuers.join(' ')}`,
    validationLines:
      options.introspectionUrl === undefined
        ? `introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix=${dir}/keys/`
        : `introspection_mode = post\nintrospection_url = ${options.introspectionUrl}\nactive_attribute = active\nactive_value = true`,
  };
  writeFileSync(join(dir, 'dovecot.conf'), render(readFileSync(join(here, 'dovecot.conf'), 'utf8'), values));
  const passwd = Object.entries(options.passwords ?? {}).map(([user, password]) => {
    if (/[:\r\n]/.test(user + password)) throw new Error('passwd-file entries cannot contain ":" or line breaks');
    return `${user.toLowerCase()}:{PLAIN}${password}\n`;
  });
  writeFileSync(join(dir, 'passwd'), passwd.join(''), { mode: 0o644 });
  writeFileSync(join(dir, 'dovecot-oauth2.conf.ext'), render(readFileSync(join(here, 'dovecot-oauth2.conf.ext'), 'utf8'), values), {
    mode: 0o644,
  });
  const addKey = (k: DovecotKey): void => {
    if (!/^[\w.-]+$/.test(k.kid)) throw new Error('kid must be a plain file name');
    writeFileSync(join(dir, 'keys/default/RS256', k.kid), k.publicKeyPem, { mode: 0o644 });
  };
  options.keys.forEach(addKey);

  const child = spawn(bin, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const log = (): string => {
    let file = '';
    try {
      file = readFileSync(join(dir, 'dovecot.log'), 'utf8');
    } catch {
      // not yet written
    }
    return output + file;
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = Date.now() + 10_000;
    for (const port of Object.values(ports)) await waitForPort(port, child, deadline, log);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }

  return {
    dir,
    ports,
    addKey,
    log,
    deliver: async (to, message) => deliverToMaildir(join(dir, 'mail', to.toLowerCase()), message, root),
    async stop() {
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

let sequence = 0;

/** Writes a message into a Maildir the way an MDA does (tmp/ then rename into new/). */
function deliverToMaildir(home: string, message: Buffer, root: boolean): void {
  if (!/^[^/\0]+$/.test(home.split('/').at(-1) ?? '')) throw new Error('bad user');
  const maildir = join(home, 'Maildir');
  for (const sub of ['', 'cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true, mode: 0o700 });
  const name = `${Date.now()}.M${process.pid}P${++sequence}.mail-oauth-test`;
  writeFileSync(join(maildir, 'tmp', name), message, { mode: 0o600 });
  renameSync(join(maildir, 'tmp', name), join(maildir, 'new', name));
  if (root)
    for (const path of [home, maildir, ...['cur', 'new', 'tmp'].map((s) => join(maildir, s)), join(maildir, 'new', name)])
      chownSync(path, 8, 8);
}
