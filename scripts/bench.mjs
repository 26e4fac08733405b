// Runs every scripts/bench-*.mjs in turn (each imports dist: run `npm run build` first).
// BENCH_SMOKE=1: tiny N and one round each, so CI proves the suite still runs (figures meaningless).
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const benches = readdirSync(dir)
  .filter((f) => /^bench-.+\.mjs$/.test(f))
  .sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n== ${file}`);
  // tsx: some benches start their peers with the test helpers (test/peers/*.ts).
  const started = performance.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${file}`, ...process.argv.slice(2)], { stdio: 'inherit' });
  console.log(
    `== ${file}: ${run.status === 0 ? 'ok' : `FAILED (${run.status ?? run.signal})`} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
