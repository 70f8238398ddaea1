/**
 * The live key set of each credential — current plus previous during grace — as the
 * delivery endpoint and the proxy hand it out. Values are decrypted once per change and
 * kept in memory as SecretValues. A cheap poll of the version stages (no decryption)
 * notices promotes, rollbacks and revokes made by any process; on PostgreSQL a
 * LISTEN/NOTIFY listener calls `refresh()` as soon as a stage changes, and the poll is
 * only a fallback.
 */
import { NotFoundError } from '../core/errors.js';
import type { SecretValue } from '../core/secret-value.js';
import type { Credential, VersionRecord } from '../core/types.js';
import type { Store } from '../store/store.js';
import type { Vault } from '../vault/vault.js';

export interface DeliveredKey {
  version: number;
  stage: 'current' | 'previous';
  value: SecretValue;
  hint: string;
}

export interface KeySet {
  credential: Credential;
  /** Changes whenever the live versions change; the ETag of the delivery endpoint. */
  tag: string;
  /**
   * Orders key sets of one credential in time: the latest stage change among the live
   * versions (ms since epoch). A promote or a rollback raises it; a client that receives
   * an older generation than it holds (a late answer) ignores it.
   */
  generation: number;
  /** Current first, then previous (during grace). Empty when the credential has no value yet. */
  keys: DeliveredKey[];
}

export interface KeySetsDependencies {
  store: Pick<Store, 'getCredential' | 'getVersionByStage'>;
  vault: Pick<Vault, 'reveal'>;
  /** How often watched credentials are re-checked (default 250 ms). */
  pollIntervalMilliseconds?: number;
}

export interface KeySets {
  /** The key set of a credential; NotFoundError when it does not exist. Starts watching it. */
  get(name: string): Promise<KeySet>;
  /** Resolves with the key set once its tag differs from `tag`, or with the unchanged set after `timeoutMilliseconds`. */
  waitForChange(name: string, tag: string, timeoutMilliseconds: number, signal?: AbortSignal): Promise<KeySet>;
  /** Re-check now (after an upstream 401, or a NOTIFY). Without a name, every watched credential. */
  refresh(name?: string): Promise<void>;
  onChange(listener: (set: KeySet) => void): () => void;
  close(): void;
}

function tagOf(credential: Credential, current: VersionRecord | undefined, previous: VersionRecord | undefined): string {
  return `${credential.id.slice(0, 12)}.c${current?.number ?? 0}.p${previous?.number ?? 0}`;
}

export function createKeySets({ store, vault, pollIntervalMilliseconds = 250 }: KeySetsDependencies): KeySets {
  const sets = new Map<string, KeySet>();
  const loading = new Map<string, Promise<KeySet>>();
  const queuedLoads = new Map<string, Promise<KeySet>>();
  const waiters = new Map<string, Set<(set: KeySet) => void>>();
  const listeners = new Set<(set: KeySet) => void>();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  async function load(name: string): Promise<KeySet> {
    const credential = await store.getCredential(name);
    if (credential === undefined) throw new NotFoundError(`credential ${name} does not exist`);
    const [current, previous] = await Promise.all([
      store.getVersionByStage(credential.id, 'current'),
      store.getVersionByStage(credential.id, 'previous'),
    ]);
    const tag = tagOf(credential, current, previous);
    const known = sets.get(name);
    if (known !== undefined && known.tag === tag) {
      known.credential = credential;
      return known;
    }
    const keys: DeliveredKey[] = [];
    for (const [version, stage] of [[current, 'current'], [previous, 'previous']] as const) {
      if (version === undefined) continue;
      keys.push({ version: version.number, stage, value: await vault.reveal(credential, version.number), hint: version.hint });
    }
    const generation = Math.max(current?.stageChangedAt.getTime() ?? 0, previous?.stageChangedAt.getTime() ?? 0);
    const set: KeySet = { credential, tag, generation, keys };
    sets.set(name, set);
    if (known !== undefined) announce(name, set);
    return set;
  }

  /**
   * One load per name at a time, so a burst of requests decrypts once. A `fresh` load
   * (a refresh after a NOTIFY or a 401) never joins a load already in flight, which may
   * have read the stages before the change: it queues one more load behind it.
   */
  function loadOnce(name: string, fresh = false): Promise<KeySet> {
    const pending = loading.get(name);
    if (pending !== undefined) {
      if (!fresh) return pending;
      let queued = queuedLoads.get(name);
      if (queued === undefined) {
        queued = pending.catch(() => undefined).then(() => loadOnce(name));
        queuedLoads.set(name, queued);
        void queued.catch(() => undefined).finally(() => queuedLoads.delete(name));
      }
      return queued;
    }
    const started = load(name).finally(() => loading.delete(name));
    loading.set(name, started);
    return started;
  }

  function announce(name: string, set: KeySet): void {
    const waiting = waiters.get(name);
    if (waiting !== undefined) {
      waiters.delete(name);
      for (const resolve of waiting) resolve(set);
    }
    for (const listener of listeners) listener(set);
  }

  async function refresh(name?: string): Promise<void> {
    const names = name === undefined ? [...sets.keys()] : [name];
    await Promise.all(
      names.map((each) =>
        loadOnce(each, true).catch((error: unknown) => {
          // A credential that disappeared stops being watched; a store hiccup is retried on the next poll.
          if (error instanceof NotFoundError) sets.delete(each);
        }),
      ),
    );
  }

  function schedule(): void {
    if (closed) return;
    timer = setTimeout(() => {
      void refresh().finally(schedule);
    }, pollIntervalMilliseconds);
    timer.unref();
  }
  schedule();

  return {
    async get(name) {
      return sets.get(name) ?? loadOnce(name);
    },

    async waitForChange(name, tag, timeoutMilliseconds, signal) {
      const set = sets.get(name) ?? (await loadOnce(name));
      if (set.tag !== tag || timeoutMilliseconds <= 0) return set;
      return new Promise<KeySet>((resolve) => {
        let waiting = waiters.get(name);
        if (waiting === undefined) {
          waiting = new Set();
          waiters.set(name, waiting);
        }
        const finish = (result: KeySet) => {
          clearTimeout(timeout);
          signal?.removeEventListener('abort', onAbort);
          waiters.get(name)?.delete(finish);
          resolve(result);
        };
        const onAbort = () => finish(sets.get(name) ?? set);
        const timeout = setTimeout(() => finish(sets.get(name) ?? set), timeoutMilliseconds);
        signal?.addEventListener('abort', onAbort, { once: true });
        waiting.add(finish);
      });
    },

    refresh,

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const [name, waiting] of waiters) {
        const set = sets.get(name);
        if (set !== undefined) for (const resolve of waiting) resolve(set);
      }
      waiters.clear();
    },
  };
}
