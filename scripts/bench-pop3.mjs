/**
 * POP3 download throughput of the SDK's own client against node-pop3 (USER/PASS) and imapflow
 * (IMAP LOGIN), all three on the same Dovecot on 127.0.0.1 over implicit TLS, password users:
 * 1,000 × 10 KB messages (per-command overhead dominates) and 20 × 5 MB (byte handling
 * dominates). One run, the three clients interleaved in rotating order and repeated; prints the
 * median, the spread (min–max) and the ratio to node-pop3. Record the table in docs/benchmarks.md.
 *
 *   npm run build && node --import tsx scripts/bench-pop3.mjs
 *
 * BENCH_ROUNDS (default 5) sets the repetitions; BENCH_DIST the SDK build (default ./dist).
 * Dovecot is started with the test peer helper (test/peers/dovecot.ts, hence tsx).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import Pop3Command from 'node-pop3';
import { ImapFlow } from 'imapflow';
import { testPki } from '../test/peers/ca.ts';
import { startDovecot } from '../test/peers/dovecot.ts';

import { size, smoke } from './lib/bench-stats.mjs';

const rounds = smoke ? 1 : Number(process.env.BENCH_ROUNDS ?? 5);
const dist = resolve(process.env.BENCH_DIST ?? 'dist');
const { createMailOAuth, memoryStore } = await import(pathToFileURL(`${dist}/index.js`).href);

const PASSWORD = 'bench-password-1';
const sets = [
  { name: '1,000 × 10 KB', user: 'small@example.test', count: size(1000, 20), size: 10 * 1024 },
  { name: '20 × 5 MB', user: 'large@example.test', count: size(20, 2), size: size(5 * 1024 * 1024, 64 * 1024) },
];

/** A message of `size` bytes: headers and 76-character base64 lines, like a scanned attachment. */
function message(user, index, size) {
  const head = `From: scanner@example.test\r\nTo: ${user}\r\nSubject: bench ${index}\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n`;
  const body = randomBytes(Math.ceil(((size - head.length) * 3) / 4)).toString('base64');
  const lines = body.match(/.{1,76}/g).join('\r\n');
  return Buffer.from((head + lines).slice(0, size - 2) + '\r\n');
}

const pki = testPki();
const dovecot = await startDovecot({ pki, keys: [], passwords: Object.fromEntries(sets.map((s) => [s.user, PASSWORD])) });
const device = await createMailOAuth({
  providers: [],
  store: memoryStore(),
  ca: pki.ca,
  pages: { pages: sets.map((s) => ({ id: s.user.split('@')[0], protocol: 'pop3' })) },
});

try {
  for (const set of sets) {
    for (let i = 0; i < set.count; i++) await dovecot.deliver(set.user, message(set.user, i, set.size));
    await device.page(set.user.split('@')[0]).configure({
      server: '127.0.0.1',
      port: dovecot.ports.pop3s,
      security: 'tls',
      timeout: 60_000,
      authMethod: 'login',
      account: set.user,
      password: PASSWORD,
    });
  }

  /** Each client downloads every message of the set and returns the bytes it received. */
  const clients = {
    'mail-oauth (SDK, USER/PASS)': async (set) => {
      const messages = await device
        .page(set.user.split('@')[0])
        .mailbox()
        .fetch({ maxMessageSize: 16 * 1024 * 1024 });
      return messages.reduce((n, m) => n + m.content.length, 0);
    },
    'node-pop3 (USER/PASS)': async (set) => {
      const pop = new Pop3Command({
        user: set.user,
        password: PASSWORD,
        host: '127.0.0.1',
        port: dovecot.ports.pop3s,
        tls: true,
        tlsOptions: { ca: pki.ca },
        timeout: 60_000,
      });
      let bytes = 0;
      for (const [id] of await pop.UIDL()) bytes += Buffer.byteLength(await pop.RETR(id));
      await pop.QUIT();
      return bytes;
    },
    'imapflow (IMAP LOGIN)': async (set) => {
      const imap = new ImapFlow({
        host: '127.0.0.1',
        port: dovecot.ports.imaps,
        secure: true,
        tls: { ca: pki.ca },
        auth: { user: set.user, pass: PASSWORD },
        logger: false,
      });
      await imap.connect();
      let bytes = 0;
      await imap.mailboxOpen('INBOX', { readOnly: true });
      for await (const msg of imap.fetch('1:*', { source: true })) bytes += msg.source.length;
      await imap.logout();
      return bytes;
    },
  };
  const names = Object.keys(clients);

  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };

  console.log(`Node ${process.version}, ${rounds} rounds, Dovecot on 127.0.0.1 (TLS), ${new Date().toISOString().slice(0, 10)}\n`);
  for (const set of sets) {
    // One untimed pass each: Dovecot builds its index and the page cache fills for everyone alike.
    for (const name of names) await clients[name](set);
    const times = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(round + k) % names.length];
        const start = performance.now();
        const bytes = await clients[name](set);
        times[name].push(performance.now() - start);
        if (bytes < set.count * (set.size - 64)) throw new Error(`${name} received only ${bytes} bytes`);
      }
    }
    const reference = median(times['node-pop3 (USER/PASS)']);
    console.log(`${set.name} (${((set.count * set.size) / 1024 / 1024).toFixed(0)} MB)`);
    console.log('| client | median ms | min–max ms | MB/s | speed vs node-pop3 |');
    console.log('|---|---:|---:|---:|---:|');
    for (const name of names) {
      const m = median(times[name]);
      const mbps = (set.count * set.size) / 1024 / 1024 / (m / 1000);
      console.log(
        `| ${name} | ${m.toFixed(0)} | ${Math.min(...times[name]).toFixed(0)}–${Math.max(...times[name]).toFixed(0)} | ${mbps.toFixed(1)} | ×${(reference / m).toFixed(2)} |`,
      );
    }
    console.log('');
  }
} finally {
  await device.close();
  await dovecot.stop();
}
