/**
 * `rekey serve` as a library: the delivery API on a real socket. The key sets follow the
 * store's key-change watch (LISTEN/NOTIFY on PostgreSQL, fired by a trigger from migration
 * 2; a stage poll on SQLite), so every instance pushes a rotation to its long-polling
 * clients within a second; the key sets' own poll stays on as a fallback.
 */
import { listenFetch, type ListenerTransport } from '../access/listen-fetch.js';
import { openLiveKeySets } from '../access/live-key-sets.js';
import type { KeySets } from '../access/key-sets.js';
import { createAuthFailureCounter, type AuthFailureCounter } from '../access/auth-failure-counter.js';
import { createKeyDeliveries } from '../access/key-deliveries.js';
import { createTokenVerifier } from '../access/token-verifier.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Store } from '../store/store.js';
import type { Vault } from '../vault/vault.js';
import type { ApiServices } from './api/api-services.js';
import { createServerApp } from './server-app.js';

export interface KeyServerOptions {
  store: Store;
  vault: Pick<Vault, 'reveal'>;
  host?: string;
  port?: number;
  /** The key sets' fallback poll (stage changes arrive sooner through `store.watchKeyChanges`). */
  pollIntervalMilliseconds?: number;
  /** How often refused-token counts are written for the auth-failure alert (default 5 s). */
  authFailureFlushMilliseconds?: number;
  onError?: (message: string) => void;
  /** The management API for people (sessions, roles); absent: key delivery only. */
  api?: { services: ApiServices; version: string } | undefined;
  /** TLS files, or leave to plain HTTP beyond loopback (refused without it). */
  transport?: ListenerTransport;
  /** Where the first delivery of each key version to each token is audited (`key-deliver`). */
  audit?: Pick<AuditLog, 'record'> | undefined;
  /** Certificate reloads and the plain-HTTP warning. */
  onNotice?: (message: string) => void;
}

export interface RunningKeyServer {
  url: string;
  keySets: KeySets;
  /** The refused-token counter (flushed on close). */
  authFailures: AuthFailureCounter;
  close(): Promise<void>;
}

export async function startKeyServer(options: KeyServerOptions): Promise<RunningKeyServer> {
  const live = await openLiveKeySets({ store: options.store, vault: options.vault, pollIntervalMilliseconds: options.pollIntervalMilliseconds, onError: options.onError });
  const authFailures = createAuthFailureCounter({ store: options.store, source: 'serve', flushIntervalMilliseconds: options.authFailureFlushMilliseconds, onError: options.onError });
  const app = createServerApp({
    keySets: live.keySets,
    verifier: createTokenVerifier({ tokens: options.store, kind: 'read', cacheMilliseconds: 5_000 }),
    usage: options.store,
    onTokenRefused: () => authFailures.refused(),
    deliveries: createKeyDeliveries({ store: options.store, audit: options.audit, now: () => new Date() }),
    now: () => new Date(),
    ready: async () => {
      await options.store.migrationStatus();
    },
    api: options.api,
  });
  const listening = await listenFetch(app.fetch, { host: options.host ?? '127.0.0.1', port: options.port ?? 0, ...options.transport, onError: options.onError, onNotice: options.onNotice }).catch(async (error: unknown) => {
    await live.close();
    throw error;
  });
  return {
    url: listening.url,
    keySets: live.keySets,
    authFailures,
    async close() {
      await live.close();
      await listening.close();
      await authFailures.close();
    },
  };
}
