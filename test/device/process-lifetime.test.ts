/**
 * Process lifetime (finding 12): the machine's timers are unref'd so background renewals never
 * hold a process open, but work a caller is awaiting must. Each case runs a small script as its
 * own Node.js process, the way an integrator would, and checks how it ends.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../peers/ca.js';
import { startOidcServer, type OidcServer } from '../peers/oidc-server.js';
import { completeDeviceFlow } from '../peers/oidc-user.js';
import { startFakePop3 } from '../peers/pop3-fake.js';

const USER = 'scanner@example.test';

interface Child {
  lines: () => Array<Record<string, unknown>>;
  /** Resolves with the first stdout line. */
  firstLine: Promise<Record<string, unknown>>;
  exit: Promise<{ code: number | null; stderr: string; ms: number }>;
}

function run(fixture: string, args: readonly string[]): Child {
  const script = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onLine: ((line: Record<string, unknown>) => void) | undefined;
  const firstLine = new Promise<Record<string, unknown>>((resolve) => (onLine = resolve));
  const parsed = (): Array<Record<string, unknown>> =>
    out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const first = parsed()[0];
    if (first !== undefined) onLine?.(first);
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<{ code: number | null; stderr: string; ms: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr: err.slice(-2000), ms: Date.now() - started })),
  );
  void exit.then(() => onLine?.({ exitedBeforeOutput: true }));
  return { lines: parsed, firstLine, exit };
}

let server: OidcServer;
beforeAll(async () => {
  server = await startOidcServer();
});
afterAll(async () => {
  await server?.close();
});

describe('process lifetime', () => {
  it('a script that awaits getToken() then waitForAuthorization() stays alive while the administrator signs in, then exits 0', async () => {
    const child = run('sign-in-script.ts', [server.issuer]);
    const first = await child.firstLine;
    expect(first, 'the script printed no user code').toHaveProperty('userCode');
    // The administrator takes a few seconds; the script's only pending work is the device-code poll.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await completeDeviceFlow(server.issuer, first.userCode as string, USER);
    const { code, stderr, ms } = await child.exit;
    // Exit 13 is Node's "unsettled top-level await": the process gave up waiting.
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    expect(child.lines().at(-1)).toEqual({ status: 'acquired' });
    expect(ms).toBeGreaterThan(3_000);
  }, 60_000);

  it('a worker that only runs the POP3 poller performs its checks and exits once it stops the poller', async () => {
    const pki = testPki();
    const caPath = join(pki.dir, 'process-lifetime-ca.pem');
    writeFileSync(caPath, pki.ca);
    // The worker's fake provider issues this as its first token (serial numbers start at 1 per process).
    const pop3 = await startFakePop3({
      tls: pki,
      implicitTls: true,
      validTokens: ['access-secret-fake-1'],
      messages: [Buffer.from('Subject: scan\r\n\r\nhello\r\n')],
    });
    try {
      const child = run('poller-worker.ts', [String(pop3.port), caPath, '3']);
      const { code, stderr } = await child.exit;
      expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
      expect(child.lines().at(-1)).toEqual({ batches: [1, 1, 1], errors: [], running: false });
      expect(pop3.received.filter((line) => line === 'RETR 1')).toHaveLength(3);
    } finally {
      await pop3.close();
    }
  }, 60_000);
});
