import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { createNetlifyEnvSink } from '../../src/sinks/netlify-env-sink.js';
import { createReloadAction } from '../../src/sinks/reload-registry.js';
import { runSinkContract } from '../contracts/sink.js';
import { startNetlifyFake, type NetlifyFake } from '../fakes/netlify-api-fake.js';

const salt = randomBytes(32);
let fake: NetlifyFake;
let site = 0;
beforeAll(async () => {
  fake = await startNetlifyFake();
});
afterAll(() => fake.close());

const netlifySink = (siteId: string, context?: string) =>
  createNetlifyEnvSink({ account: 'acme', site: siteId, name: 'OPENAI_API_KEY', apiUrl: fake.apiUrl, ...(context === undefined ? {} : { context }) }, { fingerprintSalt: salt, consumerName: 'contract', environment: { NETLIFY_AUTH_TOKEN: fake.token } });

runSinkContract('netlify-env', async () => {
  site += 1;
  return {
    sink: netlifySink(`site-${site}`),
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

describe('netlify-env sink', () => {
  it('owns one deploy context and leaves the others; the reload starts one build', async () => {
    await netlifySink('multi', 'dev').write('main', new SecretValue('sk-proj-NETLIFYdev00000000000000000000000000001'));
    const production = netlifySink('multi', 'production');
    await production.write('main', new SecretValue('sk-proj-NETLIFYprod0000000000000000000000000002'));
    await production.write({ version: 3 }, new SecretValue('sk-proj-NETLIFYprod0000000000000000000000000002'));
    await production.remove({ version: 3 });
    expect(fake.env('acme', 'multi').find((record) => record.key === 'OPENAI_API_KEY')?.values.map((value) => [value.context, value.value])).toEqual([
      ['dev', 'sk-proj-NETLIFYdev00000000000000000000000000001'],
      ['production', 'sk-proj-NETLIFYprod0000000000000000000000000002'],
    ]);
    const reload = await createReloadAction('multi', { kind: 'netlify-build', site: 'multi', apiUrl: fake.apiUrl }, { NETLIFY_AUTH_TOKEN: fake.token });
    await reload.run({} as never);
    expect(fake.builds).toEqual(['multi']);
  });
});
