import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { createGcpSecretManagerSink } from '../../src/sinks/gcp-secret-manager-sink.js';
import { runSinkContract } from '../contracts/sink.js';
import { startGcpSecretManagerFake, type GcpSecretManagerFake } from '../fakes/gcp-secret-manager-fake.js';

const salt = randomBytes(32);
let fake: GcpSecretManagerFake;
let secretNumber = 0;

beforeAll(async () => {
  fake = await startGcpSecretManagerFake();
});
afterAll(() => fake.close());

const gcpSink = (secret: string, token = fake.token) =>
  createGcpSecretManagerSink(
    { project: 'acme-prod', secret, endpoint: fake.endpoint, credential: 'access-token' },
    { fingerprintSalt: salt, consumerName: 'contract', environment: { GOOGLE_OAUTH_ACCESS_TOKEN: token } },
  );

runSinkContract('gcp-secret-manager', async () => {
  secretNumber += 1;
  return {
    sink: gcpSink(`contract-${secretNumber}`),
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

describe('gcp-secret-manager sink', () => {
  const oldKey = new SecretValue('sk-proj-GCPold0000000000000000000000000000000001');
  const newKey = new SecretValue('sk-proj-GCPnew0000000000000000000000000000000002');
  beforeEach(() => {
    secretNumber += 1;
  });

  it('adds a version, moves current and previous, keeps the old version enabled, then disables and destroys it at revoke', async () => {
    const id = `rotate-${secretNumber}`;
    const sink = gcpSink(id);
    await sink.write('main', oldKey);
    await sink.write({ version: 1 }, oldKey);
    await sink.write('main', newKey);
    await sink.write({ version: 2 }, newKey);
    expect(fake.secret('acme-prod', id)?.aliases).toEqual({ current: 2, previous: 1, 'rekey-v1': 1, 'rekey-v2': 2 });
    expect(fake.secret('acme-prod', id)?.versions.map((version) => version.state)).toEqual(['ENABLED', 'ENABLED']);

    await sink.remove({ version: 1 });
    expect(fake.secret('acme-prod', id)?.aliases).toEqual({ current: 2, 'rekey-v2': 2 });
    expect(fake.secret('acme-prod', id)?.versions[0]).toEqual({ number: 1, value: '', state: 'DESTROYED' });
    const verbs = fake.server.requests.map((request) => request.url.pathname).filter((path) => path.startsWith(`/v1/projects/acme-prod/secrets/${id}/versions/1:`));
    expect(verbs.slice(-2)).toEqual([`/v1/projects/acme-prod/secrets/${id}/versions/1:disable`, `/v1/projects/acme-prod/secrets/${id}/versions/1:destroy`]);
    expect(await sink.readFingerprint('main')).toEqual({ state: 'present', fingerprint: fingerprint(salt, newKey.reveal()) });
  });

  it('speaks the REST transport: bearer token, int enums, an updateMask, and a CRC32C the fake verifies', async () => {
    const before = fake.server.requests.length;
    await gcpSink(`wire-${secretNumber}`).write('main', newKey);
    const requests = fake.server.requests.slice(before);
    expect(requests.every((request) => request.headers.authorization === `Bearer ${fake.token}`)).toBe(true);
    expect(requests.every((request) => (request.url.searchParams.get('$alt') ?? '').includes('enum-encoding=int'))).toBe(true);
    const add = requests.find((request) => request.url.pathname.endsWith(':addVersion'));
    expect(JSON.parse(add?.body.toString() ?? '{}')).toMatchObject({ payload: { data: Buffer.from(newKey.reveal()).toString('base64'), dataCrc32c: expect.any(String) } });
    expect(requests.some((request) => request.method === 'PATCH' && request.url.searchParams.get('updateMask') !== null)).toBe(true);
  });

  it('is refused with a wrong token, as not retryable, and the error names no value', async () => {
    const error = await gcpSink(`denied-${secretNumber}`, 'ya29.wrong').write('main', newKey).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'sink', isRetryable: false });
    expect(String((error as Error).message)).not.toContain(newKey.reveal());
    fake.rejected.splice(0);
  });

  it('refuses plain http to a remote endpoint and a provider key as its token variable', () => {
    expect(() => createGcpSecretManagerSink({ project: 'p', secret: 's', endpoint: 'http://secretmanager.example.com' }, { fingerprintSalt: salt, consumerName: 'c' })).toThrow(/https/);
    expect(() => createGcpSecretManagerSink({ project: 'p', secret: 's', credential: 'access-token', tokenEnv: 'OPENAI_API_KEY', allowEnv: ['OPENAI_API_KEY'] }, { fingerprintSalt: salt, consumerName: 'c' })).toThrow(/own secrets/);
  });
});
