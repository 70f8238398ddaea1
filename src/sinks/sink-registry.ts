/**
 * Every sink kind, loaded lazily so that delivering to an env file never loads a cloud
 * SDK. Exhaustive: adding a kind to SINK_KINDS fails to compile until it is registered.
 */
import { ConfigError } from '../core/errors.js';
import { SINK_KINDS, type Sink, type SinkContext, type SinkFactory, type SinkKind } from './sink-spec.js';

export const sinkRegistry: Record<SinkKind, () => Promise<SinkFactory>> = {
  'env-file': async () => (await import('./env-file-sink.js')).createEnvFileSink,
  'json-file': async () => (await import('./json-file-sink.js')).createJsonFileSink,
  'yaml-file': async () => (await import('./yaml-file-sink.js')).createYamlFileSink,
  'vault-kv': async () => (await import('./vault-kv-sink.js')).createVaultKvSink,
  'aws-secrets-manager': async () => (await import('./aws-secrets-manager-sink.js')).createAwsSecretsManagerSink,
  'kubernetes-secret': async () => (await import('./kubernetes-secret-sink.js')).createKubernetesSecretSink,
  'github-actions': async () => (await import('./github-actions-sink.js')).createGithubActionsSink,
  'gitlab-ci': async () => (await import('./gitlab-ci-sink.js')).createGitlabCiSink,
  webhook: async () => (await import('./webhook-sink.js')).createWebhookSink,
  'azure-key-vault': async () => (await import('./azure-key-vault-sink.js')).createAzureKeyVaultSink,
  'gcp-secret-manager': async () => (await import('./gcp-secret-manager-sink.js')).createGcpSecretManagerSink,
  'vercel-env': async () => (await import('./vercel-env-sink.js')).createVercelEnvSink,
  'netlify-env': async () => (await import('./netlify-env-sink.js')).createNetlifyEnvSink,
  'fly-secrets': async () => (await import('./fly-secrets-sink.js')).createFlySecretsSink,
  'n8n-credential': async () => (await import('./n8n-credential-sink.js')).createN8nCredentialSink,
  doppler: async () => (await import('./doppler-sink.js')).createDopplerSink,
  '1password-connect': async () => (await import('./onepassword-connect-sink.js')).createOnePasswordConnectSink,
};

export function isSinkKind(kind: string): kind is SinkKind {
  return (SINK_KINDS as readonly string[]).includes(kind);
}

export async function loadSinkFactory(kind: string): Promise<SinkFactory> {
  if (!isSinkKind(kind)) {
    throw new ConfigError(`unknown sink kind "${kind.slice(0, 60)}"`, { hint: `known kinds: ${SINK_KINDS.join(', ')}` });
  }
  return sinkRegistry[kind]();
}

/** The sink for one consumer entry. */
export async function createSink(
  consumer: { name: string; kind: string; config: Record<string, unknown> },
  fingerprintSalt: Buffer,
  environment?: Readonly<Record<string, string | undefined>>,
): Promise<Sink> {
  const factory = await loadSinkFactory(consumer.kind);
  const context: SinkContext = { fingerprintSalt, consumerName: consumer.name, environment };
  return factory(consumer.config, context);
}
