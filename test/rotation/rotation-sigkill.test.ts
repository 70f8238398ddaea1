/**
 * Crash safety, proven with real processes (issue 4 §6): a worker runs a real rotation
 * (SQLite file, emulator, OpenAI adapter, env-file sink) and is killed with SIGKILL at a
 * step boundary or in the middle of a provider or sink call; then the real binary runs
 * `rekey rotations resume <id>` on the same data directory.
 * After every kill: exactly one current version; every key alive at the provider is known
 * to the store (no orphan); the old key was never revoked before promote (outside
 * emergency mode); the consumer holds a key that works.
 *
 * The workers run the built engine (`dist/`, made by `npm run build`, which `npm test`
 * runs before vitest).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { systemClock } from '../../src/core/clock.js';
import { masterKeyIdOf } from '../../src/crypto/envelope.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { parseEnv, readVariable } from '../../src/sinks/env-file-format.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createVault } from '../../src/vault/vault.js';
import { initializeVaultKeys, openVaultKeys } from '../../src/vault/vault-keys.js';
import { REKEY_BIN } from '../helpers/cli-runner.js';
import { seedCredential } from '../helpers/credential-seed.js';
import { withPostgresDatabase, type PostgresTestDatabase } from '../store/postgres-fixture.js';

const WORKER = resolve(import.meta.dirname, 'rotation-kill-worker.mjs');
const BUILT = resolve(import.meta.dirname, '../../dist/src/rotation/rotation-executor.js');

const STANDARD_POINTS = [
  'after-begin:acquire-lock',
  'after-end:acquire-lock',
  'after-save:mint',
  'in-mint',
  'after-end:mint',
  'after-save:test',
  'in-test',
  'after-end:test',
  'after-begin:deliver',
  'in-sink-write',
  'after-end:deliver',
  'after-begin:promote',
  'after-end:promote',
  'after-save:grace',
  'after-begin:watch-grace',
  'after-end:watch-grace',
  'after-begin:revoke-old',
  'in-revoke',
  'after-end:revoke-old',
  'after-begin:finish',
  'after-end:finish',
  'after-save:done',
];
const EMERGENCY_POINTS = ['in-mint', 'after-end:deliver', 'after-end:promote', 'in-revoke', 'after-end:revoke-old', 'after-save:done'];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const SKIP_REASON = existsSync(BUILT) && existsSync(REKEY_BIN) ? '' : ' [skipped: dist/ is not built; run `npm run build` first]';

/** Where a case keeps its data: a SQLite file in its home, or a PostgreSQL schema. */
interface Backend {
  label: string;
  open(home: string, number: number): Promise<{ store: Store; environment: Record<string, string> }>;
}

const sqliteBackend: Backend = {
  label: 'sqlite',
  async open(home) {
    return { store: await openStore({ sqlitePath: join(home, 'rekey.db') }), environment: {} };
  },
};

