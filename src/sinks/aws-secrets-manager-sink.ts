/**
 * AWS Secrets Manager sink, through the official SDK v3 (loaded lazily: `rekey scan` never
 * pays for it). The secret's string value is the key. The main slot follows Secrets
 * Manager's own rotation protocol: the new value goes in as a version labelled
 * `AWSPENDING`, is read back and compared, then `AWSCURRENT` is moved onto it with
 * UpdateSecretVersionStage, which leaves `AWSPREVIOUS` on the old version (an app can read
 * either). Versioned slots are custom staging labels (`rekey-v7`) on the version holding
 * that value, so removing a slot removes a label, never a value AWS still serves.
 *
 * Version ids (ClientRequestToken) derive from the value's fingerprint, so writing the
 * same value twice is one version, and a retried write after a lost answer is idempotent.
 * Credentials come from the SDK's default chain (env, profile, instance role).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SinkError } from '../core/errors.js';
import { redactHint, type SecretValue } from '../core/secret-value.js';
import { fingerprint } from '../crypto/fingerprint.js';
import type { ReadableSink, SinkContext, SinkFactory, SinkSlot } from './sink-spec.js';
import { environmentOf, parseSinkConfig, planChanges } from './sink-support.js';

const awsConfigSchema = z
  .object({
    /** Secret name or ARN. */
    secretId: z.string().min(1).max(2048),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
    /** Custom endpoint (VPC endpoint, LocalStack). */
    endpoint: z.url().optional(),
    /** Named profile from ~/.aws; default: the SDK's default chain. */
    profile: z.string().min(1).optional(),
    /** Create the secret when it does not exist. Default true. */
    create: z.boolean().optional(),
    timeoutSeconds: z.number().positive().max(300).optional(),
  })
  .strict();

export type AwsSecretsManagerSinkConfig = z.input<typeof awsConfigSchema>;

type Client = import('@aws-sdk/client-secrets-manager').SecretsManagerClient;
type Sdk = typeof import('@aws-sdk/client-secrets-manager');

/** Errors a retry can clear: throttling, AWS-side faults, timeouts, connection trouble. */
const RETRYABLE_NAMES = new Set(['ThrottlingException', 'InternalServiceError', 'InternalFailure', 'ServiceUnavailable', 'RequestTimeout', 'TimeoutError', 'LimitExceededException']);

export const versionLabel = (version: number): string => `rekey-v${version}`;

