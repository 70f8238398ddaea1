/**
 * Issue #21 item 5: `rekey discover` finds a copy of the key in each new sink kind (by
 * fingerprint where the store returns values, by name where it never does) and proposes
 * the matching consumer; each readable proposal, created as a sink, reads back the key.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { createAzureKeyVaultDiscoverySource, createGcpSecretManagerDiscoverySource } from '../../src/discovery/cloud-secret-discovery.js';
import { runDiscovery } from '../../src/discovery/discovery-service.js';
import { createDiscoveryTarget } from '../../src/discovery/discovery-spec.js';
import {
  createDopplerDiscoverySource, createFlyDiscoverySource, createN8nDiscoverySource, createNetlifyDiscoverySource, createOnePasswordDiscoverySource, createVercelDiscoverySource,
} from '../../src/discovery/platform-discovery.js';
import { createSink } from '../../src/sinks/sink-registry.js';
import { startAzureKeyVaultFake, type AzureKeyVaultFake } from '../fakes/azure-key-vault-fake.js';
import { startDopplerFake, type DopplerFake } from '../fakes/doppler-api-fake.js';
import { startFlyFake, type FlyFake } from '../fakes/fly-machines-fake.js';
import { startGcpSecretManagerFake, type GcpSecretManagerFake } from '../fakes/gcp-secret-manager-fake.js';
import { startN8nFake, type N8nFake } from '../fakes/n8n-api-fake.js';
import { startNetlifyFake, type NetlifyFake } from '../fakes/netlify-api-fake.js';
import { startOnePasswordConnectFake, type OnePasswordFake } from '../fakes/onepassword-connect-fake.js';
import { startVercelFake, type VercelFake } from '../fakes/vercel-api-fake.js';

const salt = randomBytes(32);
const key = new SecretValue(`sk-proj-DISCOVER${randomBytes(16).toString('hex')}`);
const other = new SecretValue(`sk-proj-ANOTHERk${randomBytes(16).toString('hex')}`);

describe('discovery in the new sink kinds', () => {
  let azure: AzureKeyVaultFake, gcp: GcpSecretManagerFake, vercel: VercelFake, netlify: NetlifyFake, fly: FlyFake, n8n: N8nFake, doppler: DopplerFake, onePassword: OnePasswordFake;
  let environment: Record<string, string>;
  beforeAll(async () => {
    [azure, gcp, vercel, netlify, fly, n8n, doppler, onePassword] = await Promise.all([startAzureKeyVaultFake(), startGcpSecretManagerFake(), startVercelFake(), startNetlifyFake(), startFlyFake(), startN8nFake(), startDopplerFake(), startOnePasswordConnectFake()] as const);
    process.env['IDENTITY_ENDPOINT'] = azure.identityEndpoint;
    process.env['IDENTITY_HEADER'] = azure.identityHeader;
    environment = { GOOGLE_OAUTH_ACCESS_TOKEN: gcp.token, VERCEL_TOKEN: vercel.token, NETLIFY_AUTH_TOKEN: netlify.token, FLY_API_TOKEN: fly.token, N8N_TOKEN: n8n.apiKey, DOPPLER_TOKEN: doppler.token, OP_CONNECT_TOKEN: onePassword.token };
  });
  afterAll(async () => {
    delete process.env['IDENTITY_ENDPOINT'];
    delete process.env['IDENTITY_HEADER'];
    await Promise.all([azure, gcp, vercel, netlify, fly, n8n, doppler, onePassword].map((fake) => fake.close()));
  });

  it('proposes one consumer per place holding the key, of the right kind, and none for other values', async () => {
    const item = onePassword.plantItem('OpenAI ticketing');
    const decoy = onePassword.plantItem('Some other key');
    const places = [
      { kind: 'azure-key-vault', config: { vaultUrl: azure.vaultUrl, name: 'openai-api-key', credential: 'managed-identity' } },
      { kind: 'gcp-secret-manager', config: { project: 'acme-prod', secret: 'openai-api-key', endpoint: gcp.endpoint, credential: 'access-token' } },
      { kind: 'vercel-env', config: { project: 'web', teamId: vercel.teamId, name: 'OPENAI_API_KEY', apiUrl: vercel.apiUrl } },
      { kind: 'netlify-env', config: { account: 'acme', site: 'web', name: 'OPENAI_API_KEY', apiUrl: netlify.apiUrl } },
      { kind: 'fly-secrets', config: { app: 'web', name: 'OPENAI_API_KEY', apiUrl: fly.apiUrl } },
      { kind: 'n8n-credential', config: { baseUrl: n8n.baseUrl, name: 'OpenAI prod' } },
      { kind: 'doppler', config: { project: 'web', config: 'prd', name: 'OPENAI_API_KEY', apiUrl: doppler.apiUrl } },
      { kind: '1password-connect', config: { connectUrl: onePassword.connectUrl, vault: onePassword.vault, item } },
    ];
    for (const place of places) await (await createSink({ name: place.kind, ...place }, salt, environment)).write('main', key);
    // Decoys: the same stores holding another value under another name.
    await (await createSink({ name: 'd1', kind: 'doppler', config: { project: 'web', config: 'prd', name: 'OTHER_KEY', apiUrl: doppler.apiUrl } }, salt, environment)).write('main', other);
    await (await createSink({ name: 'd2', kind: '1password-connect', config: { connectUrl: onePassword.connectUrl, vault: onePassword.vault, item: decoy } }, salt, environment)).write('main', other);
    await (await createSink({ name: 'd3', kind: 'azure-key-vault', config: { vaultUrl: azure.vaultUrl, name: 'other-key', credential: 'managed-identity' } }, salt, environment)).write('main', other);

    const report = await runDiscovery({
      sources: [
        createAzureKeyVaultDiscoverySource({ vaultUrl: azure.vaultUrl, credential: 'managed-identity' }),
        createGcpSecretManagerDiscoverySource({ project: 'acme-prod', endpoint: gcp.endpoint, accessToken: gcp.token }),
        createVercelDiscoverySource({ token: vercel.token, project: 'web', teamId: vercel.teamId, apiUrl: vercel.apiUrl }),
        createNetlifyDiscoverySource({ token: netlify.token, account: 'acme', site: 'web', apiUrl: netlify.apiUrl }),
        createFlyDiscoverySource({ token: fly.token, app: 'web', apiUrl: fly.apiUrl }),
        createN8nDiscoverySource({ token: n8n.apiKey, baseUrl: n8n.baseUrl }),
        createDopplerDiscoverySource({ token: doppler.token, project: 'web', config: 'prd', apiUrl: doppler.apiUrl }),
        createOnePasswordDiscoverySource({ token: onePassword.token, connectUrl: onePassword.connectUrl, vault: onePassword.vault }),
      ],
      target: createDiscoveryTarget({ fingerprintSalt: salt, fingerprint: fingerprint(salt, key.reveal()), length: key.reveal().length }),
      existing: [],
    });
    expect(report.errors).toEqual([]);
    expect(report.findings.map((finding) => [finding.source, finding.status]).sort()).toEqual(
      [['1password', 'match'], ['azure-key-vault', 'match'], ['doppler', 'match'], ['fly', 'unverifiable'], ['gcp-secret-manager', 'match'], ['n8n', 'unverifiable'], ['netlify', 'match'], ['vercel', 'match']].sort(),
    );
    expect(new Set(report.proposals.map((proposal) => proposal.kind))).toEqual(new Set(places.map((place) => place.kind)));
    expect(JSON.stringify(report)).not.toContain(key.reveal());
    // Each readable proposal, used as a consumer, reads the key back.
    for (const proposal of report.proposals) {
      const sink = await createSink({ name: proposal.name, kind: proposal.kind, config: proposal.config }, salt, environment);
      if (sink.readFingerprint === undefined) continue;
      expect(await sink.readFingerprint('main'), proposal.kind).toEqual({ state: 'present', fingerprint: fingerprint(salt, key.reveal()) });
    }
  });
});
