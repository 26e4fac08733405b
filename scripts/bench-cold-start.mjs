/**
 * Cold start of the token path, the figure a small device feels at boot: a fresh Node process
 * imports the library and restores its pages. Compared in the same run against nodemailer (the
 * usual way Node code sends mail with XOAUTH2) and against loading the mail clients eagerly.
 * Prints medians and ratios; record them in docs/benchmarks.md.
 *
 *   npm run build && npm run bench
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 25);
const dir = mkdtempSync(join(tmpdir(), 'mail-oauth-bench-'));
const storePath = join(dir, 'oauth.jwe');
const storeSetup = `
  const { fileStore } = await import('./dist/index.js');
  const store = fileStore({ path: ${JSON.stringify(storePath)}, key: new Uint8Array(32).fill(7) });`;

const cases = {
  'mail-oauth (dist): import + createMailOAuth + 7 page statuses': `
    const { createMailOAuth, mfpPages } = await import('./dist/index.js');
    const device = await createMailOAuth({ providers: [], pages: mfpPages() });
    for (const page of device.pages()) page.status;
    await device.close();`,
  'mail-oauth (dist) with fileStore: decrypts the stored pages at boot': `${storeSetup}
    const { createMailOAuth, mfpPages } = await import('./dist/index.js');
    const device = await createMailOAuth({ providers: [], pages: mfpPages(), store });
    for (const page of device.pages()) page.status;
    await device.close();`,
  'nodemailer: import + createTransport': `
    const nodemailer = (await import('nodemailer')).default;
    nodemailer.createTransport({ host: '127.0.0.1', port: 587, auth: { type: 'OAuth2', user: 'a@b.c', accessToken: 'x' } });`,
  'eager mail clients: import nodemailer + imapflow': `
    await import('nodemailer');
    await import('imapflow');`,
  'baseline: empty node process': ``,
};

function measure(source) {
  const script = `const t0 = performance.now(); ${source}; process.stdout.write(String(performance.now() - t0));`;
  const times = [];
  for (let i = 0; i < runs; i++) {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr);
    times.push(Number(result.stdout));
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], p90: times[Math.floor(times.length * 0.9)] };
}

// A store file with every page's record, as a configured device has.
const seeded = spawnSync(process.execPath, ['--input-type=module', '-e', `${storeSetup}
  for (const id of ['smtp.main', 'smtp.alert', 'pop.emailStatus', 'pop.internetFax', 'pop.emailPrint'])
    await store.set(id, { v: 1, phase: 'not-acquired', settings: { server: 'smtp.office365.com', port: 587 } });`], { cwd: root, encoding: 'utf8' });
if (seeded.status !== 0) throw new Error(seeded.stderr);

const results = Object.fromEntries(Object.entries(cases).map(([name, source]) => [name, measure(source)]));
const ours = results['mail-oauth (dist): import + createMailOAuth + 7 page statuses'].median;
console.log(`node ${process.version}, ${runs} runs each, in-process time from first import to ready (ms)`);
for (const [name, { median, p90 }] of Object.entries(results)) {
  const ratio = median > 0 ? (median / ours).toFixed(2) : '—';
  console.log(`${name.padEnd(70)} median ${median.toFixed(1).padStart(7)}  p90 ${p90.toFixed(1).padStart(7)}  ×${ratio} of mail-oauth`);
}
rmSync(dir, { recursive: true, force: true });
