/**
 * `rekey discover <credential>`: where does this credential's current value live? Looks in
 * files under `--root` (env, JSON, YAML and other text files; flags files git tracks), Vault
 * KV, AWS Secrets Manager, Kubernetes Secrets, GitLab variables, Azure Key Vault, Google
 * Secret Manager, Vercel, Netlify, Doppler and 1Password Connect (by fingerprint), and
 * GitHub secrets, Fly.io secrets and n8n credentials (by name, unverifiable), then prints `rekey consumer add …` lines for the places
 * not yet registered. Tokens come from the usual variables (VAULT_TOKEN, GITHUB_TOKEN,
 * GITLAB_TOKEN, the AWS chain, kubeconfig). Never prints a value.
 */
import type { Command } from 'commander';
import { collect } from '../cli-options.js';
import { NotFoundError, UsageError } from '../../core/errors.js';
import { withCliContext } from '../cli-context.js';
import { colour, printJson } from '../output.js';


interface DiscoverOptions {
  stage: string;
  root?: string[];
  maxFileSize?: string;
  vaultAddress?: string;
  vaultMount?: string;
  vaultPrefix?: string;
  awsRegion?: string[];
  awsEndpoint?: string;
  kubernetes?: boolean;
  kubeconfig?: string;
  kubeContext?: string;
  namespace?: string[];
  githubRepo?: string[];
  githubOrg?: string[];
  githubApiUrl?: string;
  gitlabProject?: string[];
  gitlabGroup?: string[];
  gitlabUrl?: string;
  azureVault?: string[];
  gcpProject?: string[];
  gcpEndpoint?: string;
  vercelProject?: string[];
  vercelTeam?: string;
  netlifySite?: string[];
  flyApp?: string[];
  n8nUrl?: string;
  dopplerConfig?: string[];
  onepasswordUrl?: string;
  onepasswordVault?: string[];
  json?: boolean;
}

function requireVariable(name: string, option: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new UsageError(`${option} needs ${name} to be set`);
  return value;
}

