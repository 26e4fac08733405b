/**
 * Cold start of the token path, the figure a small device feels at boot: a fresh Node process
 * imports the library and restores its pages. Compared in the same run against nodemailer (the
 * usual way Node code sends mail with XOAUTH2), msal-node and openid-client (token libraries),
 * and loading the mail clients eagerly; each case also reports the process's peak RSS. Cases are
 * interleaved run by run. Prints medians, spread and ratios; record them in docs/benchmarks.md.
 *
 *   npm run build && npm run bench          (BENCH_RUNS, BENCH_SMOKE=1, BENCH_DIST)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distUrl, root, smoke, summarize } from './lib/bench-stats.mjs';

const runs = smoke ? 1 : Number(process.env.BENCH_RUNS ?? 25);
const dir = mkdtempSync(join(tmpdir(), 'mail-oauth-bench-'));
const storePath = join(dir, 'oauth.jwe');
const storeSetup = `
  const { fileStore } = await import(${JSON.stringify(distUrl())});
  const store = fileStore({ path: ${JSON.stringify(storePath)}, key: new Uint8Array(32).fill(7) });`;

const cases = {
  'mail-oauth (dist): import + createMailOAuth + 7 page statuses': `
    const { createMailOAuth, mfpPages } = await import(${JSON.stringify(distUrl())});
    const device = await createMailOAuth({ providers: [], pages: mfpPages() });
    for (const page of device.pages()) page.status;
    await device.close();`,
  'mail-oauth (dist) with fileStore: decrypts the stored pages at boot': `${storeSetup}
    const { createMailOAuth, mfpPages } = await import(${JSON.stringify(distUrl())});
    const device = await createMailOAuth({ providers: [], pages: mfpPages(), store });
    for (const page of device.pages()) page.status;
    await device.close();`,
  'nodemailer: import + createTransport': `
    const nodemailer = (await import('nodemailer')).default;
    nodemailer.createTransport({ host: '127.0.0.1', port: 587, auth: { type: 'OAuth2', user: 'a@b.c', accessToken: 'x' } });`,
  'msal-node: import + PublicClientApplication': `
    const { PublicClientApplication } = await import('@azure/msal-node');
    new PublicClientApplication({ auth: { clientId: 'bench', authority: 'https://login.microsoftonline.com/organizations' } });`,
  'openid-client: import + Configuration': `
    const client = await import('openid-client');
    new client.Configuration({ issuer: 'https://login.microsoftonline.com/organizations/v2.0', token_endpoint: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token' }, 'bench');`,
  'eager mail clients: import nodemailer + imapflow': `
    await import('nodemailer');
    await import('imapflow');`,
  'baseline: empty node process': ``,
};

/** One fresh process: in-process ms from first import to ready, and its peak RSS in MB. */
function measure(source) {
  const script = `const t0 = performance.now(); ${source}; process.stdout.write(JSON.stringify({ ms: performance.now() - t0, rss: process.resourceUsage().maxRSS / 1024 }));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

// A store file with every page's record, as a configured device has.
const seeded = spawnSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `${storeSetup}
  for (const id of ['smtp.main', 'smtp.alert', 'pop.emailStatus', 'pop.internetFax', 'pop.emailPrint'])
    await store.set(id, { v: 1, phase: 'not-acquired', settings: { server: 'smtp.office365.com', port: 587 } });`,
  ],
  { cwd: root, encoding: 'utf8' },
);
if (seeded.status !== 0) throw new Error(seeded.stderr);

const names = Object.keys(cases);
const samples = Object.fromEntries(names.map((name) => [name, { ms: [], rss: [] }]));
for (let run = 0; run < runs; run++) {
  // Rotated each run, so the machine's load drifts over every case alike.
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + run) % names.length];
    const { ms, rss } = measure(cases[name]);
    samples[name].ms.push(ms);
    samples[name].rss.push(rss);
  }
}
const ours = summarize(samples[names[0]].ms).median;
const ourRss = summarize(samples[names[0]].rss).median;
console.log(
  `node ${process.version}, ${runs} runs each (interleaved), in-process time from first import to ready; peak RSS of the process`,
);
for (const name of names) {
  const t = summarize(samples[name].ms);
  const r = summarize(samples[name].rss);
  console.log(
    `${name.padEnd(68)} median ${t.median.toFixed(1).padStart(6)} ms (p25–p75 ${t.p25.toFixed(1)}–${t.p75.toFixed(1)}) ×${(t.median / ours).toFixed(2)}   peak RSS ${r.median.toFixed(1).padStart(5)} MB ×${(r.median / ourRss).toFixed(2)}`,
  );
}
rmSync(dir, { recursive: true, force: true });
