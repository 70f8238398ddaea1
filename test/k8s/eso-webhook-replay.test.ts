/**
 * The shipped SecretStore/ExternalSecret pair (deploy/eso/rekey-eso.yaml) replayed as
 * External Secrets Operator's webhook provider runs it (test/k8s/eso-webhook-client.ts),
 * against a real `rekey serve` socket, during a real rotation: the OpenAI adapter against
 * the emulator, the journaled executor, a grace that waits for quiet. In the grace the
 * ExternalSecret gets the new key as OPENAI_API_KEY and the old one as
 * OPENAI_API_KEY_PREVIOUS; after the revoke only the current one, previous empty.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/access/access-tokens.js';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { systemClock } from '../../src/core/clock.js';
import { createEnvelope } from '../../src/crypto/envelope.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.js';
import { createOpenAIProvider } from '../../src/providers/openai/openai-provider.js';
import { createRotationExecutor } from '../../src/rotation/rotation-executor.js';
import { startKeyServer, type RunningKeyServer } from '../../src/server/key-server.js';
import { createSinkResolver } from '../../src/sinks/sink-resolver.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createVault, type Vault } from '../../src/vault/vault.js';
import { seedCredential } from '../helpers/credential-seed.js';
import { esoGetSecret, goQueryEscape, type KubernetesSecret, type WebhookRequestRecord, type WebhookSpec } from './eso-webhook-client.js';

const PAIR = resolve(import.meta.dirname, '../../deploy/eso/rekey-eso.yaml');
const DOCUMENTED_ORIGIN = 'https://rekey.rekey.svc.cluster.local:8420';

interface Manifest { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: Record<string, unknown>; stringData?: Record<string, string> }

const manifests = parseAllDocuments(readFileSync(PAIR, 'utf8')).map((document) => document.toJS() as Manifest);
const secretManifest = manifests.find((manifest) => manifest.kind === 'Secret')!;
const store_ = manifests.find((manifest) => manifest.kind === 'SecretStore')!;
const externalSecret = manifests.find((manifest) => manifest.kind === 'ExternalSecret')!;
const webhook = (store_.spec as { provider: { webhook: WebhookSpec } }).provider.webhook;
const entries = (externalSecret.spec as { data: Array<{ secretKey: string; remoteRef: { key: string; property: string } }> }).data;
const CREDENTIAL = entries[0]!.remoteRef.key;

let emulator: RunningEmulator;
let directory: string;
let store: Store;
let vault: Vault;
let server: RunningKeyServer;
let token: string;

/** The Secret as the API server would hold it after `kubectl apply` (stringData → base64 data). */
function appliedSecret(): KubernetesSecret {
  const data = Object.fromEntries(Object.entries(secretManifest.stringData ?? {}).map(([key, value]) => [key, Buffer.from(value === 'REPLACE_WITH_READ_TOKEN' ? token : value).toString('base64')]));
  return { metadata: secretManifest.metadata, data };
}