async function buildSources(options: DiscoverOptions) {
  const sources = [];
  if ((options.root ?? []).length > 0) {
    const { createFileDiscoverySource } = await import('../../discovery/file-discovery.js');
    const maxFileBytes = options.maxFileSize === undefined ? undefined : Number(options.maxFileSize) * 1024 * 1024;
    if (maxFileBytes !== undefined && !(maxFileBytes > 0)) throw new UsageError('--max-file-size must be a positive number of MiB');
    sources.push(createFileDiscoverySource({ roots: options.root ?? [], maxFileBytes }));
  }
  if (options.vaultAddress !== undefined) {
    const { createVaultDiscoverySource } = await import('../../discovery/vault-discovery.js');
    sources.push(createVaultDiscoverySource({ address: options.vaultAddress, token: requireVariable('VAULT_TOKEN', '--vault-address'), mount: options.vaultMount, prefix: options.vaultPrefix }));
  }
  for (const region of options.awsRegion ?? []) {
    const { createAwsDiscoverySource } = await import('../../discovery/aws-discovery.js');
    sources.push(createAwsDiscoverySource({ region, endpoint: options.awsEndpoint }));
  }
  if (options.kubernetes === true || options.kubeconfig !== undefined || options.kubeContext !== undefined || (options.namespace ?? []).length > 0) {
    const { createKubernetesDiscoverySource } = await import('../../discovery/kubernetes-discovery.js');
    sources.push(createKubernetesDiscoverySource({ kubeconfig: options.kubeconfig, context: options.kubeContext, namespaces: options.namespace }));
  }
  if ((options.githubRepo ?? []).length > 0 || (options.githubOrg ?? []).length > 0) {
    const { createGithubDiscoverySource } = await import('../../discovery/ci-discovery.js');
    sources.push(createGithubDiscoverySource({ token: requireVariable('GITHUB_TOKEN', '--github-repo/--github-org'), apiUrl: options.githubApiUrl, repositories: options.githubRepo, organizations: options.githubOrg }));
  }
  if ((options.gitlabProject ?? []).length > 0 || (options.gitlabGroup ?? []).length > 0) {
    const { createGitlabDiscoverySource } = await import('../../discovery/ci-discovery.js');
    sources.push(createGitlabDiscoverySource({ token: requireVariable('GITLAB_TOKEN', '--gitlab-project/--gitlab-group'), apiUrl: options.gitlabUrl, projects: options.gitlabProject, groups: options.gitlabGroup }));
  }
  for (const vaultUrl of options.azureVault ?? []) {
    const { createAzureKeyVaultDiscoverySource } = await import('../../discovery/cloud-secret-discovery.js');
    sources.push(createAzureKeyVaultDiscoverySource({ vaultUrl }));
  }
  for (const project of options.gcpProject ?? []) {
    const { createGcpSecretManagerDiscoverySource } = await import('../../discovery/cloud-secret-discovery.js');
    const accessToken = process.env['GOOGLE_OAUTH_ACCESS_TOKEN'];
    sources.push(createGcpSecretManagerDiscoverySource({ project, endpoint: options.gcpEndpoint, accessToken: accessToken === '' ? undefined : accessToken }));
  }
  const platforms = await import('../../discovery/platform-discovery.js');
  const pair = (value: string, option: string, what: string): [string, string] => {
    const [left, right, ...rest] = value.split('/');
    if (left === undefined || right === undefined || left === '' || right === '' || rest.length > 0) throw new UsageError(`${option} takes ${what}, not "${value.slice(0, 80)}"`);
    return [left, right];
  };
  for (const project of options.vercelProject ?? []) sources.push(platforms.createVercelDiscoverySource({ token: requireVariable('VERCEL_TOKEN', '--vercel-project'), project, teamId: options.vercelTeam }));
  for (const site of options.netlifySite ?? []) {
    const [account, siteId] = pair(site, '--netlify-site', 'account/site-id');
    sources.push(platforms.createNetlifyDiscoverySource({ token: requireVariable('NETLIFY_AUTH_TOKEN', '--netlify-site'), account, site: siteId }));
  }
  for (const app of options.flyApp ?? []) sources.push(platforms.createFlyDiscoverySource({ token: requireVariable('FLY_API_TOKEN', '--fly-app'), app }));
  if (options.n8nUrl !== undefined) sources.push(platforms.createN8nDiscoverySource({ token: requireVariable('N8N_TOKEN', '--n8n-url'), baseUrl: options.n8nUrl }));
  for (const entry of options.dopplerConfig ?? []) {
    const [project, config] = pair(entry, '--doppler-config', 'project/config');
    sources.push(platforms.createDopplerDiscoverySource({ token: requireVariable('DOPPLER_TOKEN', '--doppler-config'), project, config }));
  }
  for (const vaultId of options.onepasswordVault ?? []) {
    if (options.onepasswordUrl === undefined) throw new UsageError('--onepassword-vault needs --onepassword-url (the Connect server)');
    sources.push(platforms.createOnePasswordDiscoverySource({ token: requireVariable('OP_CONNECT_TOKEN', '--onepassword-vault'), connectUrl: options.onepasswordUrl, vault: vaultId }));
  }
  if (sources.length === 0) {
    throw new UsageError('nothing to search', { hint: 'give --root <dir>, --vault-address, --aws-region, --kubernetes, --github-repo/--github-org or --gitlab-project/--gitlab-group' });
  }
  return sources;
}

