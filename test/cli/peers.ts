/**
 * The local peers the CLI and the examples run against: the oidc-provider authorization server,
 * smtp-server (STARTTLS) and, when installed, Dovecot — all on 127.0.0.1 with the test CA.
 * Run directly (`node --import tsx test/cli/peers.ts <file>`), it starts them, writes their
 * addresses as JSON to <file>, completes device-code sign-ins whose user code is written to
 * `<file>.code`, and stops on SIGTERM: scripts/check-cli.sh uses it that way.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { testPki } from '../peers/ca.js';
import { dovecotStatus, startDovecot, type DovecotPeer } from '../peers/dovecot.js';
import { CLIENTS, CONFIDENTIAL_SECRET, startOidcServer, type OidcServer } from '../peers/oidc-server.js';
import { startSmtpPeer, type SmtpPeer } from '../peers/smtp-server.js';

export const USER = 'scanner@example.test';
export const LOOPBACK_REDIRECT = 'http://127.0.0.1/callback';

export interface LocalPeers {
  oidc: OidcServer;
  smtp: SmtpPeer;
  dovecot: DovecotPeer | undefined;
  caPath: string;
  /** Addresses for child processes (env variables and CLI options). */
  info: {
    issuer: string;
    publicClient: string;
    confidentialClient: string;
    confidentialSecret: string;
    smtpPort: number;
    pop3Port?: number;
    imapPort?: number;
    caPath: string;
    user: string;
  };
  stop(): Promise<void>;
}

export async function startLocalPeers(options: { dovecot?: boolean } = {}): Promise<LocalPeers> {
  const pki = testPki();
  const oidc = await startOidcServer({ redirectUris: [LOOPBACK_REDIRECT] });
  const wantDovecot = options.dovecot !== false && dovecotStatus.available;
  const [smtp, dovecot] = await Promise.all([
    startSmtpPeer({ mode: 'starttls', key: pki.key, cert: pki.cert, publicKeyPems: [oidc.publicKeyPem], issuer: oidc.issuer }),
    wantDovecot ? startDovecot({ pki, keys: [{ kid: oidc.kid, publicKeyPem: oidc.publicKeyPem }] }) : Promise.resolve(undefined),
  ]);
  const caPath = `${pki.dir}/cli-ca.pem`;
  writeFileSync(caPath, pki.ca);
  const info: LocalPeers['info'] = {
    issuer: oidc.issuer,
    publicClient: CLIENTS.public,
    confidentialClient: CLIENTS.confidential,
    confidentialSecret: CONFIDENTIAL_SECRET,
    smtpPort: smtp.port,
    caPath,
    user: USER,
  };
  if (dovecot !== undefined) {
    info.pop3Port = dovecot.ports.pop3s;
    info.imapPort = dovecot.ports.imaps;
  }
  return {
    oidc,
    smtp,
    dovecot,
    caPath,
    info,
    stop: async () => {
      await Promise.all([smtp.close(), oidc.close(), dovecot?.stop()]);
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: peers.ts <info.json>');
  const peers = await startLocalPeers();
  const { completeDeviceFlow } = await import('../peers/oidc-user.js');
  const mails: string[] = [];
  peers.smtp.mails.length = 0;
  const done = new Set<string>();
  // The headless user: approves each user code a script leaves in <file>.code.
  const timer = setInterval(() => {
    const codeFile = `${file}.code`;
    if (!existsSync(codeFile)) return;
    const code = readFileSync(codeFile, 'utf8').trim();
    if (code === '' || done.has(code)) return;
    done.add(code);
    void completeDeviceFlow(peers.oidc.issuer, code, USER).catch((err: unknown) => console.error('sign-in failed:', err));
  }, 200);
  const writeInfo = (): void => {
    mails.splice(0, mails.length, ...peers.smtp.mails.map((m) => m.raw.toString('latin1')));
    writeFileSync(file, JSON.stringify({ ...peers.info, mails }));
  };
  writeInfo();
  const mailTimer = setInterval(writeInfo, 200);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    clearInterval(mailTimer);
    void peers.stop().then(() => process.exit(0));
  });
}
