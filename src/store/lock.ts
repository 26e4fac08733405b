import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { link, lstat, mkdir, readdir, readFile, rename, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { StoreError } from '../errors.js';
import { createSerialQueue } from './queue.js';

// One queue per process: every fileStore instance on the same lock path waits in line here.
const serialize = createSerialQueue();

/**
 * How long to wait for a lock and when to call a holder's lock abandoned.
 * @internal
 */
export interface FileLockOptions {
  /** How long to poll for a held lock before failing with `ERR_STORE_LOCKED`, in milliseconds. */
  timeoutMs: number;
  /**
   * A lock whose file was not touched for this long is abandoned, in milliseconds. Holders touch
   * their lock every `staleMs / 4`, so only a holder that is gone (or frozen that long) loses it.
   */
  staleMs: number;
}

/**
 * A held lock.
 * @internal
 */
export interface FileLock {
  /** Throws `ERR_STORE_LOCKED` when another process broke this lock (we were frozen past `staleMs`). */
  assertHeld(): Promise<void>;
  /** Removes the lock file if it is still ours. Never throws. */
  release(): Promise<void>;
}

/** What a lock file holds: who made it, so that others can tell when it is abandoned. */
interface LockOwner {
  pid: number;
  host: string;
  /** Linux boot id: after a power cut every old pid is dead, even if the number was reused. */
  boot: string | undefined;
  nonce: string;
  createdAt: number;
}

const ownHost = hostname();
const ownBoot = readBootId();
/** Nonces of the locks this process holds, so a lock naming our own pid can be told apart from a leftover. */
const heldNonces = new Set<string>();

/**
 * A lock file that is empty or unreadable belongs to a holder killed between creating and writing
 * it (a window of microseconds), so it is abandoned once it is older than this.
 */
const UNWRITTEN_LOCK_GRACE_MS = 1_000;
const POLL_MIN_MS = 2;
const ASIDE_SUFFIX = '.stale';
const ASIDE_GRACE_MS = 5_000;
const POLL_MAX_MS = 50;

function readBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` holding the lock file `lockPath` (in-process callers queue first, then the process
 * competes with others through the file).
 * @internal
 *
 * @example
 * ```ts
 * await withFileLock('/var/lib/device/oauth.jwe.lock', { timeoutMs: 30_000, staleMs: 20_000 },
 *   async (lock) => { await lock.assertHeld(); });
 * ```
 */
export function withFileLock<T>(lockPath: string, options: FileLockOptions, fn: (lock: FileLock) => Promise<T>): Promise<T> {
  return serialize(lockPath, async () => {
    const lock = await acquire(lockPath, options);
    try {
      return await fn(lock);
    } finally {
      await lock.release();
    }
  });
}

async function acquire(lockPath: string, options: FileLockOptions): Promise<FileLock> {
  const deadline = Date.now() + options.timeoutMs;
  let wait = POLL_MIN_MS;
  for (;;) {
    const owner: LockOwner = {
      pid: process.pid,
      host: ownHost,
      boot: ownBoot,
      nonce: randomBytes(12).toString('hex'),
      createdAt: Date.now(),
    };
    if (await tryCreate(lockPath, owner)) return held(lockPath, owner, options);
    if (await breakIfAbandoned(lockPath, options)) continue;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new StoreError('ERR_STORE_LOCKED', 'The token store is locked by another process', {
        kind: 'transient',
        hint: `Lock file ${lockPath} stayed held for ${options.timeoutMs} ms`,
      });
    }
    // Jitter keeps two waiting processes from retrying in lockstep.
    await sleep(Math.min(left, wait + Math.random() * wait));
    wait = Math.min(wait * 2, POLL_MAX_MS);
  }
}

async function tryCreate(lockPath: string, owner: LockOwner): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      // Synchronous on purpose: with async calls a holder killed between open and write (an
      // event-loop turn) leaves an empty lock that others must wait out; two adjacent syscalls
      // shrink that window to microseconds. The file is tiny and local.
      const fd = openSync(lockPath, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(owner));
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code === 'ENOENT' && attempt === 0) {
        await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 }).catch(() => undefined);
        continue;
      }
      throw new StoreError('ERR_STORE_WRITE', 'Cannot create the token store lock file', {
        kind: 'transient',
        cause: err,
        hint: `${lockPath}: ${code ?? 'error'}`,
      });
    }
  }
}

function held(lockPath: string, owner: LockOwner, options: FileLockOptions): FileLock {
  heldNonces.add(owner.nonce);
  // A holder that is alive keeps its lock fresh, so waiting processes can use a short stale bound
  // and still never take a lock from a slow refresh.
  const heartbeat = setInterval(
    () => {
      const now = new Date();
      utimes(lockPath, now, now).catch(() => undefined);
    },
    Math.max(1, Math.floor(options.staleMs / 4)),
  );
  heartbeat.unref();
  let released = false;
  return {
    async assertHeld() {
      const current = await readOwner(lockPath);
      if (current?.nonce !== owner.nonce) {
        throw new StoreError('ERR_STORE_LOCKED', 'The token store lock was taken over by another process', {
          kind: 'transient',
          hint: `Lock file ${lockPath} was judged abandoned`,
        });
      }
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      heldNonces.delete(owner.nonce);
      const current = await readOwner(lockPath);
      // Someone who judged us abandoned may hold it now; their lock is not ours to remove.
      if (current?.nonce === owner.nonce) await unlink(lockPath).catch(() => undefined);
    },
  };
}

async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  try {
    return parseOwner(await readFile(lockPath, 'utf8'));
  } catch {
    return undefined;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { pid, host, boot, nonce, createdAt } = value as Record<string, unknown>;
    if (typeof pid !== 'number' || typeof host !== 'string' || typeof nonce !== 'string') return undefined;
    return {
      pid,
      host,
      boot: typeof boot === 'string' ? boot : undefined,
      nonce,
      createdAt: typeof createdAt === 'number' ? createdAt : 0,
    };
  } catch {
    return undefined;
  }
}

function isAbandoned(owner: LockOwner | undefined, ageMs: number, staleMs: number): boolean {
  if (ageMs > staleMs) return true;
  if (owner === undefined) return ageMs > Math.min(UNWRITTEN_LOCK_GRACE_MS, staleMs);
  // pids only mean something on the host (and boot) that wrote them.
  if (owner.host !== ownHost) return false;
  if (owner.boot !== undefined && ownBoot !== undefined && owner.boot !== ownBoot) return true;
  if (owner.pid === process.pid) return !heldNonces.has(owner.nonce);
  return !isAlive(owner.pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the lock at `lockPath` if its holder is gone. Returns true when the caller should try
 * to create the lock again at once.
 *
 * Between judging a lock abandoned and removing it, another process may have removed it and made
 * a fresh one; unlinking by name would then delete a live lock. So the lock is first renamed to a
 * name only we know, checked to be the very file we judged, and put back if it is not.
 */
async function breakIfAbandoned(lockPath: string, options: FileLockOptions): Promise<boolean> {
  let judged: { ino: number; mtimeMs: number; owner: LockOwner | undefined };
  try {
    const [stat, text] = await Promise.all([lstat(lockPath), readFile(lockPath, 'utf8')]);
    judged = { ino: stat.ino, mtimeMs: stat.mtimeMs, owner: parseOwner(text) };
  } catch (err) {
    // Gone already: its holder released it.
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
  if (!isAbandoned(judged.owner, Date.now() - judged.mtimeMs, options.staleMs)) return false;

  const aside = `${lockPath}.${randomBytes(8).toString('hex')}${ASIDE_SUFFIX}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return true;
  }
  try {
    const [stat, text] = await Promise.all([lstat(aside), readFile(aside, 'utf8')]);
    const same = stat.ino === judged.ino && stat.mtimeMs === judged.mtimeMs && parseOwner(text)?.nonce === judged.owner?.nonce;
    // EEXIST: a third process locked meanwhile; the holder we displaced finds out in assertHeld().
    if (!same) await link(aside, lockPath).catch(() => undefined);
  } catch {
    // Swept by someone else meanwhile: nothing left to put back.
  } finally {
    await unlink(aside).catch(() => undefined);
  }
  return true;
}

/**
 * Removes locks set aside by {@link breakIfAbandoned} whose breaker was killed before it could
 * remove them. Such a file is never a live lock (live locks only exist under their own name), but
 * one younger than a few seconds may still be examined by its breaker, so those stay.
 * @internal
 *
 * @example
 * ```ts
 * await sweepSetAsideLocks('/var/lib/device', 'oauth.jwe.');
 * ```
 */
export async function sweepSetAsideLocks(dir: string, prefix: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const cutoff = Date.now() - ASIDE_GRACE_MS;
  await Promise.all(
    names
      .filter((name) => name.startsWith(prefix) && name.endsWith(ASIDE_SUFFIX))
      .map(async (name) => {
        const path = join(dir, name);
        // rename() updates ctime, so ctime says when it was set aside.
        const { ctimeMs } = await lstat(path);
        if (ctimeMs < cutoff) await unlink(path);
      })
      .map((removal) => removal.catch(() => undefined)),
  );
}
