/**
 * Load through the SDK during back-to-back rotations: official `openai` clients made
 * rotation-proof by `rotationProofOpenAI`, keys from `rekey serve` by long poll, straight
 * to the emulator, 0 failed requests; and propagation of a promote to 100 SDK clients.
 * Short by default (bench/proxy/load-main.ts runs the full multi-process version).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { createKeySource, rotationProofOpenAI, type KeySource } from '../../src/sdk/index.js';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { startKeyServer, type RunningKeyServer } from '../../src/server/key-server.js';
import { createKeyFixture, type KeyFixture } from '../helpers/key-fixture.js';
import { createRotationDriver, percentile, runLoad } from './load-harness.js';

const NAME = 'openai/load-sdk/prod';
let emulator: RunningEmulator;
let fixture: KeyFixture;
let server: RunningKeyServer;
let first: Awaited<ReturnType<RunningEmulator['seedOpenAIProject']>>;
let token: string;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 41 });
  fixture = await createKeyFixture();
  first = await emulator.seedOpenAIProject('load-sdk-0');
  await fixture.addCredential(NAME, first.key.reveal());
  token = (await issueAccessToken(fixture.store, { kind: 'read', name: 'load-app', credentials: [NAME], allowedModels: [], createdBy: 'load' }, new Date())).secret;
  server = await startKeyServer({ store: fixture.store, vault: fixture.vault });
});
afterAll(async () => {
  await server.close();
  await fixture.close();
  await emulator.close();
});

describe('SDK under load during rotations', () => {
  it('serves every request during back-to-back rotations', async () => {
    const sources = Array.from({ length: 8 }, (_unused, index) => createKeySource({ credential: NAME, from: { url: server.url, token, instance: `pod-${index}` } }));
    const clients = sources.map((source) => rotationProofOpenAI(OpenAI, source, { baseURL: emulator.openaiBaseUrl, maxRetries: 0, timeout: 20_000 }));
    const driver = createRotationDriver({ fixture, emulator, credential: NAME, first, graceMilliseconds: 2000 });
    let rotating = true;
    const load = runLoad({ clients, ratePerSecond: 250, concurrency: 32, stop: () => !rotating });
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let index = 0; index < 3; index += 1) await driver.rotate();
    await new Promise((resolve) => setTimeout(resolve, 300));
    rotating = false;
    const result = await load;
    await Promise.all(sources.map((source) => source.close()));
    console.log(`sdk load: ${JSON.stringify({ rotations: driver.rotations, ...result })}`);
    expect(result.failures, JSON.stringify(result.failuresByKind)).toBe(0);
    expect(result.requests).toBeGreaterThan(100);
    // Check-ins saw the clients on the newest version.
    const credential = await fixture.store.getCredential(NAME);
    const latest = await fixture.store.listConsumerUsage(credential?.id ?? '', 4, new Date(Date.now() - 120_000));
    expect(latest.map((observation) => observation.consumer).sort()).toEqual(sources.map((_source, index) => `load-app/pod-${index}`).sort());
  }, 120_000);

  it('propagates a promote to 100 long-polling SDK clients', async () => {
    const sources: KeySource[] = Array.from({ length: 100 }, () => createKeySource({ credential: NAME, from: { url: server.url, token } }));
    await Promise.all(sources.map((source) => source.current()));
    const delays: number[] = [];
    try {
      for (let round = 0; round < 3; round += 1) {
        const stored = await fixture.store.getCredential(NAME);
        const expected = ((await fixture.store.getVersionByStage(stored?.id ?? '', 'current'))?.number ?? 0) + 1;
        let promotedAt = 0;
        const seen = sources.map(
          (source) =>
            new Promise<void>((resolve) => {
              const stop = source.onChange((keys) => {
                if (keys[0]?.version !== expected) return;
                delays.push(performance.now() - promotedAt);
                stop();
                resolve();
              });
            }),
        );
        const rotation = (async () => {
          // Only promote here; the old key stays alive (graceful rotations are covered above).
          if (stored === undefined) throw new Error('no credential');
          const credential = stored;
          const current = await fixture.store.getVersionByStage(credential.id, 'current');
          const previous = await fixture.store.getVersionByStage(credential.id, 'previous');
          if (previous !== undefined) await fixture.store.setVersionStage(credential.id, previous.number, 'previous', 'revoked');
          const minted = await emulator.seedOpenAIProject(`propagation-${round}`);
          const { SecretValue } = await import('../../src/core/secret-value.js');
          const pending = await fixture.vault.putVersion({ credential, value: new SecretValue(minted.key.reveal()), stage: 'pending', providerKeyId: null, mintedBy: 'load' });
          promotedAt = performance.now();
          await fixture.store.promote(credential.id, pending.number, { expectedCurrent: current?.number ?? null });
        })();
        await rotation;
        await Promise.all(seen);
      }
    } finally {
      await Promise.all(sources.map((source) => source.close()));
    }
    delays.sort((left, right) => left - right);
    console.log(`propagation to 100 clients: p50 ${percentile(delays, 0.5).toFixed(1)} ms, p99 ${percentile(delays, 0.99).toFixed(1)} ms, max ${delays.at(-1)?.toFixed(1)} ms (${delays.length} samples)`);
    expect(delays).toHaveLength(300);
  }, 120_000);
});
