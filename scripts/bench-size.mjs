/**
 * Minified size of our own code: each entry of dist/ bundled by esbuild with --bundle --minify,
 * every dependency external (they are the user's to count), lazy chunks included. Goal for the
 * main entry: at most 60 KB.
 *
 *   npm run build && node scripts/bench-size.mjs      (BENCH_DIST)
 */
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { dist } from './lib/bench-stats.mjs';

const GOAL_BYTES = 60 * 1024;
const entries = ['index.js', 'provider.js', 'postgres/index.js'].filter((entry) => existsSync(`${dist}/${entry}`));
console.log(`esbuild --bundle --minify --format=esm --platform=node, dependencies external (${dist})`);
for (const entry of entries) {
  const result = await build({
    entryPoints: [`${dist}/${entry}`],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
  const goal = entry === 'index.js' ? `  goal ≤ ${kb(GOAL_BYTES)}: ${code.byteLength <= GOAL_BYTES ? 'met' : 'NOT met'}` : '';
  console.log(
    `  ${entry.padEnd(20)} ${kb(code.byteLength).padStart(9)} minified  ${kb(gzipSync(code).byteLength).padStart(8)} gzip${goal}`,
  );
}
