/**
 * A rotation test bed: a real SQLite store and vault in a temp directory, a fake provider,
 * an env-file consumer, a manual clock, and an executor wired to them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock } from '../../src/core/clock.js';
import type { SecretValue } from '../../src/core/secret-value.js';
import { createEnvelope } from '../../src/crypto/envelope.js';
import type { RotationDeps } from '../../src/rotation/rotation-deps.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import { parseEnv, readVariable } from '../../src/sinks/env-file-format.js';
import { createSinkResolver } from '../../src/sinks/sink-resolver.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createVault } from '../../src/vault/vault.js';
import { createFakeProvider } from '../fakes/fake-provider.js';
import { seedCredential } from '../helpers/credential-seed.js';
import { createMemoryAudit } from '../fakes/memory-audit.js';

export interface FixtureOptions {
  mint?: 'api' | 'human';
  revoke?: 'api' | 'human';
  environment?: string;
  /** Add an env-file consumer (default true). */
  consumer?: boolean;
  reload?: Record<string, unknown> | null;
  settings?: RotationDeps['settings'];
  /** Another store (e.g. PostgreSQL); default: a SQLite file in the fixture's directory. */
  openStore?: (now: () => Date) => Promise<Store>;
  /** Import the first version without its provider key id (as `credential add --read-value` does). */
  importedWithoutKeyId?: boolean;
}

export async function createRotationFixture(options: FixtureOptions = {}) {
  const directory = await mkdtemp(join(tmpdir(), 'rekey-rotation-'));
  const manual = createManualClock(new Date('2026-05-01T09:00:00Z'));
  // Time moves only when someone sleeps; each sleep also yields to the event loop, so a
  // worker polling in virtual time (SQLite answers synchronously) cannot starve the others.
  const clock = {
    now: () => manual.now(),
    advance: (milliseconds: number) => manual.advance(milliseconds),
    async sleep(milliseconds: number) {
      manual.advance(milliseconds);
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
  const now = () => clock.now();
  const store: Store = options.openStore === undefined ? await openStore({ sqlitePath: join(directory, 'rekey.db'), now }) : await options.openStore(now);
  await store.migrate();
  const fingerprintSalt = randomBytes(32);
  const vault = createVault({ store, envelope: createEnvelope(randomBytes(32)), fingerprintSalt });
  const audit = createMemoryAudit();
  const fake = createFakeProvider({ clock, mint: options.mint, revoke: options.revoke });
  const firstValue = fake.seed();
  const { credential } = await seedCredential({ store, vault }, {
    name: 'openai/ticketing/dev',
    value: firstValue,
    providerKeyId: options.importedWithoutKeyId === true ? null : (fake.keys[0]?.id ?? null),
    scope: { project: 'proj_1' },
    environment: options.environment ?? 'dev',
    allowedModels: ['gpt-4o-mini'],
  });
  const envPath = join(directory, 'app.env');
  if (options.consumer !== false) {
    await store.addConsumer({
      credentialId: credential.id,
      name: 'ticketing-env',
      kind: 'env-file',
      config: { path: envPath, name: 'OPENAI_API_KEY' },
      reload: options.reload ?? null,
    });
  }
  const plantedValues: SecretValue[] = [firstValue];
  const deps = (workerId = 'worker-a'): RotationDeps => ({
    store,
    vault,
    audit,
    providers: { resolve: () => fake.provider },
    sinks: createSinkResolver({ fingerprintSalt }),
    clock,
    workerId,
    settings: { testTimeoutMs: 20_000, revokeConfirmTimeoutMs: 20_000, ...options.settings },
  });
  return {
    directory,
    clock,
    store,
    vault,
    audit,
    fake,
    credential,
    firstValue,
    envPath,
    plantedValues,
    deps,
    executor: createRotationExecutor(deps()),
    async envVariable(name: string): Promise<string | undefined> {
      const text = await readFile(envPath, 'utf8').catch(() => '');
      return readVariable(parseEnv(text), name);
    },
    async stages(): Promise<Record<number, string>> {
      const versions = await store.listVersions(credential.id);
      return Object.fromEntries(versions.map((version) => [version.number, version.stage]));
    },
    /** Every live provider key is known to the store (no orphan). */
    async orphans(): Promise<string[]> {
      const known = new Set((await store.listVersions(credential.id)).map((version) => version.providerKeyId));
      return fake.liveKeys().filter((key) => !known.has(key.id)).map((key) => key.id);
    },
    /** Everything rekey persisted or audited, to grep for key values. */
    async persistedText(): Promise<string> {
      const rotations = await store.listRotations({});
      const journals = await Promise.all(rotations.map((rotation) => store.listJournal(rotation.id)));
      let database = '';
      for (const file of ['rekey.db', 'rekey.db-wal']) {
        database += await readFile(join(directory, file)).then((buffer) => buffer.toString('latin1'), () => '');
      }
      return JSON.stringify({ rotations, journals, audit: audit.events }) + database;
    },
    async close() {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export type RotationFixture = Awaited<ReturnType<typeof createRotationFixture>>;
