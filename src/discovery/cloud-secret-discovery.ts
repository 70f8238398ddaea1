/**
 * Azure Key Vault and Google Cloud Secret Manager: list the secrets and check each one's
 * current value by fingerprint (Azure: the latest version; Google: the `current` alias,
 * else `latest`). The official clients are imported only when the source runs, with the
 * same credentials the sinks use.
 */
import { isLoopbackHost } from '../core/loopback-host.js';
import { requireSecureUrl } from '../sinks/sink-credentials.js';
import { proposalName, type DiscoveryFinding, type DiscoverySource } from './discovery-spec.js';

export interface AzureKeyVaultDiscoveryOptions {
  vaultUrl: string;
  credential?: 'default' | 'managed-identity' | undefined;
  maxSecrets?: number | undefined;
}

export function createAzureKeyVaultDiscoverySource(options: AzureKeyVaultDiscoveryOptions): DiscoverySource {
  requireSecureUrl(options.vaultUrl, 'Azure Key Vault discovery: the vault URL');
  return {
    name: 'azure-key-vault',
    async discover(target) {
      const [sdk, identity] = await Promise.all([import('@azure/keyvault-secrets'), import('@azure/identity')]);
      const url = new URL(options.vaultUrl);
      const client = new sdk.SecretClient(options.vaultUrl, options.credential === 'managed-identity' ? new identity.ManagedIdentityCredential() : new identity.DefaultAzureCredential(), {
        retryOptions: { maxRetries: 0 },
        allowInsecureConnection: url.protocol === 'http:',
        disableChallengeResourceVerification: isLoopbackHost(url.hostname),
      });
      const findings: DiscoveryFinding[] = [];
      let seen = 0;
      for await (const properties of client.listPropertiesOfSecrets()) {
        if (seen >= (options.maxSecrets ?? 2000)) break;
        seen += 1;
        if (properties.enabled === false) continue;
        let value: string | undefined;
        try {
          value = (await client.getSecret(properties.name)).value;
        } catch {
          continue; // Disabled, or no permission for this one secret.
        }
        if (value === undefined || !target.matches(value)) continue;
        findings.push({
          source: 'azure-key-vault',
          status: 'match',
          location: `Azure Key Vault secret ${properties.name} (${url.host})`,
          proposal: { name: proposalName('azure', properties.name), kind: 'azure-key-vault', config: { vaultUrl: options.vaultUrl, name: properties.name, ...(options.credential === undefined ? {} : { credential: options.credential }) } },
          notes: [],
        });
      }
      return findings;
    },
  };
}

export interface GcpSecretManagerDiscoveryOptions {
  project: string;
  endpoint?: string | undefined;
  /** A short OAuth access token; default Application Default Credentials. */
  accessToken?: string | undefined;
  maxSecrets?: number | undefined;
}

export function createGcpSecretManagerDiscoverySource(options: GcpSecretManagerDiscoveryOptions): DiscoverySource {
  const endpoint = new URL(options.endpoint ?? 'https://secretmanager.googleapis.com');
  requireSecureUrl(endpoint.href, 'Google Secret Manager discovery: the endpoint');
  return {
    name: 'gcp-secret-manager',
    async discover(target) {
      const [sdk, auth] = await Promise.all([import('@google-cloud/secret-manager'), import('google-auth-library')]);
      let authClient: import('google-auth-library').OAuth2Client | undefined;
      if (options.accessToken !== undefined) {
        authClient = new auth.OAuth2Client();
        authClient.setCredentials({ access_token: options.accessToken });
      }
      const secure = endpoint.protocol === 'https:';
      const client = new sdk.v1.SecretManagerServiceClient({
        fallback: true,
        apiEndpoint: endpoint.hostname,
        port: endpoint.port === '' ? (secure ? 443 : 80) : Number(endpoint.port),
        protocol: secure ? 'https' : 'http',
        ...(authClient === undefined ? {} : { authClient }),
      });
      const findings: DiscoveryFinding[] = [];
      const [secrets] = await client.listSecrets({ parent: `projects/${options.project}` }, { autoPaginate: true });
      for (const secret of secrets.slice(0, options.maxSecrets ?? 2000)) {
        const id = /\/secrets\/([^/]+)$/.exec(secret.name ?? '')?.[1];
        if (id === undefined) continue;
        const version = 'current' in (secret.versionAliases ?? {}) ? 'current' : 'latest';
        let value: string | undefined;
        try {
          const [response] = await client.accessSecretVersion({ name: `projects/${options.project}/secrets/${id}/versions/${version}` });
          const data = response.payload?.data;
          value = data === undefined || data === null ? undefined : typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data).toString('utf8');
        } catch {
          continue; // No enabled version, or no permission for this one secret.
        }
        if (value === undefined || !target.matches(value)) continue;
        findings.push({
          source: 'gcp-secret-manager',
          status: 'match',
          location: `Google secret projects/${options.project}/secrets/${id} (${version})`,
          proposal: { name: proposalName('gcp', id), kind: 'gcp-secret-manager', config: { project: options.project, secret: id, ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }), ...(options.accessToken === undefined ? {} : { credential: 'access-token' }) } },
          notes: version === 'latest' ? ['no "current" alias yet: rekey adds it on the first delivery; point the app at versions/current'] : [],
        });
      }
      return findings;
    },
  };
}
