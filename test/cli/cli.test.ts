/**
 * The `mail-oauth` CLI as an administrator runs it, against the local peers: login (device code,
 * completed headlessly; loopback redirect), status, test, send (a PDF arrives with its name),
 * delete; `--help` for each command, `--json`, and the exit codes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dovecotStatus } from '../peers/dovecot.js';
import { completeAuthorizationCodeFlow, completeDeviceFlow } from '../peers/oidc-user.js';
import { extractAttachment, fakePdf } from '../transports/mime.js';
import { startLocalPeers, USER, type LocalPeers } from './peers.js';
import { runCli, runCli as runCliChild, runCliInProcess, type RunOptions, type RunResult } from './run.js';

const KEY = randomBytes(32).toString('hex');
const ENV = { MAIL_OAUTH_STORE_KEY: KEY };

let peers: LocalPeers;
let dir: string;

beforeAll(async () => {
  peers = await startLocalPeers();
  dir = mkdtempSync(join(tmpdir(), 'mail-oauth-cli-'));
}, 30_000);
afterAll(async () => {
  await peers?.stop();
});

function oidcLogin(store: string, page: string, port: number, security: string): string[] {
  return [
    'login',
    '--store',
    store,
    '--provider',
    'oidc',
    '--issuer',
    peers.oidc.issuer,
    '--client-id',
    peers.info.publicClient,
    '--scopes',
    'mail',
    '--account',
    USER,
    '--page',
    page,
    '--server',
    '127.0.0.1',
    '--port',
    String(port),
    '--security',
    security,
    '--ca',
    peers.caPath,
  ];
}

type Runner = (args: readonly string[], options?: RunOptions) => Promise<RunResult>;

/** Runs `login` and plays the user: enters the printed code at the provider. */
async function deviceLogin(runCli: Runner, args: string[]): Promise<RunResult> {
  let signedIn: Promise<void> | undefined;
  const result = await runCli(args, {
    env: ENV,
    onStderr: (text) => {
      const code = /Code: (\S+)/.exec(text)?.[1];
      if (code !== undefined && signedIn === undefined) signedIn = completeDeviceFlow(peers.oidc.issuer, code, USER);
    },
  });
  await signedIn;
  return result;
}

function json(result: RunResult): Record<string, unknown> {
  const lines = result.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
}

