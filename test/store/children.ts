import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fixtures a test can run as child processes. */
export type Fixture = 'rotator' | 'incrementer';

/** Starts a fixture as a child process with the given arguments. */
export type Launcher = (fixture: Fixture, args: readonly string[]) => ChildProcessWithoutNullStreams;

const fixturePath = (fixture: Fixture): string => fileURLToPath(new URL(`./fixtures/${fixture}.ts`, import.meta.url));

/**
 * Runs fixtures the way a developer would: `node --import tsx test/store/fixtures/<name>.ts`.
 * tsx compiles on every start (about half a second here).
 *
 * @example
 * ```ts
 * const child = tsxLauncher('incrementer', [path, '200']);
 * ```
 */
export const tsxLauncher: Launcher = (fixture, args) =>
  spawn(process.execPath, ['--import', 'tsx', fixturePath(fixture), ...args], { stdio: 'pipe' });

/**
 * Bundles the fixtures (with the store source they import) once with esbuild, then runs the
 * bundle with plain `node`: the same code, started three to four times faster, which is what lets
 * a thousand crash-test children fit in CI time.
 *
 * @example
 * ```ts
 * const launch = await bundledLauncher();
 * const child = launch('rotator', [path]);
 * ```
 */
export async function bundledLauncher(): Promise<Launcher> {
  const { build } = await import('esbuild');
  const outdir = await mkdtemp(join(tmpdir(), 'mail-oauth-fixtures-'));
  const fixtures: Fixture[] = ['rotator', 'incrementer'];
  await build({
    entryPoints: fixtures.map(fixturePath),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
  });
  return (fixture, args) => spawn(process.execPath, [join(outdir, `${fixture}.mjs`), ...args], { stdio: 'pipe' });
}

/**
 * Picks the launcher from `STORE_CHILD_RUNNER` (`tsx` or `bundle`), else `fallback`.
 *
 * @example
 * ```ts
 * const launch = await launcherFromEnv('bundle');
 * ```
 */
export async function launcherFromEnv(fallback: 'tsx' | 'bundle'): Promise<{ name: string; launch: Launcher }> {
  const name = process.env.STORE_CHILD_RUNNER ?? fallback;
  if (name === 'tsx') return { name, launch: tsxLauncher };
  if (name === 'bundle') return { name, launch: await bundledLauncher() };
  throw new Error(`STORE_CHILD_RUNNER must be tsx or bundle, not ${name}`);
}

/**
 * Resolves with the exit code, signal and all output once the child exited and its pipes closed.
 *
 * @example
 * ```ts
 * const { code, stdout } = await finished(child);
 * ```
 */
export function finished(
  child: ChildProcessWithoutNullStreams,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    // 'close' comes after 'exit' and after the pipes were drained: every line written is in.
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
