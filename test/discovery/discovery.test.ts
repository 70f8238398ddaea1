import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/core/secret-value.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { createGithubDiscoverySource, createGitlabDiscoverySource } from '../../src/discovery/ci-discovery.js';
import { createAwsDiscoverySource } from '../../src/discovery/aws-discovery.js';
import { consumerAddCommand, runDiscovery } from '../../src/discovery/discovery-service.js';
import { createDiscoveryTarget } from '../../src/discovery/discovery-spec.js';
import { createFileDiscoverySource } from '../../src/discovery/file-discovery.js';
import { createKubernetesDiscoverySource } from '../../src/discovery/kubernetes-discovery.js';
import { createVaultDiscoverySource } from '../../src/discovery/vault-discovery.js';
import { createSink } from '../../src/sinks/sink-registry.js';
import { startAwsSecretsManagerFake, type AwsSecretsManagerFake } from '../fakes/aws-secrets-manager-fake.js';
import { startGithubActionsFake, type GithubActionsFake } from '../fakes/github-actions-fake.js';
import { startGitlabCiFake, type GitlabCiFake } from '../fakes/gitlab-ci-fake.js';
import { startKubernetesApiFake, type KubernetesApiFake } from '../fakes/kubernetes-api-fake.js';
import { startVaultKvFake, type VaultKvFake } from '../fakes/vault-kv-fake.js';

const salt = randomBytes(32);
const key = new SecretValue('sk-proj-DISCOVERme0000000000000000000000000000000001');
const decoy = 'sk-proj-DISCOVERno00000000000000000000000000000000002';

