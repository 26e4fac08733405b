/**
 * A throw-away test CA, made at setup with the openssl CLI: a server certificate for
 * `IP:127.0.0.1, IP:::1, DNS:localhost` signed by it, and a second, untrusted CA with a server
 * certificate of the same names (for "untrusted certificate" tests).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  /** Directory holding the PEM files. */
  dir: string;
  /** The CA certificate clients must trust. */
  ca: string;
  /** Server certificate (signed by `ca`) and key. */
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
  /** A server certificate of the same names signed by a CA nobody trusts. */
  untrusted: { cert: string; key: string; ca: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '3',
      '-keyout',
      `${name}-ca.key`,
      '-out',
      `${name}-ca.pem`,
      '-subj',
      `/CN=mail-oauth ${name} test CA`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}-server.key`,
      '-out',
      `${name}-server.csr`,
      '-subj',
      '/CN=localhost',
    ],
    dir,
  );
  writeFileSync(
    join(dir, `${name}-ext.cnf`),
    'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}-server.csr`,
      '-CA',
      `${name}-ca.pem`,
      '-CAkey',
      `${name}-ca.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}-server.pem`,
      '-extfile',
      `${name}-ext.cnf`,
    ],
    dir,
  );
}

let cached: TestPki | undefined;

/** Makes (once per process) the test CA and certificates. */
export function testPki(): TestPki {
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'mail-oauth-pki-'));
  makeCa(dir, 'trusted');
  makeCa(dir, 'rogue');
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
  cached = {
    dir,
    ca: read('trusted-ca.pem'),
    cert: read('trusted-server.pem'),
    key: read('trusted-server.key'),
    certPath: join(dir, 'trusted-server.pem'),
    keyPath: join(dir, 'trusted-server.key'),
    untrusted: { cert: read('rogue-server.pem'), key: read('rogue-server.key'), ca: read('rogue-ca.pem') },
  };
  return cached;
}
