/**
 * Issue #21, "done when": one delivery writes one new key to every sink kind (the files,
 * Vault, AWS, Kubernetes, GitHub, GitLab, the webhook and the eight kinds #21 added),
 * each reads back the new fingerprint (write-only kinds through what their fake holds), the
 * revoke removes the old version in each by its semantics (Azure disables it, Google
 * disables then destroys it, the others delete the old name), and the hosting platforms'
 * reloads run once each, after all sinks. Hygiene: no planted key appears in any request
 * line or header any fake received; only bodies that carry the value itself hold it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { planReloads, runReloads } from '../../src/sinks/reload-plan.js';
import { createReloadAction } from '../../src/sinks/reload-registry.js';
import { createSink } from '../../src/sinks/sink-registry.js';
import { SINK_KINDS, type Sink, type SinkReadResult, type SinkSlot } from '../../src/sinks/sink-spec.js';
import { slotName } from '../../src/sinks/sink-support.js';
import { startAwsSecretsManagerFake, type AwsSecretsManagerFake } from '../fakes/aws-secrets-manager-fake.js';
import { startAzureKeyVaultFake, type AzureKeyVaultFake } from '../fakes/azure-key-vault-fake.js';
import { startDopplerFake, type DopplerFake } from '../fakes/doppler-api-fake.js';
import type { FakeHttpServer } from '../fakes/fake-http-server.js';
import { startFlyFake, type FlyFake } from '../fakes/fly-machines-fake.js';
import { startGcpSecretManagerFake, type GcpSecretManagerFake } from '../fakes/gcp-secret-manager-fake.js';
import { startGithubActionsFake, type GithubActionsFake } from '../fakes/github-actions-fake.js';
import { startGitlabCiFake, type GitlabCiFake } from '../fakes/gitlab-ci-fake.js';
import { startKubernetesApiFake, type KubernetesApiFake } from '../fakes/kubernetes-api-fake.js';
import { startN8nFake, type N8nFake } from '../fakes/n8n-api-fake.js';
import { startNetlifyFake, type NetlifyFake } from '../fakes/netlify-api-fake.js';
import { startOnePasswordConnectFake, type OnePasswordFake } from '../fakes/onepassword-connect-fake.js';
import { startVaultKvFake, type VaultKvFake } from '../fakes/vault-kv-fake.js';
import { startVercelFake, type VercelFake } from '../fakes/vercel-api-fake.js';
import { startWebhookReceiverFake, type WebhookReceiverFake } from '../fakes/webhook-receiver-fake.js';

const salt = randomBytes(32);
const oldKey = new SecretValue(`sk-proj-EVERYold${randomBytes(16).toString('hex')}`);
const newKey = new SecretValue(`sk-proj-EVERYnew${randomBytes(16).toString('hex')}`);

describe('one delivery to every sink kind, then the revoke', () => {
  let directory: string;
  let vault: VaultKvFake, aws: AwsSecretsManagerFake, kube: KubernetesApiFake, github: GithubActionsFake, gitlab: GitlabCiFake, hook: WebhookReceiverFake;
  let azure: AzureKeyVaultFake, gcp: GcpSecretManagerFake, vercel: VercelFake, netlify: NetlifyFake, fly: FlyFake, n8n: N8nFake, doppler: DopplerFake, onePassword: OnePasswordFake;
  let servers: FakeHttpServer[];
  let environment: Record<string, string>;
  let item: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rekey-every-sink-'));
    [vault, aws, kube, github, gitlab, hook, azure, gcp, vercel, netlify, fly, n8n, doppler, onePassword] = await Promise.all([
      startVaultKvFake(), startAwsSecretsManagerFake(), startKubernetesApiFake(), startGithubActionsFake(), startGitlabCiFake(), startWebhookReceiverFake(),
      startAzureKeyVaultFake(), startGcpSecretManagerFake(), startVercelFake(), startNetlifyFake(), startFlyFake(), startN8nFake(), startDopplerFake(), startOnePasswordConnectFake(),
    ] as const);
    servers = [vault, aws, kube, github, gitlab, hook, azure, gcp, vercel, netlify, fly, n8n, doppler, onePassword].map((fake) => fake.server);
    item = onePassword.plantItem('OpenAI ticketing');
    // The managed-identity credential reads these from the process, as on App Service.
    process.env['IDENTITY_ENDPOINT'] = azure.identityEndpoint;
    process.env['IDENTITY_HEADER'] = azure.identityHeader;
    environment = {
      VAULT_TOKEN: vault.token, AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      GITHUB_TOKEN: github.token, GITLAB_TOKEN: gitlab.token, REKEY_WEBHOOK_SECRET: hook.secret, GOOGLE_OAUTH_ACCESS_TOKEN: gcp.token,
      VERCEL_TOKEN: vercel.token, NETLIFY_AUTH_TOKEN: netlify.token, FLY_API_TOKEN: fly.token, N8N_TOKEN: n8n.apiKey, DOPPLER_TOKEN: doppler.token, OP_CONNECT_TOKEN: onePassword.token,
    };
  });
  afterAll(async () => {
    delete process.env['IDENTITY_ENDPOINT'];
    delete process.env['IDENTITY_HEADER'];
    await Promise.all([vault, aws, kube, github, gitlab, hook, azure, gcp, vercel, netlify, fly, n8n, doppler, onePassword].map((fake) => fake.close()));
    await rm(directory, { recursive: true, force: true });
  });

  it('writes v2 to all 17 kinds, reads its fingerprint back from each, revokes v1 by each store\'s rules, and reloads each platform once', async () => {
    await writeFile(join(directory, '.env'), '');
    kube.plantDeployment('prod', 'ticketing');
    const app = { app: 'ticketing' };
    const consumers = [
      { name: 'env', kind: 'env-file', config: { path: join(directory, '.env'), name: 'OPENAI_API_KEY' }, reload: app },
      { name: 'json', kind: 'json-file', config: { path: join(directory, 'config.json'), pointer: '/openai/apiKey' }, reload: app },
      { name: 'yaml', kind: 'yaml-file', config: { path: join(directory, 'values.yaml'), pointer: '/openai/apiKey' }, reload: app },
      { name: 'vault', kind: 'vault-kv', config: { address: vault.address, path: 'apps/ticketing', name: 'OPENAI_API_KEY' }, reload: app },
      { name: 'aws', kind: 'aws-secrets-manager', config: { secretId: 'ticketing/openai', region: aws.region, endpoint: aws.endpoint }, reload: app },
      { name: 'k8s', kind: 'kubernetes-secret', config: { namespace: 'prod', secret: 'ticketing', key: 'OPENAI_API_KEY', kubeconfig: kube.kubeconfigPath }, reload: app },
      { name: 'github', kind: 'github-actions', config: { scope: 'repository', repository: 'acme/ticketing', name: 'OPENAI_API_KEY', apiUrl: github.apiUrl }, reload: app },
      { name: 'gitlab', kind: 'gitlab-ci', config: { scope: 'project', project: 'acme/ticketing', name: 'OPENAI_API_KEY', apiUrl: gitlab.apiUrl }, reload: app },
      { name: 'hook', kind: 'webhook', config: { url: hook.url, name: 'OPENAI_API_KEY' }, reload: app },
      { name: 'azure', kind: 'azure-key-vault', config: { vaultUrl: azure.vaultUrl, name: 'openai-api-key', credential: 'managed-identity' }, reload: app },
      { name: 'gcp', kind: 'gcp-secret-manager', config: { project: 'acme-prod', secret: 'openai-api-key', endpoint: gcp.endpoint, credential: 'access-token' }, reload: app },
      { name: 'vercel', kind: 'vercel-env', config: { project: 'ticketing', teamId: vercel.teamId, name: 'OPENAI_API_KEY', apiUrl: vercel.apiUrl }, reload: { app: 'ticketing', kind: 'vercel-redeploy', project: 'ticketing', teamId: vercel.teamId, apiUrl: vercel.apiUrl } },
      { name: 'netlify', kind: 'netlify-env', config: { account: 'acme', site: 'ticketing', name: 'OPENAI_API_KEY', apiUrl: netlify.apiUrl }, reload: { app: 'ticketing', kind: 'netlify-build', site: 'ticketing', apiUrl: netlify.apiUrl } },
      { name: 'fly', kind: 'fly-secrets', config: { app: 'ticketing', name: 'OPENAI_API_KEY', apiUrl: fly.apiUrl }, reload: { app: 'ticketing', kind: 'fly-restart', flyApp: 'ticketing', apiUrl: fly.apiUrl } },
      { name: 'n8n', kind: 'n8n-credential', config: { baseUrl: n8n.baseUrl, name: 'OpenAI ticketing' }, reload: app },
      { name: 'doppler', kind: 'doppler', config: { project: 'ticketing', config: 'prd', name: 'OPENAI_API_KEY', apiUrl: doppler.apiUrl }, reload: app },
      { name: '1password', kind: '1password-connect', config: { connectUrl: onePassword.connectUrl, vault: onePassword.vault, item }, reload: app },
    ];
    expect(new Set(consumers.map((consumer) => consumer.kind))).toEqual(new Set(SINK_KINDS));
    const sinks = new Map<string, Sink>();
    for (const consumer of consumers) sinks.set(consumer.name, await createSink(consumer, salt, environment));

    const readBack = async (name: string, slot: SinkSlot): Promise<SinkReadResult> => {
      const sink = sinks.get(name);
      if (sink?.readFingerprint !== undefined) return sink.readFingerprint(slot);
      const present = (value: string | undefined): SinkReadResult => (value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(salt, value) });
      if (name === 'github') return present(github.opened('/repos/acme/ticketing/actions', slotName('OPENAI_API_KEY', slot)));
      if (name === 'fly') return present(fly.values('ticketing').get(slotName('OPENAI_API_KEY', slot)));
      if (name === 'n8n') return present(n8n.credentials.find((credential) => credential.name === (slot === 'main' ? 'OpenAI ticketing' : `OpenAI ticketing v${slot.version}`))?.data['apiKey']);
      const held = hook.held.get(slot === 'main' ? 'main' : `v${slot.version}`);
      return held === undefined ? { state: 'absent' } : { state: 'present', fingerprint: held };
    };

    // Before: the old key is live everywhere as main and v1.
    for (const sink of sinks.values()) {
      await sink.write('main', oldKey);
      await sink.write({ version: 1 }, oldKey);
    }
    // The delivery, as rotation-delivery.ts does it: main, then the versioned slot, then read back.
    const delivered = new Set<string>();
    for (const [name, sink] of sinks) {
      await sink.write('main', newKey);
      await sink.write({ version: 2 }, newKey);
      const readings = [await readBack(name, 'main'), await readBack(name, { version: 2 }), await readBack(name, { version: 1 })];
      expect(readings, name).toEqual([
        { state: 'present', fingerprint: fingerprint(salt, newKey.reveal()) },
        { state: 'present', fingerprint: fingerprint(salt, newKey.reveal()) },
        { state: 'present', fingerprint: fingerprint(salt, oldKey.reveal()) },
      ]);
      delivered.add(name);
    }
    // Through the grace the versioned stores keep the old version enabled.
    expect(azure.versions('openai-api-key').find((version) => version.value === oldKey.reveal())?.enabled).toBe(true);
    expect(gcp.secret('acme-prod', 'openai-api-key')?.aliases).toMatchObject({ current: 2, previous: 1, 'rekey-v1': 1 });

    const outcomes = await runReloads(planReloads(consumers), {
      delivered: (name) => delivered.has(name),
      createReload: (name, reload) => createReloadAction(name, reload, environment),
      request: { credential: 'openai/ticketing/prod', version: 2, fingerprint: fingerprint(salt, newKey.reveal()), value: newKey },
    });
    expect(outcomes).toEqual([expect.objectContaining({ app: 'ticketing', status: 'reloaded' })]);
    expect(vercel.redeploys).toHaveLength(1);
    expect(netlify.builds).toEqual(['ticketing']);
    expect(fly.restarts).toHaveLength(2);

    // The revoke: the old versioned slot goes from every sink.
    for (const [name, sink] of sinks) {
      await sink.remove({ version: 1 });
      expect(await readBack(name, { version: 1 }), name).toEqual({ state: 'absent' });
      expect(await readBack(name, 'main'), name).toEqual({ state: 'present', fingerprint: fingerprint(salt, newKey.reveal()) });
    }
    expect(azure.versions('openai-api-key').filter((version) => version.value === oldKey.reveal()).map((version) => version.enabled)).toEqual([false]);
    expect(gcp.secret('acme-prod', 'openai-api-key')?.versions[0]).toMatchObject({ number: 1, state: 'DESTROYED', value: '' });
    expect(await readFile(join(directory, '.env'), 'utf8')).not.toContain(oldKey.reveal());
    expect(aws.stages('ticketing/openai').find((version) => version.value === oldKey.reveal())?.stages).toEqual(['AWSPREVIOUS']);

    // Hygiene: no key in any request line or header, at any fake.
    for (const server of servers) {
      for (const request of server.requests) {
        const outside = `${request.rawTarget} ${JSON.stringify(request.headers)}`;
        for (const key of [oldKey, newKey]) {
          expect(outside.includes(key.reveal()), `${request.method} ${request.url.pathname}`).toBe(false);
          expect(outside.includes(encodeURIComponent(key.reveal()))).toBe(false);
        }
      }
    }
  });
});
