/**
 * `rekey serve` as a library: the delivery API on a real socket. On PostgreSQL a
 * LISTEN/NOTIFY listener refreshes the key sets the moment any process changes a
 * version's stage (a trigger from migration 2 sends the NOTIFY), so every instance
 * pushes a rotation to its long-polling clients within a second; the stage poll stays
 * on as a fallback.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Store } from '../store/store.js';
import type { Vault } from '../vault/vault.js';
import type { AccessTokenStore } from './access-tokens.js';
import { createKeySets, type KeySets } from './key-sets.js';
import { listenForKeyChanges } from './postgres-change-listener.js';
import { createServerApp } from './server-app.js';
import { createTokenVerifier } from './token-verifier.js';
import type { UsageReportStore } from './usage-reports.js';

export interface KeyServerOptions {
  store: Store;
  vault: Pick<Vault, 'reveal'>;
  tokens: AccessTokenStore;
  usage: UsageReportStore;
  host?: string;
  port?: number;
  /** When set (PostgreSQL), listen for stage-change notifications. */
  databaseUrl?: string | undefined;
  pollIntervalMilliseconds?: number;
  onError?: (message: string) => void;
}

export interface RunningKeyServer {
  url: string;
  keySets: KeySets;
  close(): Promise<void>;
}

export async function startKeyServer(options: KeyServerOptions): Promise<RunningKeyServer> {
  const pollOnly = options.databaseUrl === undefined;
  const keySets = createKeySets({
    store: options.store,
    vault: options.vault,
    pollIntervalMilliseconds: options.pollIntervalMilliseconds ?? (pollOnly ? 250 : 2000),
  });
  const listener =
    options.databaseUrl === undefined
      ? undefined
      : await listenForKeyChanges({ url: options.databaseUrl, onChange: () => void keySets.refresh(), onError: options.onError });
  const app = createServerApp({
    keySets,
    verifier: createTokenVerifier({ tokens: options.tokens, kind: 'read', cacheMilliseconds: 5_000 }),
    usage: options.usage,
    now: () => new Date(),
    ready: async () => {
      await options.store.migrationStatus();
    },
  });
  return serveApp(app.fetch, options.host ?? '127.0.0.1', options.port ?? 0, async () => {
    keySets.close();
    await listener?.close();
  }, keySets);
}

/** Listens with a Hono fetch handler; shared by `rekey serve` and `rekey proxy`. */
export async function listenFetch(
  fetch: (request: Request) => Response | Promise<Response>,
  host: string,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createAdaptorServer({ fetch, overrideGlobalObjects: false }) as Server;
  // Long polls last up to a minute; keep idle sockets a little longer than common client pools.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}

async function serveApp(
  fetch: (request: Request) => Response | Promise<Response>,
  host: string,
  port: number,
  beforeClose: () => Promise<void>,
  keySets: KeySets,
): Promise<RunningKeyServer> {
  const listening = await listenFetch(fetch, host, port);
  return {
    url: listening.url,
    keySets,
    async close() {
      await beforeClose();
      await listening.close();
    },
  };
}
