import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { createFlySecretsSink } from '../../src/sinks/fly-secrets-sink.js';
import { createReloadAction } from '../../src/sinks/reload-registry.js';
import { slotName } from '../../src/sinks/sink-support.js';
import { runSinkContract } from '../contracts/sink.js';
import { startFlyFake, type FlyFake } from '../fakes/fly-machines-fake.js';

const salt = randomBytes(32);
let fake: FlyFake;
let app = 0;
beforeAll(async () => {
  fake = await startFlyFake();
});
afterAll(() => fake.close());

const flySink = (name: string) => createFlySecretsSink({ app: name, name: 'OPENAI_API_KEY', apiUrl: fake.apiUrl }, { fingerprintSalt: salt, consumerName: 'contract', environment: { FLY_API_TOKEN: fake.token } });

runSinkContract('fly-secrets', async () => {
  app += 1;
  const name = `ticketing-${app}`;
  return {
    sink: flySink(name),
    fingerprintSalt: salt,
    // Write-only: the test reads what reached the fake.
    readBack: async (slot) => {
      const value = fake.values(name).get(slotName('OPENAI_API_KEY', slot));
      return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(salt, value) };
    },
    breakReads: async () => fake.server.failNext(403, { times: 1 }),
    breakWrites: async () => fake.server.failNext(403, { times: 1 }),
    breakWritesTransiently: async () => fake.server.failNext(503, { times: 1 }),
    cleanup: async () => {
      expect(fake.rejected).toEqual([]);
    },
  };
});

describe('fly-secrets sink', () => {
  it('is write-only (no read-back) and its reload restarts every started Machine once', async () => {
    expect(flySink('x').readFingerprint).toBeUndefined();
    const reload = await createReloadAction('x', { app: 'ticketing', kind: 'fly-restart', flyApp: 'ticketing', apiUrl: fake.apiUrl }, { FLY_API_TOKEN: fake.token });
    await reload.run({} as never);
    expect(fake.restarts).toEqual(['3d8d9014b32389', '9080e6f3a12487']);
  });
});
