/**
 * Sets up the demo's world: the provider emulator, a throwaway vault on SQLite, one
 * OpenAI credential seeded from a real emulator project key, an env-file consumer with an
 * exec reload (SIGHUP to the app), and the rotation executor wired to all of it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog } from '../audit/audit-log.js';
import { systemClock } from '../core/clock.js';
import type { Credential } from '../core/types.js';
import { masterKeyIdOf } from '../crypto/envelope.js';
import { generateMasterKey } from '../crypto/master-key.js';
import { startEmulator, type RunningEmulator } from '../emulator/emulator.js';
import { createOpenAIProvider } from '../providers/openai/openai-provider.js';
import { createRotationExecutor, type RotationExecutor } from '../rotation/rotation-executor.js';
import type { RotationProgress } from '../rotation/rotation-deps.js';
import { createEnvFileSink } from '../sinks/env-file-sink.js';
import { createSinkResolver } from '../sinks/sink-resolver.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { createVault, type Vault } from '../vault/vault.js';
import { initializeVaultKeys, openVaultKeys } from '../vault/vault-keys.js';
import type { ConsumerStats } from './sample-consumer.js';

export const CREDENTIAL = 'openai/demo-app/prod';

export interface DemoWorld {
  directory: string;
  emulator: RunningEmulator;
  store: Store;
  vault: Vault;
  credential: Credential;
  executor: RotationExecutor;
  consumer: ChildProcess;
  latestStats(): ConsumerStats | undefined;
  stopConsumer(): Promise<ConsumerStats>;
  close(): Promise<void>;
}

export async function setUpDemo(onProgress: (progress: RotationProgress) => void): Promise<DemoWorld> {
  const directory = mkdtempSync(join(tmpdir(), 'rekey-demo-'));
  const emulator = await startEmulator({ port: 0, seed: 7, knobs: { activationDelayMs: 300, latencyMs: 2 } });
  const project = await emulator.seedOpenAIProject('demo-app');
  // A new key at the emulator answers 401 until its activation delay passes, as at OpenAI.
  for (let waited = 0; !emulator.isKeyLive(project.key.reveal()); waited += 25) {
    if (waited > 10_000) throw new Error('the seeded demo key never became live at the emulator');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  const store = await openStore({ sqlitePath: join(directory, 'rekey.db') });
  await store.migrate();
  const key = generateMasterKey();
  const material = { kind: 'env' as const, origin: 'demo', key, id: masterKeyIdOf(key) };
  await initializeVaultKeys(store, material);
  const keys = await openVaultKeys(store, directory, { primary: material });
  const vault = createVault({ store, envelope: keys.envelope, fingerprintSalt: keys.fingerprintSalt });
  const audit = createAuditLog({ store, clock: systemClock });

  const credential = await store.createCredential({
    name: CREDENTIAL, provider: 'openai', scope: { project: project.projectId }, environment: 'prod',
    owner: 'demo-team', purpose: 'rekey demo', allowedModels: ['gpt-4o-mini'], tags: {}, policy: {},
  });
  await vault.putVersion({ credential, value: project.key, stage: 'current', providerKeyId: project.keyId, mintedBy: 'demo' });

  // The app's env file starts with the current key in both slots, as a sink would write it.
  const envFile = join(directory, 'app.env');
  const sinkConfig = { path: envFile, name: 'OPENAI_API_KEY' };
  const sink = createEnvFileSink(sinkConfig, { fingerprintSalt: keys.fingerprintSalt, consumerName: 'demo-app' });
  await sink.write('main', project.key);
  await sink.write({ version: 1 }, project.key);

  let latest: ConsumerStats | undefined;
  let finalStats: ((stats: ConsumerStats) => void) | undefined;
  const consumer = fork(new URL('./sample-consumer.js', import.meta.url), [], {
    env: { PATH: process.env.PATH, DEMO_ENV_FILE: envFile, DEMO_BASE_URL: emulator.openaiBaseUrl, DEMO_RATE: '60', DEMO_CONCURRENCY: '6' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  consumer.on('message', (message: { type: string; stats: ConsumerStats; final?: boolean }) => {
    latest = message.stats;
    if (message.final === true) finalStats?.(message.stats);
  });
  await store.addConsumer({
    credentialId: credential.id, name: 'demo-app', kind: 'env-file', config: sinkConfig,
    reload: { kind: 'exec', command: ['kill', '-HUP', String(consumer.pid)], keyVia: 'none' },
  });

  const provider = await createOpenAIProvider({ adminKey: emulator.adminKeys.openai, baseUrl: emulator.openaiBaseUrl });
  const executor = createRotationExecutor({
    store, vault, audit, clock: systemClock,
    providers: { resolve: () => provider },
    sinks: createSinkResolver({ fingerprintSalt: keys.fingerprintSalt }),
    settings: { gracePollMinMs: 250, gracePollMaxMs: 500, testTimeoutMs: 20_000, revokeConfirmTimeoutMs: 20_000 },
    onProgress,
  });

  return {
    directory, emulator, store, vault, credential, executor, consumer,
    latestStats: () => latest,
    stopConsumer: () => new Promise((resolve) => {
      finalStats = resolve;
      consumer.send('stop');
    }),
    async close() {
      if (consumer.exitCode === null) consumer.kill();
      await store.close();
      await emulator.close();
    },
  };
}
