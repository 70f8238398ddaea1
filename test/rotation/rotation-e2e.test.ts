/**
 * End to end, nothing faked: the real SQLite store, vault and audit log, the provider
 * emulator with activation and revocation delays, the OpenAI adapter and the env-file
 * sink. An "app" keeps calling the emulator with whatever key its env file holds
 * (falling back to the versioned key on a 401) while a rotation runs with a grace of
 * seconds. Normal rotation: zero failed requests; old key dead; exactly one current.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { systemClock } from '../../src/core/clock.js';
import { createEnvelope } from '../../src/crypto/envelope.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { createOpenAIProvider } from '../../src/providers/openai/openai-provider.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import { parseEnv } from '../../src/sinks/env-file-format.js';
import { createSinkResolver } from '../../src/sinks/sink-resolver.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createVault } from '../../src/vault/vault.js';
import { seedCredential } from '../helpers/credential-seed.js';

describe('rotation end to end (emulator + OpenAI adapter + SQLite + env file)', () => {
  let emulator: RunningEmulator;
  let directory: string;
  let store: Store;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 4, knobs: { activationDelayMs: 400, revocationDelayMs: 300 } });
    directory = await mkdtemp(join(tmpdir(), 'rekey-e2e-rotation-'));
    store = await openStore({ sqlitePath: join(directory, 'rekey.db') });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await emulator.close();
    await rm(directory, { recursive: true, force: true });
  });

  /** The sample app: reads its env file on every request, falls back to versioned keys on 401. */
  function startApp(envPath: string) {
    const counts = { ok: 0, failed: 0, fallbacks: 0 };
    let running = true;
    const call = (key: string) =>
      fetch(`${emulator.openaiBaseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      }).then((response) => response.status);
    const loop = (async () => {
      while (running) {
        const document = parseEnv(await readFile(envPath, 'utf8'));
        const variables = document.entries.flatMap((entry) => (entry.kind === 'assignment' ? [entry] : []));
        const main = variables.find((entry) => entry.name === 'OPENAI_API_KEY')?.value;
        const versioned = variables.filter((entry) => /^OPENAI_API_KEY_V\d+$/.test(entry.name)).map((entry) => entry.value);
        let status = main === undefined ? 0 : await call(main);
        for (const fallback of versioned) {
          if (status === 200) break;
          counts.fallbacks += 1;
          status = await call(fallback);
        }
        if (status === 200) counts.ok += 1;
        else counts.failed += 1;
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    return {
      counts,
      async stop() {
        running = false;
        await loop;
      },
    };
  }

  it('rotates with zero failed requests, the old key dead at the provider and exactly one current', async () => {
    const seeded = await emulator.seedOpenAIProject('ticketing');
    const fingerprintSalt = randomBytes(32);
    const vault = createVault({ store, envelope: createEnvelope(randomBytes(32)), fingerprintSalt });
    const audit = createAuditLog({ store, clock: systemClock });
    const { credential } = await seedCredential({ store, vault }, {
      name: 'openai/ticketing/staging', value: seeded.key, providerKeyId: seeded.keyId, scope: { project: seeded.projectId }, environment: 'staging',
      owner: 'platform', allowedModels: ['gpt-4o-mini'], policy: { graceQuietSeconds: 2, graceMaxSeconds: 60 },
    });
    const envPath = join(directory, 'ticketing.env');
    await store.addConsumer({ credentialId: credential.id, name: 'ticketing-env', kind: 'env-file', config: { path: envPath, name: 'OPENAI_API_KEY' }, reload: null });
    // The app starts on the old key.
    const sinks = createSinkResolver({ fingerprintSalt });
    const consumer = (await store.listConsumers(credential.id))[0];
    if (consumer === undefined) throw new Error('no consumer');
    await (await sinks.create(consumer)).write('main', seeded.key);

    const provider = createOpenAIProvider({ adminKey: emulator.adminKeys.openai, baseUrl: emulator.openaiBaseUrl, environment: {} });
    const executor = createRotationExecutor({
      store,
      vault,
      audit,
      providers: { resolve: () => provider },
      sinks,
      clock: systemClock,
      settings: { gracePollMinMs: 250, testTimeoutMs: 30_000, revokeConfirmTimeoutMs: 30_000 },
    });

    // The seeded key is subject to the activation delay too: start the app once it works.
    for (let waited = 0; !emulator.isKeyLive(seeded.key.reveal()) && waited < 10_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const app = startApp(envPath);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const outcome = await executor.start({ credential: credential.name, actor: 'cli:e2e' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await app.stop();

    expect(outcome.state).toBe('done');
    expect(app.counts.failed).toBe(0);
    expect(app.counts.ok).toBeGreaterThan(5);

    const versions = await store.listVersions(credential.id);
    expect(versions.map((version) => [version.number, version.stage])).toEqual([
      [1, 'revoked'],
      [2, 'current'],
    ]);
    const next = await vault.reveal(credential, 2);
    expect(emulator.isKeyLive(seeded.key.reveal())).toBe(false);
    expect(emulator.isKeyLive(next.reveal())).toBe(true);
    const text = await readFile(envPath, 'utf8');
    expect(text).toBe(`OPENAI_API_KEY=${next.reveal()}\nOPENAI_API_KEY_V2=${next.reveal()}\n`);

    // No orphan: every live key of the project is the current version's.
    const live = emulator.listAllKeys().filter((key) => key.projectId === seeded.projectId && key.status === 'active');
    expect(live.map((key) => key.id)).toEqual([versions[1]?.providerKeyId]);

    expect(await audit.verify()).toMatchObject({ ok: true });
    const names = (await audit.list({ credential: credential.name })).map((event) => event.event);
    expect(names).toEqual(['rotation-start', 'key-mint', 'key-test', 'sink-write', 'version-promote', 'grace-end', 'key-revoke', 'rotation-end']);

    let persisted = '';
    for (const file of ['rekey.db', 'rekey.db-wal']) persisted += await readFile(join(directory, file)).then((buffer) => buffer.toString('latin1'), () => '');
    expect(persisted).not.toContain(seeded.key.reveal());
    expect(persisted).not.toContain(next.reveal());
  });
});
