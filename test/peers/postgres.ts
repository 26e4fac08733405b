/**
 * A private PostgreSQL cluster as a test peer: `initdb` into a temp directory, `postgres` on a
 * free 127.0.0.1 port with its socket in that directory, trust authentication for loopback only.
 * Run as root (as here), the server runs as the `postgres` system user, which PostgreSQL requires.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

/** The directory with `initdb` and `postgres`, or undefined when PostgreSQL is not installed. */
export function findPostgres(): string | undefined {
  const override = process.env['PG_BIN_DIR'];
  for (const dir of override !== undefined && override !== '' ? [override] : BIN_DIRS) {
    try {
      accessSync(join(dir, 'initdb'), constants.X_OK);
      accessSync(join(dir, 'postgres'), constants.X_OK);
      return dir;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Whether the PostgreSQL tests can run; with `CI=true` a missing server is a failure, not a skip. */
export const postgresStatus: { available: boolean; required: boolean; message: string } = (() => {
  const bin = findPostgres();
  const required = process.env['CI'] === 'true';
  return {
    available: bin !== undefined,
    required,
    message:
      bin !== undefined
        ? `PostgreSQL at ${bin}`
        : 'PostgreSQL is not installed (apt-get install postgresql): the PostgreSQL store tests are skipped',
  };
})();

/** A running private cluster. */
export interface PostgresPeer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  port: number;
  /** Stops the server (fast shutdown) and starts it again on the same port and data. */
  restart(options?: { downMs?: number }): Promise<void>;
  /** Stops the server, keeping the data. */
  stop(): Promise<void>;
  /** Starts a stopped server again. */
  start(): Promise<void>;
  /** Stops the server and removes the cluster. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, timeoutMs: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`postgres did not listen on ${port}: ${log()}`);
}

/**
 * Creates and starts a cluster. `fsync=off`: the tests kill clients, not the server, and a
 * restart is a clean fast shutdown, so what they prove does not depend on the disk flush.
 */
export async function startPostgres(): Promise<PostgresPeer> {
  const bin = findPostgres();
  if (bin === undefined) throw new Error(postgresStatus.message);
  const dir = mkdtempSync(join(tmpdir(), 'mail-oauth-pg-'));
  const data = join(dir, 'data');
  // PostgreSQL refuses to run as root: spawn it directly as the postgres user (no su/runuser in
  // between, so our signals reach the server itself).
  let user: { uid: number; gid: number; env: NodeJS.ProcessEnv } | Record<string, never> = {};
  if (userInfo().uid === 0) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('running as root needs the postgres system user');
    chownSync(dir, uid, gid);
    user = { uid, gid, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, LANG: 'C' } };
  }
  chmodSync(dir, 0o700);

  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {
    encoding: 'utf8',
    cwd: dir,
    ...user,
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);

  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';

  const start = async (): Promise<void> => {
    log = '';
    const started = spawn(
      join(bin, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
        '-c',
        'shared_buffers=32MB',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, ...user },
    );
    started.stdout?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    started.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    child = started;
    await waitForPort(port, 20_000, started, () => log);
    // The port opens slightly before the server accepts logins; one query proves it is ready.
    const { default: pg } = await import('pg');
    for (let i = 0; ; i++) {
      const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (i > 100) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    // SIGINT is PostgreSQL's fast shutdown: it disconnects clients and stops cleanly.
    running.kill('SIGINT');
    await exited;
  };

  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    async restart({ downMs = 0 } = {}) {
      await stop();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
