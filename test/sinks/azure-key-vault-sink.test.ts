import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { AZURE_STAGE_TAG, AZURE_VERSION_TAG, createAzureKeyVaultSink } from '../../src/sinks/azure-key-vault-sink.js';
import { runSinkContract } from '../contracts/sink.js';
import { startAzureKeyVaultFake, type AzureKeyVaultFake } from '../fakes/azure-key-vault-fake.js';

const salt = randomBytes(32);
let fake: AzureKeyVaultFake;
let secretNumber = 0;

// One fake for the file; each harness uses its own secret. The managed-identity credential
// reads the App Service variables from the process environment, as it does in Azure.
beforeAll(async () => {
  fake = await startAzureKeyVaultFake();
  process.env['IDENTITY_ENDPOINT'] = fake.identityEndpoint;
  process.env['IDENTITY_HEADER'] = fake.identityHeader;
});
afterAll(async () => {
  delete process.env['IDENTITY_ENDPOINT'];
  delete process.env['IDENTITY_HEADER'];
  await fake.close();
});

const azureSink = (name: string) => createAzureKeyVaultSink({ vaultUrl: fake.vaultUrl, name, credential: 'managed-identity' }, { fingerprintSalt: salt, consumerName: 'contract' });

runSinkContract('azure-key-vault', async () => {
  secretNumber += 1;
  const name = `contract-${secretNumber}`;
  return {
    sink: azureSink(name),
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

describe('azure-key-vault sink', () => {
  const oldKey = new SecretValue('sk-proj-AZold00000000000000000000000000000000001');
  const newKey = new SecretValue('sk-proj-AZnew00000000000000000000000000000000002');
  beforeEach(() => {
    secretNumber += 1;
  });

  it('adds a tagged version, keeps the previous one enabled through the grace, and disables it at revoke', async () => {
    const name = `rotate-${secretNumber}`;
    const sink = azureSink(name);
    await sink.write('main', oldKey);
    await sink.write({ version: 1 }, oldKey);
    await sink.write('main', newKey);
    await sink.write({ version: 2 }, newKey);
    const [first, second] = fake.versions(name);
    expect(fake.versions(name)).toHaveLength(2);
    expect(first).toMatchObject({ value: oldKey.reveal(), enabled: true, tags: { [AZURE_VERSION_TAG]: '1', [AZURE_STAGE_TAG]: 'previous' } });
    expect(second).toMatchObject({ value: newKey.reveal(), enabled: true, tags: { [AZURE_VERSION_TAG]: '2', [AZURE_STAGE_TAG]: 'current' } });
    expect(await sink.readFingerprint({ version: 1 })).toEqual({ state: 'present', fingerprint: fingerprint(salt, oldKey.reveal()) });

    await sink.remove({ version: 1 });
    expect(fake.versions(name)[0]).toMatchObject({ enabled: false, tags: { [AZURE_STAGE_TAG]: 'revoked' } });
    expect(await sink.readFingerprint({ version: 1 })).toEqual({ state: 'absent' });
    expect(await sink.readFingerprint('main')).toEqual({ state: 'present', fingerprint: fingerprint(salt, newKey.reveal()) });
  });

  it('uses the challenge flow: the first request goes unauthenticated, then a managed-identity token for the vault', async () => {
    const before = fake.server.requests.length;
    const challenges = fake.challenges;
    await createAzureKeyVaultSink({ vaultUrl: fake.vaultUrl, name: `challenge-${secretNumber}`, credential: 'managed-identity' }, { fingerprintSalt: salt, consumerName: 'c' }).readFingerprint('main');
    const requests = fake.server.requests.slice(before);
    expect(requests[0]?.headers.authorization).toBeUndefined();
    expect(fake.challenges).toBe(challenges + 1);
    // The retry carries a token the fake's managed-identity endpoint issued (MSAL caches it per process).
    expect(requests[1]?.headers.authorization).toMatch(/^Bearer eyAzureFake\./);
    expect(fake.tokensIssued).toBeGreaterThan(0);
    for (const request of requests.filter((candidate) => candidate.url.pathname.startsWith('/secrets/'))) expect(request.url.searchParams.get('api-version')).toBe(fake.apiVersion);
    expect(fake.rejected).toEqual([]);
  });

  it('refuses plain http to a remote vault and a bad secret name before any request', () => {
    expect(() => createAzureKeyVaultSink({ vaultUrl: 'http://vault.example.net', name: 'x' }, { fingerprintSalt: salt, consumerName: 'c' })).toThrow(/https/);
    expect(() => createAzureKeyVaultSink({ vaultUrl: fake.vaultUrl, name: 'OPENAI_API_KEY' }, { fingerprintSalt: salt, consumerName: 'c' })).toThrow(/name/);
  });
});
