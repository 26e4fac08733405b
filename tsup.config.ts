import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'postgres/index': 'src/postgres/index.ts' },
  // pg is an optional peer, loaded on first use by mail-oauth/postgres: never bundled.
  external: ['pg'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
});
