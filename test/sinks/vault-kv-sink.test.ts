import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { createVaultKvSink } from '../../src/sinks/vault-kv-sink.js';
import { runSinkContract } from '../contracts/sink.js';
import { startVaultKvFake, type VaultKvFake } from '../fakes/vault-kv-fake.js';

const salt = randomBytes(32);

async function vaultSink(fake: VaultKvFake, path = 'apps/ticketing/prod') {
  return createVaultKvSink(
    { address: fake.address, path, name: 'OPENAI_API_KEY' },
    { fingerprintSalt: salt, consumerName: 'contract', environment: { VAULT_TOKEN: fake.token } },
  );
}

runSinkContract('vault-kv', async () => {
  const fake = await startVaultKvFake();
  return {
    sink: await vaultSink(fake),
    fingerprintSalt: salt,
    breakReads: async () => fake.denyReads(),
    breakWrites: async () => fake.server.failNext(403, { times: 50 }),
    breakWritesTransiently: async () => fake.server.failNext(503, { times: 1 }),
    cleanup: () => fake.close(),
  };
});

describe('vault-kv sink', () => {
  let fake: VaultKvFake;
  beforeEach(async () => {
    fake = await startVaultKvFake();
  });
  afterEach(() => fake.close());
  const key = new SecretValue('sk-proj-VAULTvalue00000000000000000000000000001');

  it('keeps the other fields and writes with check-and-set, re-reading after a concurrent change', async () => {
    fake.plant('apps/ticketing/prod', { DATABASE_URL: 'postgres://db', OPENAI_API_KEY: 'sk-old' });
    const sink = await vaultSink(fake);
    fake.interleaveWrite('apps/ticketing/prod', { DATABASE_URL: 'postgres://db2', OPENAI_API_KEY: 'sk-old', ADDED: 'by someone else' });
    await sink.write('main', key);
    expect(fake.latest('apps/ticketing/prod')).toEqual({ DATABASE_URL: 'postgres://db2', ADDED: 'by someone else', OPENAI_API_KEY: key.reveal() });
    // planted (1), concurrent change (2), our write (3): the first CAS attempt named version 1 and missed.
    expect(fake.versionCount('apps/ticketing/prod')).toBe(3);
    const posts = fake.server.requests.filter((request) => request.method === 'POST').map((request) => JSON.parse(request.body.toString()).options);
    expect(posts).toEqual([{ cas: 1 }, { cas: 2 }]);
  });

  it('does not write a new version when the field already holds the value', async () => {
    const sink = await vaultSink(fake);
    await sink.write('main', key);
    await sink.write('main', key);
    expect(fake.versionCount('apps/ticketing/prod')).toBe(1);
  });

  it('refuses to start without the token variable, naming it and not a value', async () => {
    const sink = createVaultKvSink({ address: fake.address, path: 'a', name: 'K', tokenEnv: 'MY_VAULT_TOKEN', allowEnv: ['MY_VAULT_TOKEN'] }, { fingerprintSalt: salt, consumerName: 'api', environment: {} });
    await expect(sink.write('main', key)).rejects.toThrow(/MY_VAULT_TOKEN is not set/);
    expect(() => createVaultKvSink({ address: 'not a url', path: 'a', name: 'K' }, { fingerprintSalt: salt, consumerName: 'api' })).toThrow(/consumer api: vault-kv option "address"/);
  });
});
