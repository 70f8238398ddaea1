/**
 * One benchmark world: the provider emulator, a SQLite store with a vault, an OpenAI
 * adapter whose `fetch` counts every HTTP request it sends to the emulator, and the
 * rotation executor wired to them. `seedCredentials` adds credentials, each with its own
 * emulator project, seeded service-account key and env-file consumer in a temp directory.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { systemClock } from '../../src/core/clock.js';
import type { SecretValue } from '../../src/core/secret-value.js';
import type { Credential } from '../../src/core/types.js';
import { masterKeyIdOf } from '../../src/crypto/envelope.js';
import { generateMasterKey } from '../../src/crypto/master-key.js';
import { startEmulator, type EmulatorKnobs, type RunningEmulator } from '../../src/emulator/emulator.js';
import type { FetchFunction } from '../../src/providers/http/provider-http.js';
import { createOpenAIProvider } from '../../src/providers/openai/openai-provider.js';
import type { RotationProgress, RotationSettings } from '../../src/rotation/rotation-deps.js';
import { createRotationExecutor, type RotationExecutor } from '../../src/rotation/rotation-executor.js';
import { createEnvFileSink } from '../../src/sinks/env-file-sink.js';
import { createSinkResolver } from '../../src/sinks/sink-resolver.js';
import type { ReadableSink } from '../../src/sinks/sink-spec.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createVault, type Vault } from '../../src/vault/vault.js';
import { initializeVaultKeys, openVaultKeys } from '../../src/vault/vault-keys.js';

/** What the counting fetch saw: every attempt is one request received by the emulator. */
export interface RequestCounts {
  total: number;
  status429: number;
  status5xx: number;
  /** `GET /models`, `POST /organization/projects/{id}/service_accounts`, … */
  byRoute: Record<string, number>;
}

/** Store method calls made through the world's store (executor, vault and audit log). */
export interface StoreCounts {
  total: number;
  /** Calls that write (create, update, append, add, set, promote, lease acquire/renew/release…). */
  writes: number;
  byMethod: Record<string, number>;
}

const WRITE_METHOD = /^(create|update|append|add|set|promote|rollback|acquire|renew|release|remove|rewrap)/;

export interface SeededCredential {
  credential: Credential;
  /** The seeded (version 1) key, kept in memory only to ask the emulator whether it is dead afterwards. */
  firstKey: SecretValue;
  sink: ReadableSink;
}

export interface BenchWorld {
  emulator: RunningEmulator;
  store: Store;
  vault: Vault;
  executor: RotationExecutor;
  fingerprintSalt: Buffer;
  requests: RequestCounts;
  storeCalls: StoreCounts;
  /** Zero the request and store counters (after seeding). */
  resetCounters(): void;
  seedCredentials(count: number, prefix: string): Promise<SeededCredential[]>;
  close(): Promise<void>;
}

export interface BenchWorldOptions {
  /** A PostgreSQL server URL: the world gets its own database there, dropped on close. Default SQLite. */
  databaseUrl?: string | undefined;
  knobs: Partial<EmulatorKnobs>;
  settings: Partial<RotationSettings>;
  onProgress?: ((progress: RotationProgress) => void) | undefined;
  /** Called before each request leaves, with its route label (phase attribution). */
  onRequest?: ((route: string) => void) | undefined;
  /** Called on each store method call, with whether it writes (phase attribution). */
  onStoreCall?: ((method: string, writes: boolean) => void) | undefined;
}

