/**
 * One rotation-style delivery to every sink kind at once (issue 5, "done when"): the new
 * version goes to the main and versioned slots of nine consumers through the registry,
 * each reads back the new fingerprint (write-only sinks through what their fake received),
 * the old versioned slot is removed, and the app they feed restarts once, afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { planReloads, runReloads } from '../../src/sinks/reload-plan.js';
import { createReloadAction } from '../../src/sinks/reload-registry.js';
import { createSink } from '../../src/sinks/sink-registry.js';
import type { Sink, SinkReadResult, SinkSlot } from '../../src/sinks/sink-spec.js';
import { startAwsSecretsManagerFake, type AwsSecretsManagerFake } from '../fakes/aws-secrets-manager-fake.js';
import { startGithubActionsFake, type GithubActionsFake } from '../fakes/github-actions-fake.js';
import { startGitlabCiFake, type GitlabCiFake } from '../fakes/gitlab-ci-fake.js';
import { startKubernetesApiFake, type KubernetesApiFake } from '../fakes/kubernetes-api-fake.js';
import { startVaultKvFake, type VaultKvFake } from '../fakes/vault-kv-fake.js';
import { startWebhookReceiverFake, type WebhookReceiverFake } from '../fakes/webhook-receiver-fake.js';

const salt = randomBytes(32);
const oldKey = new SecretValue('sk-proj-ROTATIONold000000000000000000000000000001');
const newKey = new SecretValue('sk-proj-ROTATIONnew000000000000000000000000000002');

describe('one delivery to every sink kind', () => {
  let directory: string;
  let vault: VaultKvFake;
  let aws: AwsSecretsManagerFake;
  let kube: KubernetesApiFake;
  let github: GithubActionsFake;
  let gitlab: GitlabCiFake;
  let hook: WebhookReceiverFake;
  let environment: Record<string, string>;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rekey-delivery-'));
    [vault, aws, kube, github, gitlab, hook] = await Promise.all([
      startVaultKvFake(),
      startAwsSecretsManagerFake(),
      startKubernetesApiFake(),
      startGithubActionsFake(),
      startGitlabCiFake(),
      startWebhookReceiverFake(),
    ]);
    environment = {
      VAULT_TOKEN: vault.token,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      GITHUB_TOKEN: github.token,
      GITLAB_TOKEN: gitlab.token,
      REKEY_WEBHOOK_SECRET: hook.secret,
    };
  });
  afterAll(async () => {
    await Promise.all([vault, aws, kube, github, gitlab, hook].map((fake) => fake.close()));
    await rm(directory, { recursive: true, force: true });
  });

  it('writes version 2 everywhere, reads back its fingerprint from each, removes v1, then restarts the app once', async () => {
    await writeFile(join(directory, '.env'), `OPENAI_API_KEY=${oldKey.reveal()}\nOPENAI_API_KEY_V1=${oldKey.reveal()}\n`);
    kube.plantDeployment('prod', 'ticketing');
    const rollout = { app: 'ticketing', kind: 'kubernetes-rollout', namespace: 'prod', deployments: ['ticketing'], kubeconfig: kube.kubeconfigPath };
    const consumers = [
      { name: 'env', kind: 'env-file', config: { path: join(directory, '.env'), name: 'OPENAI_API_KEY' }, reload: { app: 'ticketing' } },
      { name: 'json', kind: 'json-file', config: { path: join(directory, 'config.json'), pointer: '/openai/apiKey' }, reload: { app: 'ticketing' } },
      { name: 'yaml', kind: 'yaml-file', config: { path: join(directory, 'values.yaml'), pointer: '/openai/apiKey' }, reload: { app: 'ticketing' } },
      { name: 'vault', kind: 'vault-kv', config: { address: vault.address, path: 'apps/ticketing', name: 'OPENAI_API_KEY' }, reload: { app: 'ticketing' } },
      { name: 'aws', kind: 'aws-secrets-manager', config: { secretId: 'ticketing/openai', region: aws.region, endpoint: aws.endpoint }, reload: { app: 'ticketing' } },
      { name: 'k8s', kind: 'kubernetes-secret', config: { namespace: 'prod', secret: 'ticketing', key: 'OPENAI_API_KEY', kubeconfig: kube.kubeconfigPath }, reload: rollout },
      { name: 'gitlab', kind: 'gitlab-ci', config: { scope: 'project', project: 'acme/ticketing', name: 'OPENAI_API_KEY', apiUrl: gitlab.apiUrl }, reload: { app: 'ticketing' } },
      { name: 'github', kind: 'github-actions', config: { scope: 'repository', repository: 'acme/ticketing', name: 'OPENAI_API_KEY', apiUrl: github.apiUrl }, reload: null },
      { name: 'hook', kind: 'webhook', config: { url: hook.url, name: 'OPENAI_API_KEY' }, reload: { app: 'ticketing', kind: 'webhook', url: hook.url } },
    ];
    const sinks = new Map<string, Sink>();
    for (const consumer of consumers) sinks.set(consumer.name, await createSink(consumer, salt, environment));
    expect(new Set(consumers.map((consumer) => consumer.kind)).size).toBe(9);

    const expected = fingerprint(salt, newKey.reveal());
    /** Read back through the sink, or for write-only sinks through what the fake received. */
    const readBack = async (name: string, slot: SinkSlot): Promise<SinkReadResult> => {
      const sink = sinks.get(name);
      if (sink?.readFingerprint !== undefined) return sink.readFingerprint(slot);
      const label = slot === 'main' ? 'main' : `v${slot.version}`;
      const value = name === 'github' ? github.opened('/repos/acme/ticketing/actions', slot === 'main' ? 'OPENAI_API_KEY' : `OPENAI_API_KEY_V${slot.version}`) : undefined;
      if (value !== undefined) return { state: 'present', fingerprint: fingerprint(salt, value) };
      const held = name === 'hook' ? hook.held.get(label) : undefined;
      return held === undefined ? { state: 'absent' } : { state: 'present', fingerprint: held };
    };

    // Deliver: all sinks at once, as the executor's deliver step would, then verify each.
    const delivered = new Set<string>();
    await Promise.all(
      consumers.map(async ({ name }) => {
        const sink = sinks.get(name);
        if (sink === undefined) return;
        await sink.write('main', newKey);
        await sink.write({ version: 2 }, newKey);
        await sink.remove({ version: 1 });
        if ((await readBack(name, 'main')).state === 'present' && (await readBack(name, { version: 2 })).state === 'present') delivered.add(name);
      }),
    );
    const readings = Object.fromEntries(
      await Promise.all(consumers.map(async ({ name }) => [name, [await readBack(name, 'main'), await readBack(name, { version: 2 })]] as const)),
    );
    for (const { name } of consumers) {
      expect(readings[name], name).toEqual([
        { state: 'present', fingerprint: expected },
        { state: 'present', fingerprint: expected },
      ]);
    }
    expect(await readBack('env', { version: 1 })).toEqual({ state: 'absent' });
    expect(aws.stages('ticketing/openai').find((version) => version.value === newKey.reveal())?.stages).toEqual(['AWSCURRENT', 'rekey-v2']);

    // Reload: one app, two distinct actions (rollout + webhook), each run exactly once.
    const groups = planReloads(consumers);
    expect(groups).toHaveLength(1);
    const outcomes = await runReloads(groups, {
      delivered: (name) => delivered.has(name),
      createReload: (name, reload) => createReloadAction(name, reload, environment),
      request: { credential: 'openai/ticketing/prod', version: 2, fingerprint: expected, value: newKey },
    });
    expect(outcomes).toEqual([expect.objectContaining({ app: 'ticketing', status: 'reloaded' })]);
    expect(kube.deploymentPatches).toHaveLength(1);
    expect(hook.events.filter((event) => event['event'] === 'key-rotated')).toHaveLength(1);
  });
});
