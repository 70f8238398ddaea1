import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { createDopplerSink } from '../../src/sinks/doppler-sink.js';
import { runSinkContract } from '../contracts/sink.js';
import { startDopplerFake, type DopplerFake } from '../fakes/doppler-api-fake.js';

const salt = randomBytes(32);
let fake: DopplerFake;
let config = 0;
beforeAll(async () => {
  fake = await startDopplerFake();
});
afterAll(() => fake.close());

const dopplerSink = (name: string) => createDopplerSink({ project: 'backend', config: name, name: 'OPENAI_API_KEY', apiUrl: fake.apiUrl }, { fingerprintSalt: salt, consumerName: 'contract', environment: { DOPPLER_TOKEN: fake.token } });

runSinkContract('doppler', async () => {
  config += 1;
  return {
    sink: dopplerSink(`prd_${config}`),
    fingerprintSalt: salt,
    breakReads: async () => fake.denyReads(),
    breakWrites: async () => fake.server.failNext(403, { times: 1 }),
    breakWritesTransiently: async () => fake.server.failNext(429, { times: 1 }),
    cleanup: async () => {
      fake.denyReads(false);
      expect(fake.rejected).toEqual([]);
    },
  };
});

describe('doppler sink', () => {
  it('changes only its own names in the config', async () => {
    fake.secrets('backend', 'stg').set('DATABASE_HOST', 'db.internal');
    await dopplerSink('stg').write('main', new SecretValue('sk-proj-DOPPLERnew00000000000000000000000000002'));
    expect(Object.fromEntries(fake.secrets('backend', 'stg'))).toEqual({ DATABASE_HOST: 'db.internal', OPENAI_API_KEY: 'sk-proj-DOPPLERnew00000000000000000000000000002' });
  });
});
