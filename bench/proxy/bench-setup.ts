/**
 * What every run needs: an emulator process, a rekey database with one OpenAI credential
 * (SQLite in a temporary directory), keys minted and revoked through the emulator's
 * Admin API, and the environment that lets child processes open the same database.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { SecretValue } from '../../src/core/secret-value.js';
import type { Credential } from '../../src/core/types.js';
import { createEnvelope } from '../../src/crypto/envelope.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createVault, type Vault } from '../../src/vault/vault.js';
import { spawnRole, type RunningChild } from './bench-processes.js';

export interface MintedKey {
  projectId: string;
  serviceAccountId: string;
  keyId: string;
  value: string;
}

export interface BenchSetup {
  directory: string;
  emulator: RunningChild;
  adminKey: string;
  openaiBaseUrl: string;
  store: Store;
  vault: Vault;
  credential: Credential;
  firstKey: MintedKey;
  /** Environment for `proxy` / `serve` child processes. */
  childEnv: Record<string, string>;
  mint(name: string): Promise<MintedKey>;
  revoke(key: MintedKey): Promise<void>;
  close(): Promise<void>;
}

/**
 * `databaseUrl`: a PostgreSQL database for the run; its rekey tables are dropped first
 * (use a throwaway database).
 */
export async function createBenchSetup(credentialName: string, options: { databaseUrl?: string | undefined } = {}): Promise<BenchSetup> {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-bench-'));
  const adminKey = `sk-admin-${randomBytes(48).toString('base64url').slice(0, 64)}`;
  const emulator = await spawnRole('emulator', { REKEY_BENCH_ADMIN_KEY: adminKey });
  const openaiBaseUrl = `${emulator.url}/v1`;
  const admin = new OpenAI({ apiKey: null, adminAPIKey: adminKey, baseURL: openaiBaseUrl, maxRetries: 2 });

  async function mint(name: string): Promise<MintedKey> {
    const project = await admin.admin.organization.projects.create({ name });
    const account = await admin.admin.organization.projects.serviceAccounts.create(project.id, { name });
    const apiKey = account.api_key;
    if (apiKey === undefined || apiKey === null || typeof apiKey.value !== 'string') throw new Error('the emulator returned no key');
    return { projectId: project.id, serviceAccountId: account.id, keyId: apiKey.id, value: apiKey.value };
  }

  const masterKey = randomBytes(32);
  const salt = randomBytes(32);
  const sqlitePath = join(directory, 'rekey.db');
  if (options.databaseUrl !== undefined) await emptyPostgres(options.databaseUrl);
  const store = await openStore({ sqlitePath, databaseUrl: options.databaseUrl });
  await store.migrate();
  const vault = createVault({ store, envelope: createEnvelope(masterKey), fingerprintSalt: salt });
  const firstKey = await mint('bench-0');
  const credential = await store.createCredential({ name: credentialName, provider: 'openai', scope: { project: firstKey.projectId }, environment: 'prod', owner: null, purpose: 'benchmark', allowedModels: [], tags: {}, policy: {} });
  await vault.putVersion({ credential, value: new SecretValue(firstKey.value), stage: 'current', providerKeyId: firstKey.keyId, mintedBy: 'bench' });

  return {
    directory,
    emulator,
    adminKey,
    openaiBaseUrl,
    store,
    vault,
    credential,
    firstKey,
    childEnv: {
      REKEY_BENCH_SQLITE: sqlitePath,
      REKEY_BENCH_MASTER_KEY: masterKey.toString('base64'),
      REKEY_BENCH_SALT: salt.toString('base64'),
      REKEY_BENCH_UPSTREAM: openaiBaseUrl,
      ...(options.databaseUrl === undefined ? {} : { REKEY_BENCH_DATABASE_URL: options.databaseUrl }),
    },
    mint,
    async revoke(key) {
      await admin.admin.organization.projects.serviceAccounts.delete(key.serviceAccountId, { project_id: key.projectId });
    },
    async close() {
      await emulator.stop();
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Drops and recreates the public schema of a throwaway benchmark database. */
async function emptyPostgres(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE');
    await client.query('CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}

export function describeMachine() {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
