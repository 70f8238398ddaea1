import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { createReloadAction } from '../../src/sinks/reload-registry.js';
import { createVercelEnvSink } from '../../src/sinks/vercel-env-sink.js';
import { runSinkContract } from '../contracts/sink.js';
import { startVercelFake, type VercelFake } from '../fakes/vercel-api-fake.js';

const salt = randomBytes(32);
let fake: VercelFake;
let project = 0;
beforeAll(async () => {
  fake = await startVercelFake();
});
afterAll(() => fake.close());

const vercelSink = (name: string) => createVercelEnvSink({ project: name, teamId: fake.teamId, name: 'OPENAI_API_KEY', apiUrl: fake.apiUrl }, { fingerprintSalt: salt, consumerName: 'contract', environment: { VERCEL_TOKEN: fake.token } });

runSinkContract('vercel-env', async () => {
  project += 1;
  return {
    sink: vercelSink(`web-${project}`),
    fingerprintSalt: salt,
    breakReads: async () => fake.denyReads(),
    breakWrites: async () => fake.server.failNext(403, { times: 1 }),
    breakWritesTransiently: async () => fake.server.failNext(503, { times: 1 }),
    cleanup: async () => {
      fake.denyReads(false);
      expect(fake.rejected).toEqual([]);
    },
  };
});

describe('vercel-env sink', () => {
  it('creates encrypted variables for the configured targets, edits them in place, and redeploys the latest production deployment', async () => {
    const sink = vercelSink('shop');
    await sink.write('main', new SecretValue('sk-proj-VERCELold000000000000000000000000000001'));
    await sink.write('main', new SecretValue('sk-proj-VERCELnew000000000000000000000000000002'));
    expect(fake.env('shop')).toEqual([expect.objectContaining({ key: 'OPENAI_API_KEY', type: 'encrypted', target: ['preview', 'production'], value: 'sk-proj-VERCELnew000000000000000000000000000002' })]);
    const reload = await createReloadAction('shop', { kind: 'vercel-redeploy', project: 'shop', teamId: fake.teamId, apiUrl: fake.apiUrl }, { VERCEL_TOKEN: fake.token });
    await reload.run({ consumerName: 'shop', credential: 'c', version: 2, fingerprint: 'f' } as never);
    expect(fake.redeploys).toEqual(['dpl_shop_1']);
  });
});
