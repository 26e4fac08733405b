import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCOPE_RECORD_VERSION, type ScopeRecord } from '../../src/machine/record.js';
import { postgresStore } from '../../src/postgres/index.js';
import type { CountingIssuer } from './issuer.js';

/** The store key of the page smtp.services: its link group in mfpPages(). */
export const SCOPE = 'smtp.main';
export const USER = 'scanner@example.test';

/**
 * Bundles the worker once with esbuild and runs the bundle with plain node: a child starts in a
 * fraction of tsx's time, which is what lets hundreds of kills fit in the time box.
 */
export async function bundledWorker(): Promise<(args: readonly string[]) => ChildProcessWithoutNullStreams> {
  const { build } = await import('esbuild');
  const outdir = await mkdtemp(join(tmpdir(), 'mail-oauth-fleet-'));
  await build({
    entryPoints: [fileURLToPath(new URL('./fixtures/fleet-worker.ts', import.meta.url))],
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['pg-native'],
    // Bundled CommonJS (pg) calls require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'silent',
  });
  const script = join(outdir, 'fleet-worker.mjs');
  return (args) => spawn(process.execPath, [script, ...args], { stdio: 'pipe' });
}

/** Resolves with the first stdout line starting with `prefix`, or rejects when the child exits first. */
export function lineOf(child: ChildProcessWithoutNullStreams, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith(prefix));
      if (line !== undefined) {
        child.stdout.off('data', onData);
        resolve(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before "${prefix}": ${err.slice(-1500)}`)));
  });
}

/** Stores an Acquired record for {@link SCOPE} holding a fresh grant of `issuer`, as Get Token would. */
export async function seed(url: string, key: Uint8Array, table: string, issuer: CountingIssuer): Promise<string> {
  const store = postgresStore({ connectionString: url, key, table });
  const grant = issuer.mint();
  const now = Date.now();
  await store.set(SCOPE, {
    v: SCOPE_RECORD_VERSION,
    settings: { authMethod: 'oauth2', provider: 'corp', account: USER },
    phase: 'acquired',
    tokens: { ...grant, tokenType: 'Bearer', expiresAt: now + 3_600_000, flow: 'authorization-code', account: USER },
    obtainedAt: now,
  } satisfies ScopeRecord);
  await store.close?.();
  return grant.accessToken;
}
