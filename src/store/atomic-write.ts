import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StoreError } from '../errors.js';

/**
 * Options of {@link writeFileAtomic}.
 * @internal
 */
export interface AtomicWriteOptions {
  /** Permission bits of the new file. Default `0o600`. */
  mode?: number;
  /** Called after the data is durable in the temporary file, just before it replaces `path`. */
  beforeRename?: () => Promise<void>;
}

const tempPrefix = (path: string): string => `.${basename(path)}.`;
const TEMP_SUFFIX = '.tmp';

/**
 * Replaces `path` with `data` so that after a crash or power cut the file holds either the old
 * or the new content in full: write a temporary file in the same directory (rename is atomic only
 * within one file system), fsync it, rename it over `path`, then fsync the directory so the
 * rename itself survives a power cut.
 * @internal
 *
 * @example
 * ```ts
 * await writeFileAtomic('/var/lib/device/oauth.jwe', jweText, { mode: 0o600 });
 * ```
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `${tempPrefix(path)}${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  let stage = 'create';
  try {
    const handle = await open(temp, 'wx', options.mode ?? 0o600);
    try {
      stage = 'write';
      await handle.writeFile(data);
      stage = 'fsync';
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.beforeRename !== undefined) await options.beforeRename();
    stage = 'rename';
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw asWriteError(err, path, stage);
  }
  await syncDirectory(dir).catch((err: unknown) => {
    throw asWriteError(err, path, 'fsync directory');
  });
}

/**
 * Removes temporary files that writers killed mid-write left next to `path`. Only safe while
 * holding the lock that every writer of `path` takes.
 * @internal
 *
 * @example
 * ```ts
 * await withFileLock(lockPath, lockOptions, () => sweepTemporaryFiles('/var/lib/device/oauth.jwe'));
 * ```
 */
export async function sweepTemporaryFiles(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = tempPrefix(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names
      .filter((name) => name.startsWith(prefix) && name.endsWith(TEMP_SUFFIX))
      .map((name) => unlink(join(dir, name)).catch(() => undefined)),
  );
}

async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Windows cannot open directories, and some file systems refuse to fsync them; there the
    // rename is as durable as the platform allows.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw err;
  } finally {
    await handle?.close();
  }
}

function asWriteError(err: unknown, path: string, stage: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new StoreError('ERR_STORE_WRITE', 'Cannot write the token store file', {
    kind: 'transient',
    cause: err,
    hint: `${stage} ${path}: ${code}`,
  });
}