export function createAwsSecretsManagerSink(config: Record<string, unknown>, context: SinkContext): ReadableSink {
  const options = parseSinkConfig(awsConfigSchema, config, context, 'aws-secrets-manager', 'aws-secrets-manager options: { secretId, region, endpoint?, profile?, create?: true }');
  const label = `AWS secret ${options.secretId} (${options.region})`;
  let connection: Promise<{ sdk: Sdk; client: Client }> | undefined;

  const connect = (): Promise<{ sdk: Sdk; client: Client }> => {
    connection ??= import('@aws-sdk/client-secrets-manager').then((sdk) => {
      const environment = environmentOf(context);
      const keyId = environment['AWS_ACCESS_KEY_ID'];
      const secret = environment['AWS_SECRET_ACCESS_KEY'];
      const client = new sdk.SecretsManagerClient({
        region: options.region,
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        ...(options.profile === undefined ? {} : { profile: options.profile }),
        // An injected environment wins over the process's credential chain.
        ...(context.environment !== undefined && keyId !== undefined && secret !== undefined
          ? { credentials: { accessKeyId: keyId, secretAccessKey: secret, sessionToken: environment['AWS_SESSION_TOKEN'] } }
          : {}),
        // The rotation engine retries retryable sink errors; one layer of retries is enough.
        maxAttempts: 1,
        requestHandler: { requestTimeout: (options.timeoutSeconds ?? 15) * 1000 },
      });
      return { sdk, client };
    });
    return connection;
  };

  const fail = (action: string, error: unknown): SinkError => {
    if (error instanceof SinkError) return error;
    const name = (error as { name?: unknown } | undefined)?.name;
    const metadata = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
    const fault = (error as { $fault?: string } | undefined)?.$fault;
    const status = metadata?.httpStatusCode;
    const code = (error as { code?: unknown } | undefined)?.code;
    const isNetwork = status === undefined && (typeof code === 'string' || name === 'TimeoutError');
    const isRetryable = isNetwork || fault === 'server' || (typeof name === 'string' && RETRYABLE_NAMES.has(name)) || (status !== undefined && status >= 500);
    // The SDK's message may echo request details: say only the error's name and status.
    const what = typeof name === 'string' ? name : 'an error';
    return new SinkError(`${label}: could not ${action}: AWS answered ${what}${status === undefined ? '' : ` (HTTP ${status})`}`, {
      sink: 'aws-secrets-manager',
      isRetryable,
      cause: { name: what, status },
    });
  };

  const isNotFound = (error: unknown): boolean => (error as { name?: unknown } | undefined)?.name === 'ResourceNotFoundException';

  const call = async <Output>(action: string, run: (sdk: Sdk, client: Client) => Promise<Output>): Promise<Output> => {
    const { sdk, client } = await connect();
    try {
      return await run(sdk, client);
    } catch (error) {
      throw fail(action, error);
    }
  };

  /** Versions and their labels; undefined when the secret does not exist. */
  const describe = async (): Promise<Record<string, string[]> | undefined> => {
    const { sdk, client } = await connect();
    try {
      const output = await client.send(new sdk.DescribeSecretCommand({ SecretId: options.secretId }));
      return output.VersionIdsToStages ?? {};
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw fail('describe the secret', error);
    }
  };

  const valueAt = async (stage: string): Promise<string | undefined> => {
    const { sdk, client } = await connect();
    try {
      const output = await client.send(new sdk.GetSecretValueCommand({ SecretId: options.secretId, VersionStage: stage }));
      if (output.SecretString === undefined) {
        throw new SinkError(`${label}: the ${stage} version holds binary data, not a string`, { sink: 'aws-secrets-manager', isRetryable: false });
      }
      return output.SecretString === '' ? undefined : output.SecretString;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw fail(`read the ${stage} version`, error);
    }
  };

  const stageOf = (slot: SinkSlot): string => (slot === 'main' ? 'AWSCURRENT' : versionLabel(slot.version));
  const holderOf = (versions: Record<string, string[]>, stage: string): string | undefined =>
    Object.entries(versions).find(([, stages]) => stages.includes(stage))?.[0];

  /** A UUID-shaped version id derived from the value's fingerprint and the secret. */
  const tokenFor = (value: SecretValue): string => {
    const digest = createHash('sha256').update(`rekey-aws-version\0${options.secretId}\0${fingerprint(context.fingerprintSalt, value.reveal())}`).digest('hex');
    return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-4${digest.slice(13, 16)}-a${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  };

  /** The versions after making sure the secret exists (created empty when allowed). */
  const ensureSecret = async (): Promise<Record<string, string[]>> => {
    const versions = await describe();
    if (versions !== undefined) return versions;
    if (options.create === false) {
      throw new SinkError(`${label}: the secret does not exist and create is false`, { sink: 'aws-secrets-manager', isRetryable: false });
    }
    await call('create the secret', (sdk, client) => client.send(new sdk.CreateSecretCommand({ Name: options.secretId, Description: 'Managed by rekey' })));
    return {};
  };

  const moveStage = async (stage: string, versionId: string, versions: Record<string, string[]>): Promise<void> => {
    const holder = holderOf(versions, stage);
    if (holder === versionId) return;
    await call(`move ${stage}`, (sdk, client) =>
      client.send(
        new sdk.UpdateSecretVersionStageCommand({ SecretId: options.secretId, VersionStage: stage, MoveToVersionId: versionId, ...(holder === undefined ? {} : { RemoveFromVersionId: holder }) }),
      ),
    );
  };

  const writeMain = async (value: SecretValue): Promise<void> => {
    const token = tokenFor(value);
    let versions = await ensureSecret();
    if (versions[token]?.includes('AWSCURRENT') === true) return;
    if (versions[token] === undefined) {
      await call('put the new version as AWSPENDING', (sdk, client) =>
        client.send(new sdk.PutSecretValueCommand({ SecretId: options.secretId, ClientRequestToken: token, SecretString: value.reveal(), VersionStages: ['AWSPENDING'] })),
      );
      // Prove the pending version holds this value before any reader can get it as current.
      const pending = await valueAt('AWSPENDING');
      if (pending === undefined || fingerprint(context.fingerprintSalt, pending) !== fingerprint(context.fingerprintSalt, value.reveal())) {
        throw new SinkError(`${label}: the AWSPENDING version does not hold the value just written`, { sink: 'aws-secrets-manager', isRetryable: true });
      }
      versions = (await describe()) ?? {};
    }
    await moveStage('AWSCURRENT', token, versions);
    const after = (await describe()) ?? {};
    if (after[token]?.includes('AWSPENDING') === true) {
      await call('clear AWSPENDING', (sdk, client) =>
        client.send(new sdk.UpdateSecretVersionStageCommand({ SecretId: options.secretId, VersionStage: 'AWSPENDING', RemoveFromVersionId: token })),
      );
    }
  };

  const writeVersioned = async (version: number, value: SecretValue): Promise<void> => {
    const token = tokenFor(value);
    const stage = versionLabel(version);
    const versions = await ensureSecret();
    if (versions[token] === undefined) {
      // Naming the label keeps AWSCURRENT where it is; AWS moves the label off any other version.
      await call(`put version ${stage}`, (sdk, client) =>
        client.send(new sdk.PutSecretValueCommand({ SecretId: options.secretId, ClientRequestToken: token, SecretString: value.reveal(), VersionStages: [stage] })),
      );
      return;
    }
    await moveStage(stage, token, versions);
  };

  return {
    kind: 'aws-secrets-manager',
    describe: () => label,

    async write(slot, value) {
      if (slot === 'main') await writeMain(value);
      else await writeVersioned(slot.version, value);
    },

    async readFingerprint(slot) {
      const value = await valueAt(stageOf(slot));
      return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value) };
    },

    async remove(slot) {
      if (slot === 'main') {
        throw new SinkError(`${label}: rekey does not delete the current value of an AWS secret; delete the secret in AWS if it is no longer used`, {
          sink: 'aws-secrets-manager',
          isRetryable: false,
        });
      }
      const stage = versionLabel(slot.version);
      const versions = await describe();
      const holder = versions === undefined ? undefined : holderOf(versions, stage);
      if (holder === undefined) return;
      await call(`remove ${stage}`, (sdk, client) =>
        client.send(new sdk.UpdateSecretVersionStageCommand({ SecretId: options.secretId, VersionStage: stage, RemoveFromVersionId: holder })),
      );
    },

    async plan(changes) {
      return planChanges(changes, {
        fingerprintSalt: context.fingerprintSalt,
        targetOf: (slot) => `${stageOf(slot)} of AWS secret ${options.secretId}`,
        current: async (slot) => {
          const value = await valueAt(stageOf(slot));
          return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value), hint: redactHint(value) };
        },
      });
    },
  };
}

createAwsSecretsManagerSink satisfies SinkFactory;
