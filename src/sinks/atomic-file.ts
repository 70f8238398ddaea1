/**
 * Replace a file atomically: write a temporary file in the same directory with the final
 * mode, fsync it, rename it over the target, fsync the directory. A reader sees the old
 * content or the new content, never half of it, and a crash leaves one of the two.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  mode: number;
  /** Keep this owner (when running as root and replacing another user's file). */
  owner?: { uid: number; gid: number } | undefined;
}

export async function replaceFileAtomically(path: string, content: string, options: AtomicWriteOptions): Promise<void> {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.rekey-${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined = await open(temporary, 'wx', options.mode);
  try {
    await handle.writeFile(content, 'utf8');
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

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await handle.close();
  }
}