/** Every data entry of the ExternalSecret, as ESO would sync it into the target Secret. */
async function sync(requests?: WebhookRequestRecord[]): Promise<Record<string, string>> {
  // In the cluster the service name resolves to serve; here serve listens on loopback.
  const spec = { ...webhook, url: webhook.url.replace(DOCUMENTED_ORIGIN, server.url) };
  const target: Record<string, string> = {};
  for (const entry of entries) {
    const result = await esoGetSecret(spec, entry.remoteRef, { namespace: externalSecret.metadata.namespace ?? 'default', secrets: [appliedSecret()], requests });
    if (result.status !== 'ok') throw new Error(`ESO would not sync: ${result.status}`);
    target[entry.secretKey] = result.value;
  }
  return target;
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, seed: 21, knobs: { activationDelayMs: 200, revocationDelayMs: 100 } });
  directory = await mkdtemp(join(tmpdir(), 'rekey-eso-'));
  store = await openStore({ sqlitePath: join(directory, 'rekey.db') });
  await store.migrate();
  vault = createVault({ store, envelope: createEnvelope(randomBytes(32)), fingerprintSalt: randomBytes(32) });
  server = await startKeyServer({ store, vault, pollIntervalMilliseconds: 50 });
});
afterAll(async () => {
  await server?.close();
  await store?.close();
  await emulator?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('External Secrets Operator webhook provider against rekey serve', () => {
  it('the documented pair reads current and previous in a real grace, only current after revoke', async () => {
    expect(webhook.url).toContain(DOCUMENTED_ORIGIN);
    expect(entries.map((entry) => entry.remoteRef.property)).toEqual(['current', 'previous']);
    const seeded = await emulator.seedOpenAIProject('app');
    const { credential } = await seedCredential({ store, vault }, {
      name: CREDENTIAL, value: seeded.key, providerKeyId: seeded.keyId, scope: { project: seeded.projectId }, environment: 'prod',
      allowedModels: ['gpt-4o-mini'], policy: { graceQuietSeconds: 120, graceMaxSeconds: 600 },
    });
    token = (await issueAccessToken(store, { kind: 'read', name: 'eso-app', credentials: [CREDENTIAL], allowedModels: [], createdBy: 'test' }, new Date())).secret;

    const requests: WebhookRequestRecord[] = [];
    expect(await sync(requests)).toEqual({ OPENAI_API_KEY: seeded.key.reveal(), OPENAI_API_KEY_PREVIOUS: '' });
    // The request exactly as ESO forms it: the key query-escaped into the URL, the header from the Secret.
    expect(requests[0]).toEqual({ method: 'GET', url: `${server.url}/v1/eso/keys?credential=${goQueryEscape(CREDENTIAL)}`, headers: { Authorization: `Bearer ${token}` } });
    expect(requests[0]?.url).toContain('openai%2Fapp%2Fprod');

    const provider = createOpenAIProvider({ adminKey: emulator.adminKeys.openai, baseUrl: emulator.openaiBaseUrl, environment: {} });
    const executor = createRotationExecutor({
      store, vault, audit: createAuditLog({ store, clock: systemClock }), providers: { resolve: () => provider }, sinks: createSinkResolver({ fingerprintSalt: randomBytes(32) }),
      clock: systemClock, settings: { gracePollMinMs: 100, testTimeoutMs: 20_000, revokeConfirmTimeoutMs: 20_000 },
    });
    for (let waited = 0; !emulator.isKeyLive(seeded.key.reveal()) && waited < 10_000; waited += 50) await new Promise((done) => setTimeout(done, 50));
    const outcome = executor.start({ credential: CREDENTIAL, actor: 'cli:eso-test' });
    const inGrace = async () => (await store.listVersions(credential.id)).map((version) => `${version.number}:${version.stage}`).join(',') === '1:previous,2:current';
    for (let waited = 0; !(await inGrace()) && waited < 20_000; waited += 50) await new Promise((done) => setTimeout(done, 50));
    expect(await inGrace()).toBe(true);

    const next = await vault.reveal(credential, 2);
    expect(await sync()).toEqual({ OPENAI_API_KEY: next.reveal(), OPENAI_API_KEY_PREVIOUS: seeded.key.reveal() });

    const rotation = (await store.listRotations({})).find((record) => record.credentialId === credential.id);
    await executor.request(rotation!.id, 'end-grace', { actor: 'cli:eso-test', reason: 'test' });
    expect((await outcome).state).toBe('done');
    expect(emulator.isKeyLive(seeded.key.reveal())).toBe(false);
    expect(await sync()).toEqual({ OPENAI_API_KEY: next.reveal(), OPENAI_API_KEY_PREVIOUS: '' });
  }, 60_000);

  it('answers what ESO needs for its error paths: 404 for a missing credential, 403 out of scope, 401 without the token', async () => {
    const spec = { ...webhook, url: webhook.url.replace(DOCUMENTED_ORIGIN, server.url) };
    const context = { namespace: 'app', secrets: [appliedSecret()] };
    // A credential removed after its token was made: ESO sees 404 and applies the deletionPolicy.
    const missing = 'openai/app/gone';
    await seedCredential({ store, vault }, { name: missing, value: (await emulator.seedOpenAIProject('gone')).key, environment: 'prod' });
    const scoped = (await issueAccessToken(store, { kind: 'read', name: 'eso-gone', credentials: [missing], allowedModels: [], createdBy: 'test' }, new Date())).secret;
    await store.removeCredential(missing);
    const goneSecret: KubernetesSecret = { metadata: secretManifest.metadata, data: { token: Buffer.from(scoped).toString('base64') } };
    expect(await esoGetSecret(spec, { key: missing, property: 'current' }, { namespace: 'app', secrets: [goneSecret] })).toEqual({ status: 'no-secret' });
    await expect(esoGetSecret(spec, { key: 'openai/other/prod', property: 'current' }, context)).rejects.toThrow('endpoint gave error 403');
    const unlabelled: KubernetesSecret = { metadata: { name: secretManifest.metadata.name, namespace: 'app' }, data: appliedSecret().data };
    await expect(esoGetSecret(spec, { key: CREDENTIAL, property: 'current' }, { namespace: 'app', secrets: [unlabelled] })).rejects.toThrow(/external-secrets.io\/type: webhook/);
    const noToken = { ...spec, headers: {} };
    await expect(esoGetSecret(noToken, { key: CREDENTIAL, property: 'current' }, context)).rejects.toThrow('endpoint gave error 401');
  });
});
