/**
 * Key sets that follow the store: `watchKeyChanges` (NOTIFY on PostgreSQL, a stage poll on
 * SQLite) refreshes them the moment any process changes a version's stage, and the key
 * sets' own poll stays on as a fallback (it also picks up credential metadata changes).
 * Shared by `rekey serve` (src/server) and `rekey proxy` (src/proxy).
 */
import type { Store } from '../store/store.js';
import type { Vault } from '../vault/vault.js';
import { createKeySets, type KeySets } from './key-sets.js';

export interface LiveKeySets {
  keySets: KeySets;
  close(): Promise<void>;
}

export async function openLiveKeySets(options: {
  store: Pick<Store, 'dialect' | 'getCredential' | 'getVersionByStage' | 'watchKeyChanges'>;
  vault: Pick<Vault, 'reveal'>;
  /** The fallback poll (default 250 ms on SQLite, 2 s on PostgreSQL, where NOTIFY is immediate). */
  pollIntervalMilliseconds?: number | undefined;
  onError?: ((message: string) => void) | undefined;
}): Promise<LiveKeySets> {
  const pollIntervalMilliseconds = options.pollIntervalMilliseconds ?? (options.store.dialect === 'postgres' ? 2000 : 250);
  const keySets = createKeySets({ store: options.store, vault: options.vault, pollIntervalMilliseconds });
  const watch = await options.store.watchKeyChanges(() => void keySets.refresh(), { onError: options.onError });
  return {
    keySets,
    async close() {
      keySets.close();
      await watch.close();
    },
  };
}
