import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { createN8nCredentialSink } from '../../src/sinks/n8n-credential-sink.js';
import { runSinkContract } from '../contracts/sink.js';
import { startN8nFake, type N8nFake } from '../fakes/n8n-api-fake.js';

const salt = randomBytes(32);
let fake: N8nFake;
let number = 0;
beforeAll(async () => {
  fake = await startN8nFake();
});
afterAll(() => fake.close());

const n8nSink = (name: string, extra: Record<string, unknown> = {}) => createN8nCredentialSink({ baseUrl: fake.baseUrl, name, ...extra }, { fingerprintSalt: salt, consumerName: 'contract', environment: { N8N_TOKEN: fake.apiKey } });

runSinkContract('n8n-credential', async () => {
  number += 1;
  const name = `OpenAI ${number}`;
  return {
    sink: n8nSink(name),
    fingerprintSalt: salt,
    readBack: async (slot) => {
      const wanted = slot === 'main' ? name : `${name} v${slot.version}`;
      const value = fake.credentials.find((credential) => credential.name === wanted)?.data['apiKey'];
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

describe('n8n-credential sink', () => {
  it('updates the credential in place (same id, so workflows keep their reference) and honours another type and field', async () => {
    const sink = n8nSink('Claude prod', { type: 'anthropicApi' });
    await sink.write('main', new SecretValue('sk-ant-api03-N8Nold00000000000000000000000000001'));
    const id = fake.credentials.find((credential) => credential.name === 'Claude prod')?.id;
    await sink.write('main', new SecretValue('sk-ant-api03-N8Nnew00000000000000000000000000002'));
    expect(fake.credentials.filter((credential) => credential.name === 'Claude prod')).toEqual([{ id, name: 'Claude prod', type: 'anthropicApi', data: { apiKey: 'sk-ant-api03-N8Nnew00000000000000000000000000002' } }]);
    const header = n8nSink('H', { type: 'httpHeaderAuth', field: 'value' });
    await expect(header.write('main', new SecretValue('sk-proj-N8Nheader000000000000000000000000000003'))).rejects.toMatchObject({ code: 'sink', isRetryable: false });
  });
});
