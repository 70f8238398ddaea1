import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { createKubernetesRolloutReload, RESTARTED_AT_ANNOTATION } from '../../src/sinks/kubernetes-rollout-reload.js';
import { createKubernetesSecretSink } from '../../src/sinks/kubernetes-secret-sink.js';
import { runSinkContract } from '../contracts/sink.js';
import { startKubernetesApiFake, type KubernetesApiFake } from '../fakes/kubernetes-api-fake.js';

const salt = randomBytes(32);
const context = { fingerprintSalt: salt, consumerName: 'contract' };
const sinkFor = (fake: KubernetesApiFake) =>
  createKubernetesSecretSink({ namespace: 'prod', secret: 'ticketing-openai', key: 'OPENAI_API_KEY', kubeconfig: fake.kubeconfigPath }, context);

runSinkContract('kubernetes-secret', async () => {
  const fake = await startKubernetesApiFake();
  return {
    sink: sinkFor(fake),
    fingerprintSalt: salt,
    breakReads: async () => fake.denyReads(),
    breakWrites: async () => fake.server.failNext(403, { times: 50 }),
    breakWritesTransiently: async () => fake.server.failNext(503, { times: 1 }),
    cleanup: () => fake.close(),
  };
});

describe('kubernetes-secret sink and rollout reload', () => {
  let fake: KubernetesApiFake;
  beforeEach(async () => {
    fake = await startKubernetesApiFake();
  });
  afterEach(() => fake.close());
  const key = new SecretValue('sk-proj-K8Svalue0000000000000000000000000000000001');

  it('keeps other data keys and annotations, and re-reads after a 409 conflict instead of overwriting', async () => {
    fake.plantSecret('prod', 'ticketing-openai', { OPENAI_API_KEY: 'sk-old', DATABASE_URL: 'postgres://db' }, { annotations: { owner: 'platform' } });
    fake.interleaveSecretChange('prod', 'ticketing-openai', { OPENAI_API_KEY: 'sk-old', DATABASE_URL: 'postgres://db', ADDED: 'by a controller' });
    await sinkFor(fake).write('main', key);
    expect(fake.secretData('prod', 'ticketing-openai')).toEqual({ OPENAI_API_KEY: key.reveal(), DATABASE_URL: 'postgres://db', ADDED: 'by a controller' });
    expect(fake.secret('prod', 'ticketing-openai')?.metadata.annotations).toEqual({ owner: 'platform' });
    expect(fake.server.requests.filter((request) => request.method === 'PUT')).toHaveLength(2);
  });

  it('rollout restart patches the pod template annotation of every named deployment', async () => {
    fake.plantDeployment('prod', 'api');
    fake.plantDeployment('prod', 'worker');
    const reload = createKubernetesRolloutReload(
      { kind: 'kubernetes-rollout', namespace: 'prod', deployments: ['api', 'worker'], kubeconfig: fake.kubeconfigPath },
      'ticketing',
      () => new Date('2026-11-26T20:00:00.000Z'),
    );
    await reload.run({ consumerName: 'ticketing', credential: 'openai/ticketing/prod', version: 2, fingerprint: 'f', value: key });
    expect(fake.deploymentAnnotations('prod', 'api')).toEqual({ [RESTARTED_AT_ANNOTATION]: '2026-11-26T20:00:00.000Z' });
    expect(fake.deploymentAnnotations('prod', 'worker')).toEqual({ [RESTARTED_AT_ANNOTATION]: '2026-11-26T20:00:00.000Z' });
    expect(fake.deploymentPatches.map((patch) => patch.contentType)).toEqual(['application/strategic-merge-patch+json', 'application/strategic-merge-patch+json']);
    const patchBodies = fake.server.requests.filter((request) => request.method === 'PATCH').map((request) => request.body.toString());
    expect(patchBodies.join('')).not.toContain(key.reveal());
  });

  it('a missing deployment fails the reload with a value-free, non-retryable error', async () => {
    const reload = createKubernetesRolloutReload({ kind: 'kubernetes-rollout', namespace: 'prod', deployments: ['gone'], kubeconfig: fake.kubeconfigPath }, 'ticketing');
    await expect(reload.run({ consumerName: 'ticketing', credential: 'c', version: 1, fingerprint: 'f', value: key })).rejects.toMatchObject({ code: 'sink', isRetryable: false });
  });
});
