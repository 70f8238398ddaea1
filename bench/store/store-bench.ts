/**
 * Store benchmark (issue 2): reads of a credential's current value, decrypt included,
 * and promotes, per second, on SQLite and PostgreSQL. Several runs per figure; the
 * median is reported. Writes bench/store/results.json and bench/store/README.md.
 *
 *   npm run bench:store
 *   REKEY_BENCH_DATABASE_URL=postgres://… npm run bench:store   (else REKEY_TEST_DATABASE_URL)
 *
 * PostgreSQL runs in a throwaway database created for the run and dropped after it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describeMachine } from '../bench-machine.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { SecretValue } from '../../src/core/secret-value.js';
import { createEnvelope, type Envelope } from '../../src/crypto/envelope.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { renderBenchReadme, type BenchResults, type DialectResults } from './store-bench-report.js';

const RUNS = 5;
const CREDENTIALS = 50;
const READ_MILLISECONDS = 1500;
const CONCURRENCY = 8;
const PROMOTES_PER_RUN = 150;
const OUTPUT = fileURLToPath(new URL('../../../bench/store/', import.meta.url));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function round(value: number): number {
  return Math.round(value);
}

function credentialName(index: number): string {
  return `openai/bench-${index}/prod`;
}

async function seed(store: Store, envelope: Envelope): Promise<void> {
  await store.migrate();
  for (let index = 0; index < CREDENTIALS; index++) {
    const credential = await store.createCredential({
      name: credentialName(index),
      provider: 'openai',
      scope: { project: 'proj_bench' },
      environment: 'prod',
      owner: null,
      purpose: null,
      allowedModels: [],
      tags: {},
      policy: {},
    });
    const value = new SecretValue(`sk-proj-${randomBytes(24).toString('base64url')}`);
    await store.addVersion({
      credentialId: credential.id,
      stage: 'current',
      providerKeyId: null,
      fingerprint: randomBytes(32).toString('hex'),
      hint: value.hint,
      mintedBy: 'bench',
      seal: (number) => envelope.seal(value, { credentialId: credential.id, version: number }),
    });
  }
}

/** One read as an application would do it: name → current version → decrypted value. */
async function readCurrent(store: Store, envelope: Envelope, index: number): Promise<number> {
  const credential = await store.getCredential(credentialName(index % CREDENTIALS));
  if (credential === undefined) throw new Error('seeded credential missing');
  const version = await store.getVersionByStage(credential.id, 'current');
  if (version === undefined) throw new Error('seeded version missing');
  return envelope.open(version.sealed, { credentialId: credential.id, version: version.number }).length;
}

async function readsPerSecond(store: Store, envelope: Envelope, concurrency: number): Promise<number> {
  let count = 0;
  const started = performance.now();
  const deadline = started + READ_MILLISECONDS;
  async function worker(offset: number): Promise<void> {
    for (let index = offset; performance.now() < deadline; index += concurrency) {
      await readCurrent(store, envelope, index);
      count += 1;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, offset) => worker(offset)));
  return count / ((performance.now() - started) / 1000);
}

/** Times promote() alone; minting the pending version before it is not counted. */
async function promotesPerSecond(store: Store, envelope: Envelope): Promise<number> {
  const credential = await store.getCredential(credentialName(0));
  if (credential === undefined) throw new Error('seeded credential missing');
  let promoteMilliseconds = 0;
  for (let index = 0; index < PROMOTES_PER_RUN; index++) {
    const current = await store.getVersionByStage(credential.id, 'current');
    const value = new SecretValue(`sk-proj-${randomBytes(24).toString('base64url')}`);
    const pending = await store.addVersion({
      credentialId: credential.id,
      stage: 'pending',
      providerKeyId: null,
      fingerprint: randomBytes(32).toString('hex'),
      hint: value.hint,
      mintedBy: 'bench',
      seal: (number) => envelope.seal(value, { credentialId: credential.id, version: number }),
    });
    const started = performance.now();
    await store.promote(credential.id, pending.number, { expectedCurrent: current?.number ?? null, existingPrevious: 'revoked' });
    promoteMilliseconds += performance.now() - started;
  }
  return PROMOTES_PER_RUN / (promoteMilliseconds / 1000);
}

async function measure(store: Store, envelope: Envelope): Promise<DialectResults> {
  const sequential: number[] = [];
  const concurrent: number[] = [];
  const promotes: number[] = [];
  await readsPerSecond(store, envelope, 1); // warm-up
  for (let run = 0; run < RUNS; run++) {
    sequential.push(round(await readsPerSecond(store, envelope, 1)));
    concurrent.push(round(await readsPerSecond(store, envelope, CONCURRENCY)));
    promotes.push(round(await promotesPerSecond(store, envelope)));
  }
  return {
    readsPerSecond: { median: median(sequential), runs: sequential },
    readsPerSecondConcurrent: { median: median(concurrent), runs: concurrent },
    promotesPerSecond: { median: median(promotes), runs: promotes },
  };
}

async function benchSqlite(envelope: Envelope): Promise<DialectResults> {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-bench-'));
  const store = await openStore({ sqlitePath: join(directory, 'rekey.db') });
  try {
    await seed(store, envelope);
    return await measure(store, envelope);
  } finally {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

async function benchPostgres(envelope: Envelope, url: string): Promise<DialectResults> {
  const name = `rekey_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  try {
    const store = await openStore({ databaseUrl: target.toString(), sqlitePath: '' });
    try {
      await seed(store, envelope);
      return await measure(store, envelope);
    } finally {
      await store.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function main(): Promise<void> {
  const envelope = createEnvelope(randomBytes(32));
  const postgresUrl = process.env.REKEY_BENCH_DATABASE_URL || process.env.REKEY_TEST_DATABASE_URL || undefined;
  console.log('bench:store: SQLite…');
  const sqlite = await benchSqlite(envelope);
  let postgres: DialectResults | { skipped: string };
  if (postgresUrl === undefined) {
    postgres = { skipped: 'no REKEY_BENCH_DATABASE_URL or REKEY_TEST_DATABASE_URL' };
  } else {
    console.log('bench:store: PostgreSQL…');
    postgres = await benchPostgres(envelope, postgresUrl);
  }
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: describeMachine(),
    settings: { runs: RUNS, credentials: CREDENTIALS, readMilliseconds: READ_MILLISECONDS, concurrency: CONCURRENCY, promotesPerRun: PROMOTES_PER_RUN },
    sqlite,
    postgres,
  };
  writeFileSync(join(OUTPUT, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(OUTPUT, 'README.md'), renderBenchReadme(results));
  console.log(JSON.stringify({ sqlite: results.sqlite, postgres: results.postgres }, null, 2));
}

main().catch((error: unknown) => {
  console.error(`bench:store failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
