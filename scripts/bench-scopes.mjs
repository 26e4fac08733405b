/**
 * Heap per idle token scope and start-up per scope, the figures a device with many settings
 * pages (or a fleet gateway holding thousands of mailboxes) feels. Creates N one-page scopes with
 * a memory store through the public facade and a custom topology.
 *
 *   npm run build && node --expose-gc scripts/bench-scopes.mjs [N …]
 *
 * Without --expose-gc the script re-runs itself with it (heap figures need a forced collection).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

if (typeof globalThis.gc !== 'function') {
  const run = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

// BENCH_DIST points at another build directory (to compare two trees without rebuilding dist/).
const dist =
  process.env.BENCH_DIST === undefined ? new URL('../dist/', import.meta.url) : pathToFileURL(`${resolve(process.env.BENCH_DIST)}/`);
const { createMailOAuth, memoryStore } = await import(new URL('index.js', dist).href);
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const counts = sizes.length > 0 ? sizes : [1_000, 10_000];

const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};

const topology = (n) => ({
  pages: Array.from({ length: n }, (_, i) => ({ id: `p${i}`, protocol: i % 2 === 0 ? 'smtp' : 'pop3' })),
  links: [],
});

const runs = Number(process.env.BENCH_RUNS ?? 3);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// One warm-up device so that module loading and JIT are not billed to the first size.
await (await createMailOAuth({ providers: [], pages: topology(1_000), store: memoryStore() })).close();

console.log(`scopes\tstart-up ms/scope (median of ${runs}, min–max)\theap KB/scope (median)`);
for (const n of counts) {
  const startups = [];
  const heaps = [];
  for (let run = 0; run < runs; run++) {
    const pages = topology(n);
    const store = memoryStore();
    const before = heap();
    const t0 = performance.now();
    const device = await createMailOAuth({ providers: [], pages, store });
    startups.push((performance.now() - t0) / n);
    heaps.push((heap() - before) / n / 1024);
    for (const page of device.pages()) void page.status;
    await device.close();
  }
  const spread = `${Math.min(...startups).toFixed(3)}–${Math.max(...startups).toFixed(3)}`;
  console.log(`${n}\t${median(startups).toFixed(3)} (${spread})\t${median(heaps).toFixed(1)}`);
}