describe('where-used discovery', () => {
  let directory: string;
  let vault: VaultKvFake;
  let aws: AwsSecretsManagerFake;
  let kube: KubernetesApiFake;
  let github: GithubActionsFake;
  let gitlab: GitlabCiFake;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rekey-discover-'));
    [vault, aws, kube, github, gitlab] = await Promise.all([startVaultKvFake(), startAwsSecretsManagerFake(), startKubernetesApiFake(), startGithubActionsFake(), startGitlabCiFake()]);
    const value = key.reveal();
    // Files: an ignored .env in a git working tree, a committed JSON config, YAML, source code, a decoy.
    const repo = join(directory, 'ticketing');
    await mkdir(join(repo, 'deploy'), { recursive: true });
    execFileSync('git', ['init', '-q', repo]);
    await writeFile(join(repo, '.gitignore'), '.env\n');
    await writeFile(join(repo, '.env'), `# local\nDATABASE_URL=postgres://db\nOPENAI_API_KEY="${value}"\n`);
    await writeFile(join(repo, 'config.json'), JSON.stringify({ openai: { apiKey: value, model: 'gpt-4o' } }, null, 2));
    await writeFile(join(repo, 'deploy', 'values.yaml'), `openai:\n  # prod\n  apiKey: ${value}\n`);
    await writeFile(join(repo, 'client.ts'), `const client = new OpenAI({ apiKey: '${value}' });\n`);
    await writeFile(join(repo, 'other.env'), `OPENAI_API_KEY=${decoy}\n`);
    execFileSync('git', ['-C', repo, 'add', 'config.json', '.gitignore']);
    // Stores.
    vault.plant('apps/ticketing/prod', { OPENAI_API_KEY: value, OTHER: 'x' });
    vault.plant('apps/billing', { OPENAI_API_KEY: decoy });
    aws.plant('prod/ticketing/openai', value);
    aws.plant('prod/ticketing/json', JSON.stringify({ apiKey: value }));
    aws.plant('prod/other', decoy);
    kube.plantSecret('prod', 'ticketing-openai', { OPENAI_API_KEY: value, OTHER: 'x' });
    kube.plantSecret('dev', 'other', { OPENAI_API_KEY: decoy });
    gitlab.plant('projects/acme/ticketing', { key: 'OPENAI_API_KEY', value, masked: true });
    gitlab.plant('projects/acme/ticketing', { key: 'ANTHROPIC_API_KEY', value: 'hidden-value-000000', hidden: true });
    github.plant('/repos/acme/ticketing/actions', 'OPENAI_API_KEY', value);
    github.plant('/repos/acme/ticketing/actions', 'NPM_TOKEN', 'npm');
  });
  afterAll(async () => {
    await Promise.all([vault, aws, kube, github, gitlab].map((fake) => fake.close()));
    await rm(directory, { recursive: true, force: true });
  });

  it('finds every planted copy by fingerprint, only those, and proposes consumers whose sinks read the same fingerprint', async () => {
    const target = createDiscoveryTarget({ fingerprintSalt: salt, fingerprint: fingerprint(salt, key.reveal()), length: key.length });
    const report = await runDiscovery({
      target,
      existing: [{ name: 'already', kind: 'kubernetes-secret', config: { namespace: 'prod', secret: 'ticketing-openai', key: 'OPENAI_API_KEY', kubeconfig: kube.kubeconfigPath } }],
      sources: [
        createFileDiscoverySource({ roots: [directory] }),
        createVaultDiscoverySource({ address: vault.address, token: vault.token }),
        createAwsDiscoverySource({ region: aws.region, endpoint: aws.endpoint, credentials: aws.credentials }),
        createKubernetesDiscoverySource({ kubeconfig: kube.kubeconfigPath }),
        createGithubDiscoverySource({ token: github.token, apiUrl: github.apiUrl, repositories: ['acme/ticketing'] }),
        createGitlabDiscoverySource({ token: gitlab.token, apiUrl: gitlab.apiUrl, projects: ['acme/ticketing'] }),
      ],
    });
    expect(report.errors).toEqual([]);
    const repo = join(directory, 'ticketing');
    const summary = report.findings.map((finding) => `${finding.status} ${finding.location}${finding.known ? ' (known)' : ''}`).sort();
    expect(summary).toEqual(
      [
        `match ${repo}/.env:3 OPENAI_API_KEY`,
        `match ${repo}/client.ts:1`,
        `match ${repo}/config.json:3 /openai/apiKey`,
        `match ${repo}/deploy/values.yaml:3 /openai/apiKey`,
        'match vault secret/apps/ticketing/prod (field OPENAI_API_KEY)',
        `match AWS secret prod/ticketing/openai (${aws.region})`,
        `match AWS secret prod/ticketing/json (${aws.region}), JSON field apiKey`,
        'match kubernetes secret prod/ticketing-openai (key OPENAI_API_KEY) (known)',
        'match GitLab CI variable OPENAI_API_KEY (project acme/ticketing, *)',
        'unverifiable GitLab CI variable ANTHROPIC_API_KEY (project acme/ticketing, *)',
        'unverifiable GitHub Actions secret OPENAI_API_KEY (acme/ticketing)',
      ].sort(),
    );
    const committed = report.findings.find((finding) => finding.location.includes('config.json'));
    expect(committed?.notes.join(' ')).toMatch(/committed to git/);
    expect(report.findings.find((finding) => finding.location.includes('.env:'))?.notes).toEqual([]);
    expect(JSON.stringify(report)).not.toContain(key.reveal());

    // Every verified proposal is a working consumer: its sink reads back the key's fingerprint.
    const environment = { VAULT_TOKEN: vault.token, AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey, GITLAB_TOKEN: gitlab.token, GITHUB_TOKEN: github.token };
    const verified = report.findings.filter((finding) => finding.status === 'match' && finding.proposal !== undefined && !finding.known);
    expect(verified.map((finding) => finding.proposal?.kind).sort()).toEqual(['aws-secrets-manager', 'env-file', 'gitlab-ci', 'json-file', 'vault-kv', 'yaml-file']);
    for (const finding of verified) {
      if (finding.proposal === undefined) continue;
      const sink = await createSink(finding.proposal, salt, environment);
      expect(await sink.readFingerprint?.('main'), finding.proposal.kind).toEqual({ state: 'present', fingerprint: fingerprint(salt, key.reveal()) });
    }
    const lines = report.proposals.map((proposal) => consumerAddCommand('openai/ticketing/prod', proposal));
    expect(lines.find((line) => line.includes('--kind env-file'))).toBe(
      `rekey consumer add openai/ticketing/prod ticketing-env --kind env-file --config-json '${JSON.stringify({ path: `${repo}/.env`, name: 'OPENAI_API_KEY' })}'`,
    );
    expect(new Set(report.proposals.map((proposal) => proposal.name)).size).toBe(report.proposals.length);
  });

  it('reports a failing source by name without stopping the others', async () => {
    const target = createDiscoveryTarget({ fingerprintSalt: salt, fingerprint: fingerprint(salt, key.reveal()), length: key.length });
    const report = await runDiscovery({
      target,
      existing: [],
      sources: [createVaultDiscoverySource({ address: vault.address, token: 'wrong-token' }), createKubernetesDiscoverySource({ kubeconfig: kube.kubeconfigPath, namespaces: ['prod'] })],
    });
    expect(report.errors).toEqual([{ source: 'vault', reason: expect.stringMatching(/HTTP 403/) as unknown as string }]);
    expect(report.findings.map((finding) => finding.location)).toEqual(['kubernetes secret prod/ticketing-openai (key OPENAI_API_KEY)']);
  });
});