export function register(program: Command): void {
  program
    .command('discover <credential>')
    .description("Find where a credential's value lives (by fingerprint) and propose consumers to add")
    .option('--stage <stage>', 'which version to look for: current, previous or pending', 'current')
    .option('--root <dir>', 'search files under this directory, git working trees included (repeatable)', collect)
    .option('--max-file-size <MiB>', 'skip larger files (default 2)')
    .option('--vault-address <url>', 'search Vault KV v2 (token from VAULT_TOKEN)')
    .option('--vault-mount <mount>', 'the KV v2 mount (default secret)')
    .option('--vault-prefix <path>', 'only paths under this prefix')
    .option('--aws-region <region>', 'search AWS Secrets Manager in this region (repeatable; default credential chain)', collect)
    .option('--aws-endpoint <url>', 'custom Secrets Manager endpoint')
    .option('--kubernetes', 'search Kubernetes Secrets the kubeconfig can list')
    .option('--kubeconfig <path>', 'kubeconfig file (implies --kubernetes)')
    .option('--kube-context <name>', 'kubeconfig context (implies --kubernetes)')
    .option('--namespace <namespace>', 'only these namespaces (repeatable; default all)', collect)
    .option('--github-repo <owner/repo>', 'list GitHub Actions secrets of this repository and its environments (GITHUB_TOKEN)', collect)
    .option('--github-org <org>', 'list GitHub Actions organisation secrets (GITHUB_TOKEN)', collect)
    .option('--github-api-url <url>', 'GitHub API base (Enterprise Server)')
    .option('--gitlab-project <id>', 'check GitLab CI variables of this project (GITLAB_TOKEN)', collect)
    .option('--gitlab-group <id>', 'check GitLab CI variables of this group (GITLAB_TOKEN)', collect)
    .option('--gitlab-url <url>', 'GitLab base URL (default https://gitlab.com)')
    .option('--azure-vault <url>', 'check Azure Key Vault secrets (DefaultAzureCredential; repeatable)', collect)
    .option('--gcp-project <id>', 'check Google Secret Manager secrets (GOOGLE_OAUTH_ACCESS_TOKEN, else Application Default Credentials; repeatable)', collect)
    .option('--gcp-endpoint <url>', 'Secret Manager endpoint (regional or private)')
    .option('--vercel-project <id>', 'check Vercel project variables (VERCEL_TOKEN; repeatable)', collect)
    .option('--vercel-team <id>', 'the Vercel team the projects belong to')
    .option('--netlify-site <account/site>', 'check Netlify site variables (NETLIFY_AUTH_TOKEN; repeatable)', collect)
    .option('--fly-app <app>', 'list Fly.io app secrets by name (FLY_API_TOKEN; repeatable)', collect)
    .option('--n8n-url <url>', 'list n8n credentials by name and type (N8N_TOKEN)')
    .option('--doppler-config <project/config>', 'check Doppler secrets (DOPPLER_TOKEN; repeatable)', collect)
    .option('--onepassword-url <url>', '1Password Connect server')
    .option('--onepassword-vault <id>', 'check the fields of this vault\'s items (OP_CONNECT_TOKEN; repeatable)', collect)
    .option('--json', 'print JSON')
    .action(async (credentialName: string, options: DiscoverOptions) => {
      if (options.stage !== 'current' && options.stage !== 'previous' && options.stage !== 'pending') {
        throw new UsageError(`--stage must be current, previous or pending, not "${options.stage}"`);
      }
      const stage = options.stage;
      const sources = await buildSources(options);
      const { createDiscoveryTarget } = await import('../../discovery/discovery-spec.js');
      const { consumerAddCommand, runDiscovery } = await import('../../discovery/discovery-service.js');
      const { report, version } = await withCliContext(async ({ store, vault, keys }) => {
        const credential = await store.getCredential(credentialName);
        if (credential === undefined) throw new NotFoundError(`no credential named ${credentialName}`);
        const revealed = await vault.revealStage(credential, stage);
        if (revealed === undefined) throw new NotFoundError(`${credentialName} has no ${stage} version`);
        const target = createDiscoveryTarget({ fingerprintSalt: keys.fingerprintSalt, fingerprint: revealed.version.fingerprint, length: revealed.value.length });
        const existing = await store.listConsumers(credential.id);
        return { report: await runDiscovery({ sources, target, existing }), version: revealed.version };
      });
      const commands = report.proposals.map((proposal) => consumerAddCommand(credentialName, proposal));
      if (options.json === true) {
        printJson({ credential: credentialName, version: version.number, hint: version.hint, findings: report.findings, proposals: report.proposals.map((proposal, index) => ({ ...proposal, command: commands[index] })), errors: report.errors });
        return;
      }
      const out = (line: string): void => void process.stdout.write(line + '\n');
      out(`Looking for ${credentialName} version ${version.number} (${version.hint}) by fingerprint`);
      if (report.findings.length === 0) out(colour.dim('no copies found'));
      for (const finding of report.findings) {
        const status = finding.status === 'match' ? colour.green('found') : colour.yellow('unverifiable');
        out(`  ${status}  ${finding.location}${finding.known ? colour.dim(' (already a consumer)') : ''}`);
        for (const note of finding.notes) out(`         ${note.startsWith('committed') ? colour.red(note) : colour.dim(note)}`);
      }
      for (const error of report.errors) out(`  ${colour.red('error')}  ${error.source}: ${error.reason}`);
      if (commands.length > 0) {
        out('\nTo deliver future rotations there, add:');
        for (const command of commands) out(`  ${command}`);
      }
    });
}
