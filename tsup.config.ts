import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      provider: 'src/provider.ts',
      pop3: 'src/pop3.ts',
      topology: 'src/topology.ts',
      languages: 'src/languages.ts',
      'postgres/index': 'src/postgres/index.ts',
    },
    // pg is an optional peer, loaded on first use by mail-oauth/postgres: never bundled.
    external: ['pg'],
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
    // The CLI is built beside this config, at the same time: cleaning must not remove it.
    clean: ['!cli.js', '!cli.js.map'],
    sourcemap: true,
    target: 'node20',
    splitting: true,
    treeshake: true,
  },
  {
    // `mail-oauth` (bin): ESM only, one file; the SDK is imported from the package's own
    // dist/index.js (the public API, one copy), qrcode's encoder is bundled in.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    banner: { js: '#!/usr/bin/env node' },
    clean: false,
    dts: false,
    sourcemap: true,
    target: 'node20',
    splitting: false,
    treeshake: true,
    esbuildPlugins: [
      {
        name: 'cli-public-api',
        setup(build) {
          build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) =>
            args.importer.includes('/src/cli/') ? { path: './index.js', external: true } : undefined,
          );
        },
      },
    ],
  },
]);