/** A fresh database on the given server, so that each world starts empty. */
async function createScratchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rekey_bench_rotation_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const target = new URL(serverUrl);
  target.pathname = `/${name}`;
  return {
    url: target.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Ids in paths become `{id}` so that counts group by route. */
export function routeOf(method: string, url: string): string {
  const path = new URL(url).pathname.replace(/^\/v1/, '');
  const generic = path
    .split('/')
    .map((part) => (/^(proj|svc_acct|key|user|org)_[A-Za-z0-9]+$/.test(part) || /^[0-9a-f-]{16,}$/i.test(part) ? '{id}' : part))
    .join('/');
  return `${method} ${generic}`;
}

export async function openBenchWorld(options: BenchWorldOptions): Promise<BenchWorld> {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-bench-rotation-'));
  const emulator = await startEmulator({ port: 0, seed: 11, knobs: options.knobs });
  const database = options.databaseUrl === undefined ? undefined : await createScratchDatabase(options.databaseUrl);
  const rawStore = await openStore({ sqlitePath: join(directory, 'rekey.db'), databaseUrl: database?.url });
  await rawStore.migrate();
  const storeCalls: StoreCounts = { total: 0, writes: 0, byMethod: {} };
  // Counts every method call; the engine, vault and audit log all go through this view.
  const store = new Proxy(rawStore, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...parameters: unknown[]) => {
        const writes = WRITE_METHOD.test(property);
        options.onStoreCall?.(property, writes);
        storeCalls.total += 1;
        if (writes) storeCalls.writes += 1;
        storeCalls.byMethod[property] = (storeCalls.byMethod[property] ?? 0) + 1;
        return (value as (...parameters: unknown[]) => unknown).apply(target, parameters);
      };
    },
  });
  const masterKey = generateMasterKey();
  const material = { kind: 'env' as const, origin: 'bench', key: masterKey, id: masterKeyIdOf(masterKey) };
  await initializeVaultKeys(store, material);
  const keys = await openVaultKeys(store, directory, { primary: material });
  const vault = createVault({ store, envelope: keys.envelope, fingerprintSalt: keys.fingerprintSalt });
  const audit = createAuditLog({ store, clock: systemClock });

  const requests: RequestCounts = { total: 0, status429: 0, status5xx: 0, byRoute: {} };
  const countingFetch: FetchFunction = async (input, init) => {
    const route = routeOf(init?.method ?? 'GET', String(input));
    options.onRequest?.(route);
    requests.total += 1;
    requests.byRoute[route] = (requests.byRoute[route] ?? 0) + 1;
    const response = await globalThis.fetch(input, init);
    if (response.status === 429) requests.status429 += 1;
    if (response.status >= 500) requests.status5xx += 1;
    return response;
  };
  const provider = createOpenAIProvider({ adminKey: emulator.adminKeys.openai, baseUrl: emulator.openaiBaseUrl, fetch: countingFetch });
  const executor = createRotationExecutor({
    store,
    vault,
    audit,
    clock: systemClock,
    providers: { resolve: () => provider },
    sinks: createSinkResolver({ fingerprintSalt: keys.fingerprintSalt }),
    settings: options.settings,
    onProgress: options.onProgress,
  });

  const consumersDirectory = join(directory, 'consumers');
  mkdirSync(consumersDirectory, { mode: 0o700 });

  async function seedOne(name: string, index: number): Promise<SeededCredential> {
    const project = await emulator.seedOpenAIProject(name);
    const credential = await store.createCredential({
      name: `openai/${name}/bench`,
      provider: 'openai',
      scope: { project: project.projectId },
      environment: 'bench',
      owner: 'bench',
      purpose: 'rotation benchmark',
      allowedModels: ['gpt-4o-mini'],
      tags: {},
      policy: {},
    });
    await vault.putVersion({ credential, value: project.key, stage: 'current', providerKeyId: project.keyId, mintedBy: 'bench' });
    // The consumer's env file starts as a sink would have written it: main + versioned slot.
    const sinkConfig = { path: join(consumersDirectory, `app-${index}.env`), name: 'OPENAI_API_KEY' };
    const sink = createEnvFileSink(sinkConfig, { fingerprintSalt: keys.fingerprintSalt, consumerName: `${name}-app` });
    await sink.write('main', project.key);
    await sink.write({ version: 1 }, project.key);
    await store.addConsumer({ credentialId: credential.id, name: `${name}-app`, kind: 'env-file', config: sinkConfig, reload: null });
    return { credential, firstKey: project.key, sink };
  }

  return {
    emulator,
    store,
    vault,
    executor,
    fingerprintSalt: keys.fingerprintSalt,
    requests,
    storeCalls,
    resetCounters() {
      requests.total = 0;
      requests.status429 = 0;
      requests.status5xx = 0;
      requests.byRoute = {};
      storeCalls.total = 0;
      storeCalls.writes = 0;
      storeCalls.byMethod = {};
    },
    async seedCredentials(count, prefix) {
      const seeded: SeededCredential[] = [];
      for (let index = 0; index < count; index += 1) seeded.push(await seedOne(`${prefix}-${String(index).padStart(4, '0')}`, index));
      // Seeded keys skip nothing: wait until the emulator accepts them (activation delay).
      const deadline = performance.now() + 30_000;
      for (const { firstKey } of seeded) {
        while (!emulator.isKeyLive(firstKey.reveal())) {
          if (performance.now() > deadline) throw new Error('a seeded key never became live at the emulator');
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
      return seeded;
    },
    async close() {
      await rawStore.close();
      await emulator.close();
      await database?.drop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
