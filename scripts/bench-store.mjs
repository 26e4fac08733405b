/**
 * fileStore at scale: boot (createMailOAuth over N pages holding tokens, until every page has
 * its status) and setup (configure N pages) at two sizes, each in a fresh Node process, against
 * memoryStore holding the same records (the floor: no file, no decryption). Linear means the
 * per-page figure stays flat from the small to the large size.
 *
 *   npm run build && node scripts/bench-store.mjs      (BENCH_ROUNDS, BENCH_SMOKE=1, BENCH_DIST)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distUrl, interleave, report, size } from './lib/bench-stats.mjs';

const key = new Uint8Array(32).fill(7);
// Never contacted: a page holding a valid token needs no provider at boot (port 9 is discard).
const provider = { id: 'corp', issuer: 'http://127.0.0.1:9', clientId: 'bench', scopes: { smtp: 'mail', pop3: 'mail', imap: 'mail' } };

/** A record as a page holding tokens persists it (tokens of a realistic size). */
export function acquiredRecord(n, now = Date.now()) {
  return {
    v: 1,
    settings: { authMethod: 'oauth2', provider: 'corp', account: `scanner${n}@example.test` },
    phase: 'acquired',
    tokens: {
      accessToken: `eyJ0eXAiOiJKV1QifQ.${randomBytes(900).toString('base64url')}`,
      refreshToken: `0.A${randomBytes(600).toString('base64url')}`,
      tokenType: 'Bearer',
      expiresAt: now + 3_600_000,
      flow: 'authorization-code',
      scope: 'mail offline_access',
    },
    obtainedAt: now,
  };
}

const child = process.argv[2];
if (child === '--boot' || child === '--setup') {
  const [, , , kind, pages, path] = process.argv;
  const { createMailOAuth, fileStore, memoryStore, oidc } = await import(distUrl());
  const topology = { pages: Array.from({ length: Number(pages) }, (_, n) => ({ id: `smtp.p${n}`, protocol: 'smtp' })) };
  const store = kind === 'fileStore' ? fileStore({ path, key }) : memoryStore();
  if (kind !== 'fileStore' && child === '--boot') {
    for (let n = 0; n < topology.pages.length; n++) await store.set(`smtp.p${n}`, acquiredRecord(n));
  }
  const providers = [oidc(provider)];
  const started = performance.now();
  const device = await createMailOAuth({ providers, pages: topology, store });
  if (child === '--setup') {
    await Promise.all(
      device.pages().map((page, n) => page.configure({ authMethod: 'oauth2', provider: 'corp', account: `scanner${n}@example.test` })),
    );
  } else {
    for (const page of device.pages()) if (page.status !== 'acquired') throw new Error(`${page.id} is ${page.status}`);
  }
  const ms = performance.now() - started;
  await device.close();
  process.stdout.write(JSON.stringify({ ms }));
  process.exit(0);
}

const sizes = [size(50, 5), size(400, 20)];
const dir = mkdtempSync(join(tmpdir(), 'mail-oauth-bench-store-'));

function run(args) {
  const result = spawnSync(process.execPath, [new URL(import.meta.url).pathname, ...args], { encoding: 'utf8', env: process.env });
  if (result.status !== 0) throw new Error(`${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout).ms;
}

try {
  const { fileStore } = await import(distUrl());
  const stored = {};
  for (const n of sizes) {
    stored[n] = join(dir, `boot-${n}.jwe`);
    const seed = fileStore({ path: stored[n], key });
    await Promise.all(Array.from({ length: n }, (_, i) => seed.set(`smtp.p${i}`, acquiredRecord(i))));
    // Written before this boot, as on a device that restarts.
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(stored[n], past, past);
  }

  const results = {};
  for (const phase of ['boot', 'setup']) {
    const contenders = sizes.flatMap((n) => [`${phase} ${n} pages: fileStore`, `${phase} ${n} pages: memoryStore (floor)`]);
    let fresh = 0;
    const samples = await interleave(contenders, (name) => {
      const n = Number(name.split(' ')[1]);
      const kind = name.endsWith('fileStore') ? 'fileStore' : 'memoryStore';
      const path = phase === 'boot' ? stored[n] : join(dir, `setup-${fresh++}.jwe`);
      return run([`--${phase}`, kind, String(n), path]);
    });
    results[phase] = report(
      `${phase}: createMailOAuth${phase === 'setup' ? ' + configure every page at once' : ' + every page status'}`,
      'ms',
      samples,
      contenders[0],
      1,
    );
  }

  const [small, large] = sizes;
  console.log(`\ngrowth from ${small} to ${large} pages (medians; linear is at most ×${large / small}), and the cost of each added page`);
  for (const phase of ['boot', 'setup']) {
    for (const kind of ['fileStore', 'memoryStore (floor)']) {
      const [a, b] = sizes.map((n) => results[phase][`${phase} ${n} pages: ${kind}`].median);
      console.log(
        `  ${`${phase}, ${kind}`.padEnd(34)} ×${(b / a).toFixed(2)}   ${((b - a) / (large - small)).toFixed(3)} ms per added page`,
      );
    }
  }
  console.log(`node ${process.version}; each sample a fresh process (time after import); store files aged an hour`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