function harness(backend: Backend, points: { standard: string[]; emergency: string[] }): void {
  describe.skipIf(SKIP_REASON !== '')(`SIGKILL at step boundaries and mid-call, then rekey rotations resume [${backend.label}]${SKIP_REASON}`, () => {
    let emulator: RunningEmulator;
    let directory: string;
    const masterKey = randomBytes(32);
    const material = { kind: 'env' as const, origin: 'REKEY_MASTER_KEY', key: masterKey, id: masterKeyIdOf(masterKey) };
    let environment: Record<string, string>;
    let caseNumber = 0;

    beforeAll(async () => {
      emulator = await startEmulator({ port: 0, seed: 21, knobs: { activationDelayMs: 200, revocationDelayMs: 200, latencyMs: 20 } });
      directory = await mkdtemp(join(tmpdir(), 'rekey-sigkill-'));
      // The worker and the CLI get secrets through the environment only.
      environment = {
        PATH: process.env.PATH ?? '',
        NO_COLOR: '1',
        REKEY_TEST_MASTER_KEY: masterKey.toString('base64'),
        REKEY_TEST_ADMIN_KEY: emulator.adminKeys.openai.reveal(),
        REKEY_TEST_BASE_URL: emulator.openaiBaseUrl,
        REKEY_MASTER_KEY: masterKey.toString('base64'),
        OPENAI_ADMIN_KEY: emulator.adminKeys.openai.reveal(),
        OPENAI_BASE_URL: emulator.openaiBaseUrl,
      };
    });
    afterAll(async () => {
      await emulator?.close();
      await rm(directory, { recursive: true, force: true });
    });

    function run(script: string, args: string[], extra: Record<string, string>): Promise<Run> {
      return new Promise((resolvePromise, reject) => {
        const child = spawn(process.execPath, [script, ...args], { env: { ...environment, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolvePromise({ code, signal, stdout, stderr });
        });
      });
    }

    /** Each case has its own data directory (as `rekey init` makes it), so cases run side by side. */
    async function prepare() {
      caseNumber += 1;
      const number = caseNumber;
      const home = join(directory, `home-${number}`);
      await mkdir(home, { mode: 0o700 });
      const sqlitePath = join(home, 'rekey.db');
      const { store, environment: storeEnvironment } = await backend.open(home, number);
      await store.migrate();
      await initializeVaultKeys(store, material);
      const keys = await openVaultKeys(store, home, { primary: material });
      const vault = createVault({ store, envelope: keys.envelope, fingerprintSalt: keys.fingerprintSalt });
      const seeded = await emulator.seedOpenAIProject(`kill-${number}`);
      for (let waited = 0; !emulator.isKeyLive(seeded.key.reveal()) && waited < 10_000; waited += 50) await new Promise((done) => setTimeout(done, 50));
      const { credential, version: first } = await seedCredential({ store, vault }, {
        name: `openai/kill${number}/dev`, value: seeded.key, providerKeyId: seeded.keyId, scope: { project: seeded.projectId }, allowedModels: ['gpt-4o-mini'],
      });
      const envPath = join(directory, `app-${number}.env`);
      await store.addConsumer({ credentialId: credential.id, name: 'app-env', kind: 'env-file', config: { path: envPath, name: 'OPENAI_API_KEY' }, reload: null });
      return { home, sqlitePath, storeEnvironment, salt: keys.fingerprintSalt, store, vault, seeded, credential, first, envPath };
    }

    async function currentCount(store: Store, credentialId: string): Promise<number> {
      return (await store.listVersions(credentialId)).filter((version) => version.stage === 'current').length;
    }

    const cases = [...points.standard.map((point) => ['standard', point] as const), ...points.emergency.map((point) => ['emergency', point] as const)];

    it.concurrent.each(cases)(`%s rotation killed at %s [${backend.label}]`, async (mode, point) => {
      const prepared = await prepare();
      try {
        await killAndResume(prepared, mode, point);
      } finally {
        await prepared.store.close();
      }
    }, 120_000);

    async function killAndResume(
      { home, sqlitePath, storeEnvironment, salt, store, vault, seeded, credential, first, envPath }: Awaited<ReturnType<typeof prepare>>,
      mode: 'standard' | 'emergency',
      point: string,
    ): Promise<void> {
      const killed = await run(WORKER, ['start', sqlitePath, credential.name, point, mode], { ...storeEnvironment, REKEY_TEST_SALT: salt.toString('base64') });
      expect({ signal: killed.signal, stderr: killed.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
      expect(await currentCount(store, credential.id)).toBe(1);
      const [rotation] = await store.listRotations({ credentialId: credential.id });
      if (rotation === undefined) throw new Error('the killed worker left no rotation');

      const resumed = await run(REKEY_BIN, ['rotations', 'resume', rotation.id, '--json'], { ...storeEnvironment, REKEY_HOME: home });
      expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(resumed.stdout)).toMatchObject({ rotation: rotation.id, state: 'done' });

      // Exactly one current, the old version revoked.
      const versions = await store.listVersions(credential.id);
      expect(versions.filter((version) => version.stage === 'current')).toHaveLength(1);
      expect(versions.find((version) => version.number === first.number)?.stage).toBe('revoked');
      const current = versions.find((version) => version.stage === 'current');
      if (current === undefined) throw new Error('no current version');

      // No orphan: the only live key of the project is the current version's.
      const live = emulator.listAllKeys().filter((key) => key.projectId === seeded.projectId && key.status === 'active');
      expect(live.map((key) => key.id)).toEqual([current.providerKeyId]);
      expect(emulator.isKeyLive(seeded.key.reveal())).toBe(false);

      // The consumer holds a key that works, and it is the current one.
      const value = readVariable(parseEnv(await readFile(envPath, 'utf8')), 'OPENAI_API_KEY');
      expect(value).toBe((await vault.reveal(credential, current.number)).reveal());
      expect(emulator.isKeyLive(value ?? '')).toBe(true);

      // Outside emergency, the old key was revoked only after promote.
      const events = await createAuditLog({ store, clock: systemClock }).list({ credential: credential.name });
      const names = events.map((event) => `${event.event}:${event.fingerprint === first.fingerprint ? 'old' : 'other'}`);
      const oldRevoked = names.indexOf('key-revoke:old');
      expect(oldRevoked).toBeGreaterThanOrEqual(0);
      if (mode === 'standard') {
        const promoted = names.findIndex((name) => name.startsWith('version-promote'));
        const graceEnded = names.findIndex((name) => name.startsWith('grace-end'));
        expect(promoted).toBeGreaterThanOrEqual(0);
        expect(graceEnded).toBeGreaterThanOrEqual(0);
        expect(promoted).toBeLessThan(oldRevoked);
        expect(graceEnded).toBeLessThan(oldRevoked);
      }
    }
  });
}

harness(sqliteBackend, { standard: STANDARD_POINTS, emergency: EMERGENCY_POINTS });

// PostgreSQL: the points where the store's leases, compare-and-set and journal matter most.
withPostgresDatabase('SIGKILL harness [postgres]', (database: () => PostgresTestDatabase) => {
  harness(
    {
      label: 'postgres',
      async open(_home, number) {
        const schema = `kill_${process.pid}_${number}`;
        const client = new pg.Client({ connectionString: database().url() });
        await client.connect();
        try {
          await client.query(`CREATE SCHEMA ${schema}`);
        } finally {
          await client.end();
        }
        const url = database().url(schema);
        const store = await openStore({ databaseUrl: url, sqlitePath: '/nonexistent/unused.db' });
        return { store, environment: { REKEY_TEST_DATABASE_URL: url, REKEY_DATABASE_URL: url } };
      },
    },
    { standard: ['in-mint', 'after-end:deliver', 'after-end:promote', 'after-begin:watch-grace', 'in-revoke', 'after-end:finish'], emergency: ['in-revoke'] },
  );
});
