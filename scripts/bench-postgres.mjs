// Renewals and cached accessToken() reads per second: postgresStore vs fileStore, from dist/.
//   npm run build && node scripts/bench-postgres.mjs            (starts a private cluster; needs PostgreSQL's initdb)
//   DATABASE_URL=postgres://… node scripts/bench-postgres.mjs   (uses that database; creates one table)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createMailOAuth, fileStore, oidc } from '../dist/index.js';
import { postgresStore } from '../dist/postgres/index.js';

import { size } from './lib/bench-stats.mjs';

const RENEWALS = Number(process.env.RENEWALS ?? size(300, 5));
const READS = Number(process.env.READS ?? size(200_000, 1_000));
const GETS = Number(process.env.GETS ?? size(2_000, 20));

async function privateCluster() {
  const bin = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'].find(
    (dir) => spawnSync('test', ['-x', join(dir, 'initdb')]).status === 0,
  );
  if (bin === undefined) throw new Error('set DATABASE_URL or install PostgreSQL');
  const dir = mkdtempSync(join(tmpdir(), 'mail-oauth-bench-pg-'));
  const user = {};
  if (userInfo().uid === 0) {
    Object.assign(user, {
      uid: Number(spawnSync('id', ['-u', 'postgres']).stdout),
      gid: Number(spawnSync('id', ['-g', 'postgres']).stdout),
      env: { PATH: process.env.PATH, HOME: dir },
    });
    chownSync(dir, user.uid, user.gid);
  }
  const init = spawnSync(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync'], {
    cwd: dir,
    ...user,
  });
  if (init.status !== 0) throw new Error(String(init.stderr));
  const probe = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port } = probe.address();
  probe.close();
  // Durable as in production: fsync on (the default).
  const server = spawn(
    join(bin, 'postgres'),
    ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
    { cwd: dir, stdio: 'ignore', ...user },
  );
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  for (let i = 0; ; i++) {
    const ok = await postgresStore({ connectionString: url, key: new Uint8Array(32), table: 'bench_probe' })
      .get('x')
      .then(
        () => true,
        () => false,
      );
    if (ok) break;
    if (i > 200) throw new Error('postgres did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    stop: async () => {
      server.kill('SIGINT');
      await new Promise((resolve) => server.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function issuer() {
  let serial = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url.startsWith('/.well-known/')) return res.end(JSON.stringify({ issuer: url, token_endpoint: `${url}/token` }));
      serial++;
      res.end(JSON.stringify({ access_token: `at-${serial}`, refresh_token: `rt-${serial}`, token_type: 'Bearer', expires_in: 3600 }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function measure(name, store, idp) {
  const now = Date.now();
  await store.set('smtp.main', {
    v: 1,
    settings: { authMethod: 'oauth2', provider: 'corp', account: 'bench@example.test' },
    phase: 'acquired',
    tokens: { accessToken: 'at-0', refreshToken: 'rt-0', tokenType: 'Bearer', expiresAt: now + 3_600_000, flow: 'authorization-code' },
    obtainedAt: now,
  });
  const device = await createMailOAuth({
    providers: [oidc({ id: 'corp', issuer: idp.url, clientId: 'bench', scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' } })],
    store,
  });
  const page = device.page('smtp.services');
  let token = await page.accessToken();
  await page.renewRejectedToken(token); // warm-up: discovery, JIT, connections
  token = await page.accessToken();
  let started = performance.now();
  for (let i = 0; i < RENEWALS; i++) token = await page.renewRejectedToken(token);
  const renewals = RENEWALS / ((performance.now() - started) / 1000);
  started = performance.now();
  for (let i = 0; i < READS; i++) await page.accessToken();
  const reads = READS / ((performance.now() - started) / 1000);
  started = performance.now();
  for (let i = 0; i < GETS; i++) await store.get('smtp.main');
  const gets = GETS / ((performance.now() - started) / 1000);
  await device.close();
  return {
    store: name,
    'renewals/s': Math.round(renewals),
    'accessToken()/s (cached)': Math.round(reads),
    'store.get/s': Math.round(gets),
  };
}

const idp = await issuer();
const cluster = process.env.DATABASE_URL ? { url: process.env.DATABASE_URL, stop: async () => {} } : await privateCluster();
const dir = mkdtempSync(join(tmpdir(), 'mail-oauth-bench-file-'));
const key = randomBytes(32);
try {
  const rows = [
    await measure('fileStore', fileStore({ path: join(dir, 'oauth.jwe'), key }), idp),
    await measure('postgresStore', postgresStore({ connectionString: cluster.url, key, table: `bench_${process.pid}` }), idp),
  ];
  console.table(rows);
  console.log(
    `node ${process.version}, ${RENEWALS} sequential renewals, ${READS} reads, ${GETS} gets; PostgreSQL on 127.0.0.1 with fsync on`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await cluster.stop();
  await idp.close();
}
