/**
 * Faults for file sinks in the sink contract. Root reads through any mode, so "unreadable"
 * is a directory where the file was, and "unwritable" a non-empty directory in its place.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export function fileSinkFaults(path: string, directory: string) {
  return {
    breakReads: async () => {
      await rm(path, { force: true });
      await mkdir(path);
    },
    breakWrites: async () => {
      await rm(path, { force: true });
      await mkdir(join(path, 'occupied'), { recursive: true });
    },
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
}
