/**
 * AWS Secrets Manager: list secrets and check each AWSCURRENT value, whole or, for a JSON
 * secret, field by field. The SDK is imported only when this source runs.
 */
import { proposalName, type DiscoveryFinding, type DiscoverySource } from './discovery-spec.js';

export interface AwsDiscoveryOptions {
  region: string;
  endpoint?: string | undefined;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined } | undefined;
  maxSecrets?: number | undefined;
}

export function createAwsDiscoverySource(options: AwsDiscoveryOptions): DiscoverySource {
  return {
    name: 'aws',
    async discover(target) {
      const sdk = await import('@aws-sdk/client-secrets-manager');
      const client = new sdk.SecretsManagerClient({
        region: options.region,
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      });
      const findings: DiscoveryFinding[] = [];
      let nextToken: string | undefined;
      let seen = 0;
      do {
        const page = await client.send(new sdk.ListSecretsCommand({ MaxResults: 100, NextToken: nextToken }));
        for (const entry of page.SecretList ?? []) {
          if (entry.Name === undefined || seen >= (options.maxSecrets ?? 2000)) continue;
          seen += 1;
          let value: string | undefined;
          try {
            value = (await client.send(new sdk.GetSecretValueCommand({ SecretId: entry.ARN ?? entry.Name }))).SecretString;
          } catch {
            continue; // No current value, or no permission for this one secret.
          }
          if (value === undefined) continue;
          const config = { secretId: entry.Name, region: options.region, ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }) };
          if (target.matches(value)) {
            findings.push({ source: 'aws', status: 'match', location: `AWS secret ${entry.Name} (${options.region})`, proposal: { name: proposalName('aws', entry.Name), kind: 'aws-secrets-manager', config }, notes: [] });
            continue;
          }
          if (!value.trimStart().startsWith('{')) continue;
          try {
            for (const [field, inner] of Object.entries(JSON.parse(value) as Record<string, unknown>)) {
              if (typeof inner === 'string' && target.matches(inner)) {
                findings.push({ source: 'aws', status: 'match', location: `AWS secret ${entry.Name} (${options.region}), JSON field ${field}`, notes: ['a field of a JSON secret: the aws-secrets-manager sink writes whole-string secrets'] });
              }
            }
          } catch {
            // Not JSON after all.
          }
        }
        nextToken = page.NextToken;
      } while (nextToken !== undefined);
      return findings;
    },
  };
}
