import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { createAwsSecretsManagerSink } from '../../src/sinks/aws-secrets-manager-sink.js';
import { runSinkContract } from '../contracts/sink.js';
import { startAwsSecretsManagerFake, type AwsSecretsManagerFake } from '../fakes/aws-secrets-manager-fake.js';

const salt = randomBytes(32);

function awsSink(fake: AwsSecretsManagerFake, secretId = 'prod/ticketing/openai', secretAccessKey = fake.credentials.secretAccessKey) {
  return createAwsSecretsManagerSink(
    { secretId, region: fake.region, endpoint: fake.endpoint },
    {
      fingerprintSalt: salt,
      consumerName: 'contract',
      environment: { AWS_ACCESS_KEY_ID: fake.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey },
    },
  );
}

runSinkContract('aws-secrets-manager', async () => {
  const fake = await startAwsSecretsManagerFake();
  return {
    sink: awsSink(fake),
    fingerprintSalt: salt,
    breakReads: async () => fake.failNext('AccessDeniedException', 400, { times: 50 }),
    breakWrites: async () => fake.failNext('AccessDeniedException', 400, { times: 50 }),
    breakWritesTransiently: async () => fake.failNext('ThrottlingException', 400, { times: 1 }),
    cleanup: async () => {
      expect(fake.rejectedSignatures).toEqual([]);
      await fake.close();
    },
  };
});

describe('aws-secrets-manager sink', () => {
  let fake: AwsSecretsManagerFake;
  beforeEach(async () => {
    fake = await startAwsSecretsManagerFake();
  });
  afterEach(() => fake.close());
  const oldKey = new SecretValue('sk-proj-AWSold00000000000000000000000000000000001');
  const newKey = new SecretValue('sk-proj-AWSnew00000000000000000000000000000000002');

  it('puts the new value as AWSPENDING, verifies it, moves AWSCURRENT to it and leaves AWSPREVIOUS on the old one', async () => {
    fake.plant('prod/ticketing/openai', oldKey.reveal());
    const sink = awsSink(fake);
    await sink.write({ version: 2 }, newKey);
    await sink.write('main', newKey);
    const stages = fake.stages('prod/ticketing/openai');
    expect(stages.find((version) => version.value === newKey.reveal())?.stages).toEqual(['AWSCURRENT', 'rekey-v2']);
    expect(stages.find((version) => version.value === oldKey.reveal())?.stages).toEqual(['AWSPREVIOUS']);
    expect(fake.operations).toContain('UpdateSecretVersionStage');
  });

  it('follows the pending protocol for a value not yet stored: PutSecretValue(AWSPENDING), read it, then move', async () => {
    fake.plant('prod/ticketing/openai', oldKey.reveal());
    await awsSink(fake).write('main', newKey);
    const relevant = fake.operations.filter((operation) => operation !== 'DescribeSecret');
    expect(relevant).toEqual(['PutSecretValue', 'GetSecretValue', 'UpdateSecretVersionStage', 'UpdateSecretVersionStage']);
    const pendingPut = fake.server.requests.find((request) => request.headers['x-amz-target'] === 'secretsmanager.PutSecretValue');
    expect(JSON.parse(pendingPut?.body.toString() ?? '{}').VersionStages).toEqual(['AWSPENDING']);
    expect(fake.stages('prod/ticketing/openai').flatMap((version) => version.stages)).not.toContain('AWSPENDING');
  });

  it('is rejected by the fake when the SDK signs with the wrong secret key (the fake really verifies SigV4)', async () => {
    const sink = awsSink(fake, 'prod/x', 'not-the-secret-access-key');
    await expect(sink.readFingerprint('main')).rejects.toMatchObject({ code: 'sink', isRetryable: false });
    expect(fake.rejectedSignatures).toEqual(['signature does not match']);
  });
});
