import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { createOnePasswordConnectSink } from '../../src/sinks/onepassword-connect-sink.js';
import { runSinkContract } from '../contracts/sink.js';
import { startOnePasswordConnectFake, type OnePasswordFake } from '../fakes/onepassword-connect-fake.js';

const salt = randomBytes(32);
let fake: OnePasswordFake;
beforeAll(async () => {
  fake = await startOnePasswordConnectFake();
});
afterAll(() => fake.close());

const opSink = (item: string) => createOnePasswordConnectSink({ connectUrl: fake.connectUrl, vault: fake.vault, item }, { fingerprintSalt: salt, consumerName: 'contract', environment: { OP_CONNECT_TOKEN: fake.token } });

runSinkContract('1password-connect', async () => ({
  sink: opSink(fake.plantItem('OpenAI ticketing')),
  fingerprintSalt: salt,
  breakReads: async () => fake.denyReads(),
  breakWrites: async () => fake.server.failNext(403, { times: 1 }),
  breakWritesTransiently: async () => fake.server.failNext(503, { times: 1 }),
  cleanup: async () => {
    fake.denyReads(false);
    expect(fake.rejected).toEqual([]);
  },
}));

describe('1password-connect sink', () => {
  it('patches only its own concealed fields and keeps the rest of the item', async () => {
    const item = fake.plantItem('OpenAI shop');
    const sink = opSink(item);
    await sink.write('main', new SecretValue('sk-proj-OPold0000000000000000000000000000000001'));
    await sink.write('main', new SecretValue('sk-proj-OPnew0000000000000000000000000000000002'));
    await sink.write({ version: 2 }, new SecretValue('sk-proj-OPnew0000000000000000000000000000000002'));
    expect(fake.fields(item).map((field) => [field.label, field.type, field.value])).toEqual([
      ['username', 'STRING', 'svc-ticketing'],
      ['credential', 'CONCEALED', 'sk-proj-OPnew0000000000000000000000000000000002'],
      ['credential v2', 'CONCEALED', 'sk-proj-OPnew0000000000000000000000000000000002'],
    ]);
    const patches = fake.server.requests.filter((request) => request.method === 'PATCH').map((request) => JSON.parse(request.body.toString()) as Array<{ op: string }>);
    expect(patches.map((operations) => operations.map((operation) => operation.op))).toContainEqual(['replace']);
  });
});
