/** Runs a script as a child process with `node --import tsx`, as a user's shell would. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Readonly<Record<string, string>>;
  /** Called with stderr so far, each time more arrives (to act on a printed sign-in code). */
  onStderr?: (text: string) => void;
  /** Called with stdout so far, each time more arrives. */
  onStdout?: (text: string) => void;
  timeoutMs?: number;
}

export function runScript(script: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      options.onStdout?.(stdout);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function runCli(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return runScript('src/cli/main.ts', args, options);
}

/**
 * Runs the CLI's `main()` in this process (so that coverage sees it), with `env` set for the
 * call. Same result shape as {@link runCli}.
 */
export async function runCliInProcess(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const { main } = await import('../../src/cli/run.js');
  const { Writable } = await import('node:stream');
  let stdout = '';
  let stderr = '';
  const sink = (onText: (chunk: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        onText(chunk.toString());
        done();
      },
    });
  const saved = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(options.env ?? {})) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
  try {
    const code = await main(args, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      stdout: sink((text) => {
        stdout += text;
        options.onStdout?.(stdout);
      }),
      stderr: sink((text) => {
        stderr += text;
        options.onStderr?.(stderr);
      }),
    });
    return { code, stdout, stderr };
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
