/**
 * A throw-away certificate authority for the demo's mail servers, made with the openssl CLI at
 * start: the servers speak real TLS and the device verifies them against this CA (the `ca`
 * option), as it would a company CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The demo CA and a server certificate for `127.0.0.1`, `::1` and `localhost`. */
export interface DemoPki {
  /** CA certificate (PEM) the device trusts. */
  ca: string;
  /** Server certificate (PEM). */
  cert: string;
  /** Server private key (PEM). */
  key: string;
}

/** Creates the CA and server certificate; the files are removed again, only the PEM texts are kept. */
export function createDemoPki(): DemoPki {
  const dir = mkdtempSync(join(tmpdir(), 'mail-oauth-demo-pki-'));
  const openssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl([
      'req',
      '-x509',
      ...ec,
      '-days',
      '7',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-subj',
      '/CN=mail-oauth demo CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
    writeFileSync(
      join(dir, 'ext.cnf'),
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
    );
    openssl([
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '7',
      '-out',
      'server.pem',
      '-extfile',
      'ext.cnf',
    ]);
    const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
    return { ca: read('ca.pem'), cert: read('server.pem'), key: read('server.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