// As a user's shell runs it (a child process), and in this process, so that coverage sees the CLI.
describe.each([
  ['a child process', runCli],
  ['this process', runCliInProcess],
] as const)('mail-oauth CLI against the local peers, in %s', (where, runCli) => {
  let store: string;
  beforeAll(() => {
    store = join(dir, `oauth-${where.replace(/\W/g, '-')}.jwe`);
  });

  it('login with a device code prints the code, the address and a QR code, then holds the token', async () => {
    const result = await deviceLogin(runCli, [...oidcLogin(store, 'smtp', peers.smtp.port, 'starttls'), '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`${peers.oidc.issuer}/device`);
    expect(result.stderr).toMatch(/[▀▄█]{20,}/);
    expect(json(result)).toEqual({ ok: true, command: 'login', page: 'smtp', status: 'acquired', account: USER });
  }, 60_000);

  it('status shows the page Acquired (only --store and the key needed)', async () => {
    const result = await runCli(['status', '--store', store, '--locale', 'de'], { env: ENV });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/smtp\s+Abgerufen\s+scanner@example\.test @ 127\.0\.0\.1/);
  });

  it('test runs the connection test with a localized message', async () => {
    const result = await runCli(['test', '--store', store, '--locale', 'de', '--json'], { env: ENV });
    expect(result.code, result.stderr).toBe(0);
    expect(json(result)).toEqual({ command: 'test', page: 'smtp', ok: true, code: 'OK', message: 'Verbindungstest erfolgreich.' });
  });

  it('send delivers a file as an attachment with its name', async () => {
    const pdf = fakePdf(200_000);
    const file = join(dir, 'Scan 2026-11-29.pdf');
    writeFileSync(file, pdf);
    const arrived = peers.smtp.nextMail();
    const result = await runCli(['send', file, '--to', 'office@example.test', '--store', store], { env: ENV });
    expect(result.code, result.stderr).toBe(0);
    const mail = await arrived;
    expect(mail.to).toEqual(['office@example.test']);
    expect(extractAttachment(mail.raw, 'Scan 2026-11-29.pdf').equals(pdf)).toBe(true);
    expect(mail.raw.toString('latin1')).toMatch(/Content-Type: application\/pdf/i);
  });

  it('no token, secret or store key in any output', async () => {
    const result = await runCli(['status', '--store', store, '--json'], { env: ENV });
    const text = result.stdout + result.stderr;
    for (const token of peers.smtp.tokensSeen) expect(text).not.toContain(token);
    expect(text).not.toContain(KEY);
    expect(readFileSync(store, 'utf8')).not.toContain(USER);
  });

  it('delete removes the token: status Not Acquired, test and send fail with the administrator exit code', async () => {
    const removed = await runCli(['delete', '--store', store, '--json'], { env: ENV });
    expect(removed.code, removed.stderr).toBe(0);
    expect(json(removed)).toEqual({ ok: true, command: 'delete', pages: ['smtp'], status: 'not-acquired' });
    const status = await runCli(['status', '--store', store], { env: ENV });
    expect(status.stdout).toMatch(/smtp\s+Not Acquired/);
    const tested = await runCli(['test', '--store', store, '--json'], { env: ENV });
    expect(tested.code).toBe(2);
    expect(json(tested)).toMatchObject({ ok: false, code: 'ERR_TOKEN_NOT_ACQUIRED' });
  });

  it('login with a loopback redirect prints the URL to open and completes from the redirect', async () => {
    let done: Promise<unknown> | undefined;
    const result = await runCli(
      [...oidcLogin(store, 'smtp', peers.smtp.port, 'starttls'), '--flow', 'authorization-code', '--redirect', 'loopback'],
      {
        env: ENV,
        onStderr: (text) => {
          const url = /^\s+(http:\/\/127\.0\.0\.1:\d+\/auth\S+)$/m.exec(text)?.[1];
          const redirectUri = /redirect to (http:\/\/127\.0\.0\.1:\d+\/callback)/.exec(text)?.[1];
          if (url === undefined || redirectUri === undefined || done !== undefined) return;
          // The browser: sign in, then follow the redirect to the CLI's listener.
          done = completeAuthorizationCodeFlow(url, USER, redirectUri).then((location) => fetch(location));
        },
      },
    );
    await done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Acquired');
  }, 60_000);

  it.runIf(dovecotStatus.available)(
    'POP3 and IMAP pages: login and connection test against Dovecot',
    async () => {
      for (const [page, port] of [
        ['pop3', peers.dovecot?.ports.pop3s],
        ['imap', peers.dovecot?.ports.imaps],
      ] as const) {
        const login = await deviceLogin(runCli, oidcLogin(store, page, port ?? 0, 'tls'));
        expect(login.code, login.stderr).toBe(0);
        const tested = await runCli(['test', '--store', store, '--page', page], { env: ENV });
        expect(tested.code, tested.stderr).toBe(0);
        expect(tested.stdout).toContain('Connection test succeeded');
      }
    },
    90_000,
  );
});

describe('mail-oauth CLI: help and exit codes', () => {
  const runCli = runCliInProcess;
  const store = () => join(dir, 'oauth-this-process.jwe');

  it('the process exits with the command exit code', async () => {
    expect((await runCliChild(['frobnicate'])).code).toBe(1);
    expect((await runCliChild(['status', '--help'])).code).toBe(0);
  });

  it.each(['login', 'status', 'test', 'send', 'delete'])('%s --help describes the command and exits 0', async (command) => {
    const result = await runCli([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: mail-oauth ${command}`);
    expect(result.stdout).toContain('--store');
  });

  it('--help lists the commands and the exit codes', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/login[\s\S]*status[\s\S]*test[\s\S]*send[\s\S]*delete/);
    expect(result.stdout).toContain('4 token invalid');
  });

  it('usage errors exit 1: unknown command, unknown option, missing store key', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(1);
    expect((await runCli(['status', '--bogus'])).code).toBe(1);
    const noKey = await runCli(['status', '--store', join(tmpdir(), 'none.jwe'), '--json'], { env: { MAIL_OAUTH_STORE_KEY: '' } });
    expect(noKey.code).toBe(1);
    expect(json(noKey)).toMatchObject({ ok: false, code: 'usage' });
  });

  it('a wrong store key needs the administrator: exit 2 with the store error', async () => {
    const result = await runCli(['status', '--store', store(), '--json'], {
      env: { MAIL_OAUTH_STORE_KEY: randomBytes(32).toString('hex') },
    });
    expect(result.code).toBe(2);
    expect(json(result)).toMatchObject({ ok: false, code: 'ERR_STORE_KEY' });
  });

  it('an unreachable mail server is transient: exit 3', async () => {
    const other = join(dir, 'unreachable.jwe');
    const args = [
      'login',
      '--store',
      other,
      '--provider',
      'oidc',
      '--issuer',
      peers.oidc.issuer,
      '--client-id',
      peers.info.publicClient,
      '--scopes',
      'mail',
      '--account',
      USER,
      '--server',
      '127.0.0.1',
      '--port',
      '1',
      '--security',
      'starttls',
      '--ca',
      peers.caPath,
    ];
    let signedIn: Promise<void> | undefined;
    const login = await runCli(args, {
      env: ENV,
      onStderr: (text) => {
        const code = /Code: (\S+)/.exec(text)?.[1];
        if (code !== undefined && signedIn === undefined) signedIn = completeDeviceFlow(peers.oidc.issuer, code, USER);
      },
    });
    await signedIn;
    expect(login.code, login.stderr).toBe(0);
    const tested = await runCli(['test', '--store', other, '--json'], { env: ENV });
    expect(json(tested)).toMatchObject({ ok: false, code: 'ERR_CONNECTION' });
    expect(tested.code).toBe(3);
  }, 60_000);
});
