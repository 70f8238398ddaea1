/** A migrated SQLite store in a temporary directory, for tests that need a real store and nothing else. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

export interface ScratchStore {
  store: Store;
  /** The SQLite file (tests search it for planted secrets). */
  path: string;
  close(): Promise<void>;
}

export async function openScratchStore(options: { now?: () => Date } = {}): Promise<ScratchStore> {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-scratch-'));
  const path = join(directory, 'rekey.db');
  const store = await openStore({ sqlitePath: path, ...(options.now === undefined ? {} : { now: options.now }) });
  await store.migrate();
  return {
    store,
    path,
    async close() {
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
