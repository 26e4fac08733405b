// Shared by the scripts/bench-*.mjs: smoke mode, rounds, which dist to load, and the summary of
// repeated samples (median, spread, ratio to a named contender).
import { fileURLToPath, pathToFileURL } from 'node:url';

/** `BENCH_SMOKE=1`: tiny N and one round, so CI proves every bench still runs (figures meaningless). */
export const smoke = process.env.BENCH_SMOKE === '1';

/** Rounds of every contender, interleaved; at least 5 unless smoke. */
export const rounds = smoke ? 1 : Math.max(5, Number(process.env.BENCH_ROUNDS ?? 5));

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** The built package to measure: `BENCH_DIST` (a dist/ directory) or this checkout's dist/. */
export const dist = process.env.BENCH_DIST ?? `${root}dist`;
export const distUrl = (file = 'index.js') => pathToFileURL(`${dist}/${file}`).href;

/** `full` normally, `tiny` under BENCH_SMOKE. */
export const size = (full, tiny) => (smoke ? tiny : full);

export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), min: sorted[0], max: sorted[sorted.length - 1], p25: at(0.25), p75: at(0.75) };
}

/** Runs `fn(contender, round)` for every contender in every round, rotating the order each round. */
export async function interleave(contenders, fn) {
  const samples = Object.fromEntries(contenders.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const name = contenders[(i + round) % contenders.length];
      samples[name].push(await fn(name, round));
    }
  }
  return samples;
}

/**
 * Prints one row per contender: median, min–max, and the ratio of medians to `baseline`
 * (`×2.00` = twice the baseline's figure).
 */
export function report(title, unit, samples, baseline, digits = 2) {
  const rows = Object.entries(samples).map(([name, values]) => [name, summarize(values)]);
  const base = summarize(samples[baseline]).median;
  console.log(`\n${title} (${unit}; ${rounds} round${rounds === 1 ? '' : 's'}, interleaved)`);
  for (const [name, s] of rows) {
    const ratio = base > 0 ? `×${(s.median / base).toFixed(2)}` : '—';
    console.log(
      `  ${name.padEnd(58)} median ${s.median.toFixed(digits).padStart(10)}  min–max ${s.min.toFixed(digits)}–${s.max.toFixed(digits)}  ${ratio} of ${baseline}`,
    );
  }
  return Object.fromEntries(rows);
}
