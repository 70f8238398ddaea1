/**
 * Files that hold secret material: replaced atomically with an exact mode (write a temp
 * file in the same directory, created with O_EXCL|O_NOFOLLOW so a planted file or link
 * is never opened, fsync, rename over the target, fsync the directory), so a reader sees
 * the old content or the new, and a crash leaves one of the two; and refused when others
 * can read them. Used for the master key and by every file sink.
 */
import { randomBytes } from 'node:crypto';
import { constants, statSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../core/errors.js';

export interface AtomicWriteOptions {
  mode: number;
  /** Keep this owner (when running as root and replacing another user's file); the caller takes it from the file itself, never through a link. */
  owner?: { uid: number; gid: number } | undefined;
}

export async function replaceFileAtomically(path: string, content: string | Buffer, options: AtomicWriteOptions): Promise<void> {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.rekey-${randomBytes(6).toString('hex')}.tmp`);
  // O_EXCL already refuses an existing name; O_NOFOLLOW says the same for a link in plain words.
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  let handle: FileHandle | undefined = await open(temporary, flags, options.mode);
  try {
    await handle.writeFile(content);
    // The umask may have narrowed the mode at creation; set it exactly.
    await handle.chmod(options.mode);
    if (options.owner !== undefined && process.getuid?.() === 0) await handle.chown(options.owner.uid, options.owner.gid);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
}

/** Make a rename in `directory` durable. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await handle.close();
  }
}

/** Refuse a secret file that others can read or write (mode wider than 0600). */
export function assertPrivateFile(path: string, what: string): void {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`refusing to use ${what} ${path}: its mode is 0${mode.toString(8)}, wider than 0600`, {
      hint: `run: chmod 600 ${path}`,
    });
  }
}
