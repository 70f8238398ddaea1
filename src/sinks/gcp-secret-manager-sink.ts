/**
 * Google Cloud Secret Manager sink, through the official `@google-cloud/secret-manager`
 * client over its HTTP/JSON transport (`fallback: true`; loaded lazily, and never the gRPC
 * stack). One secret holds the key; every value is a **version** of it, and the slots are
 * the secret's **version aliases**:
 *
 *  - the main slot is the alias `current` (apps read `versions/current`); a new value
 *    is added with `addVersion` and `current` moves to it, while `previous` points at the
 *    version it replaced, which stays enabled through the grace;
 *  - a versioned slot is the alias `rekey-v<n>`;
 *  - removing a versioned slot (the revoke step) drops its alias and, unless `current`
 *    or another rekey alias still points at that version, **disables then destroys** it
 *    (a secret with a destroy TTL keeps it disabled until then, as Google documents).
 *
 * Alias changes go through `updateSecret` with `updateMask=versionAliases` and the
 * secret's `etag`, so a concurrent change is refused instead of lost. Payloads carry
 * their CRC32C (`dataCrc32c`), which the service verifies.
 *
 * Authentication: `credential: "default"` (Application Default Credentials: a workload's
 * service account, `GOOGLE_APPLICATION_CREDENTIALS`, gcloud) or `"access-token"`: a short
 * OAuth access token from the variable `tokenEnv` (default `GOOGLE_OAUTH_ACCESS_TOKEN`,
 * what gcloud and the CI auth actions export).
 */
import { z } from 'zod';
import { SinkError } from '../core/errors.js';
import { isLoopbackHost } from '../core/loopback-host.js';
import { redactHint, type SecretValue } from '../core/secret-value.js';
import { fingerprint } from '../crypto/fingerprint.js';
import { requireSecureUrl, sinkTokenVariable, tokenEnvOptions } from './sink-credentials.js';
import type { ReadableSink, SinkContext, SinkFactory, SinkSlot } from './sink-spec.js';
import { parseSinkConfig, planChanges } from './sink-support.js';

const gcpConfigSchema = z
  .object({
    project: z.string().regex(/^[a-z0-9][a-z0-9-:.]{0,100}$/, 'must be a Google Cloud project id or number'),
    secret: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be 1-255 letters, digits, _ and - (a Secret Manager secret id)'),
    /** Default `https://secretmanager.googleapis.com`; a regional or private endpoint, or a loopback emulator. */
    endpoint: z.url().optional(),
    credential: z.enum(['default', 'access-token']).optional(),
    /** Create the secret (automatic replication) when it does not exist. Default true. */
    create: z.boolean().optional(),
    timeoutSeconds: z.number().positive().max(300).optional(),
    ...tokenEnvOptions,
  })
  .strict();

export type GcpSecretManagerSinkConfig = z.input<typeof gcpConfigSchema>;

type Client = import('@google-cloud/secret-manager').v1.SecretManagerServiceClient;

export const GCP_CURRENT_ALIAS = 'current';
export const GCP_PREVIOUS_ALIAS = 'previous';
export const gcpVersionAlias = (version: number): string => `rekey-v${version}`;

/**
 * The REST transport reports the HTTP status in `code`, the gRPC transport a gRPC status:
 * both are understood. Retryable: deadline, exhausted, aborted, internal, unavailable.
 */
const RETRYABLE_CODES = new Set([4, 8, 10, 13, 14, 408, 409, 429]);
const isRetryableCode = (code: number): boolean => RETRYABLE_CODES.has(code) || code >= 500;
const NOT_FOUND_CODES = new Set([5, 404]);

/** CRC32C (Castagnoli), as Secret Manager checks `payload.dataCrc32c`. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let index = 0; index < 256; index += 1) {
    let crc = index;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    table[index] = crc >>> 0;
  }
  return table;
})();
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function createGcpSecretManagerSink(config: Record<string, unknown>, context: SinkContext): ReadableSink {
  const options = parseSinkConfig(
    gcpConfigSchema,
    config,
    context,
    'gcp-secret-manager',
    'gcp-secret-manager options: { project, secret, endpoint?, credential?: "default"|"access-token", tokenEnv?: "GOOGLE_OAUTH_ACCESS_TOKEN", create?: true }',
  );
  const endpoint = new URL(options.endpoint ?? 'https://secretmanager.googleapis.com');
  requireSecureUrl(endpoint.href, `consumer ${context.consumerName}: endpoint`);
  const token = options.credential === 'access-token' ? sinkTokenVariable(options, context, { variable: 'GOOGLE_OAUTH_ACCESS_TOKEN', label: 'Google Cloud access' }) : undefined;
  const secretName = `projects/${options.project}/secrets/${options.secret}`;
  const label = `Google secret ${secretName}`;
  const salt = context.fingerprintSalt;
  const callOptions = (): Record<string, unknown> => ({ timeout: (options.timeoutSeconds ?? 15) * 1000, retry: { retryCodes: [] } });
  let connection: Promise<Client> | undefined;

  const connect = (): Promise<Client> => {
    connection ??= Promise.all([import('@google-cloud/secret-manager'), import('google-auth-library')]).then(([sdk, auth]) => {
      let authClient: import('google-auth-library').OAuth2Client | undefined;
      if (token !== undefined) {
        authClient = new auth.OAuth2Client();
        authClient.setCredentials({ access_token: token.read() });
      }
      const secure = endpoint.protocol === 'https:';
      return new sdk.v1.SecretManagerServiceClient({
        fallback: true,
        apiEndpoint: endpoint.hostname,
        port: endpoint.port === '' ? (secure ? 443 : 80) : Number(endpoint.port),
        protocol: secure || !isLoopbackHost(endpoint.hostname) ? 'https' : 'http',
        ...(authClient === undefined ? {} : { authClient }),
      });
    });
    return connection;
  };

  const fail = (action: string, error: unknown): SinkError => {
    if (error instanceof SinkError) return error;
    const code = (error as { code?: unknown } | undefined)?.code;
    const numeric = typeof code === 'number' ? code : undefined;
    const isRetryable = numeric === undefined ? true : isRetryableCode(numeric);
    // The service's message may quote the request: say only the status code.
    return new SinkError(`${label}: could not ${action}: Google answered ${numeric === undefined ? 'with a transport error' : `status ${numeric}`}`, {
      sink: 'gcp-secret-manager',
      isRetryable,
      cause: { code: numeric },
    });
  };
  const isNotFound = (error: unknown): boolean => NOT_FOUND_CODES.has((error as { code?: unknown } | undefined)?.code as number);

  interface SecretState {
    aliases: Record<string, number>;
    etag: string | undefined;
  }

  /** The secret's aliases and etag; undefined when it does not exist. */
  const load = async (): Promise<SecretState | undefined> => {
    const client = await connect();
    try {
      const [secret] = await client.getSecret({ name: secretName }, callOptions());
      const aliases: Record<string, number> = {};
      for (const [alias, version] of Object.entries(secret.versionAliases ?? {})) aliases[alias] = Number(String(version));
      return { aliases, etag: secret.etag ?? undefined };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw fail('read the secret', error);
    }
  };

  const ensure = async (): Promise<SecretState> => {
    const state = await load();
    if (state !== undefined) return state;
    if (options.create === false) {
      throw new SinkError(`${label}: the secret does not exist and create is false`, { sink: 'gcp-secret-manager', isRetryable: false });
    }
    const client = await connect();
    try {
      const [secret] = await client.createSecret(
        { parent: `projects/${options.project}`, secretId: options.secret, secret: { replication: { automatic: {} }, labels: { 'managed-by': 'rekey' } } },
        callOptions(),
      );
      return { aliases: {}, etag: secret.etag ?? undefined };
    } catch (error) {
      throw fail('create the secret', error);
    }
  };

  const valueAt = async (version: number): Promise<string | undefined> => {
    const client = await connect();
    try {
      const [response] = await client.accessSecretVersion({ name: `${secretName}/versions/${version}` }, callOptions());
      const data = response.payload?.data;
      if (data === undefined || data === null) return undefined;
      return typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data).toString('utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw fail(`read version ${version}`, error);
    }
  };

  const setAliases = async (state: SecretState, aliases: Record<string, number>): Promise<void> => {
    const client = await connect();
    try {
      await client.updateSecret(
        { secret: { name: secretName, versionAliases: Object.fromEntries(Object.entries(aliases).map(([alias, version]) => [alias, String(version)])), ...(state.etag === undefined ? {} : { etag: state.etag }) }, updateMask: { paths: ['version_aliases'] } },
        callOptions(),
      );
    } catch (error) {
      throw fail('move the version aliases', error);
    }
  };

  const addVersion = async (value: SecretValue): Promise<number> => {
    const client = await connect();
    const data = Buffer.from(value.reveal(), 'utf8');
    try {
      const [version] = await client.addSecretVersion({ parent: secretName, payload: { data, dataCrc32c: String(crc32c(data)) } }, callOptions());
      const number = Number(/\/versions\/(\d+)$/.exec(version.name ?? '')?.[1]);
      if (!Number.isInteger(number)) throw new SinkError(`${label}: the new version has no number`, { sink: 'gcp-secret-manager', isRetryable: false });
      return number;
    } catch (error) {
      throw fail('add a version', error);
    }
  };

  const same = (held: string | undefined, value: SecretValue): boolean => held !== undefined && fingerprint(salt, held) === fingerprint(salt, value.reveal());
  const aliasOf = (slot: SinkSlot): string => (slot === 'main' ? GCP_CURRENT_ALIAS : gcpVersionAlias(slot.version));

  /** A version some alias points at that holds `value`, else a new version. */
  const versionHolding = async (state: SecretState, value: SecretValue): Promise<number> => {
    for (const version of new Set(Object.values(state.aliases))) if (same(await valueAt(version), value)) return version;
    return addVersion(value);
  };

  const read = async (slot: SinkSlot): Promise<string | undefined> => {
    const version = (await load())?.aliases[aliasOf(slot)];
    return version === undefined ? undefined : valueAt(version);
  };

  const destroy = async (version: number): Promise<void> => {
    const client = await connect();
    const name = `${secretName}/versions/${version}`;
    try {
      await client.disableSecretVersion({ name }, callOptions());
      await client.destroySecretVersion({ name }, callOptions());
    } catch (error) {
      if (isNotFound(error)) return;
      throw fail(`disable and destroy version ${version}`, error);
    }
  };

  return {
    kind: 'gcp-secret-manager',
    describe: () => label,

    async write(slot, value) {
      const state = await ensure();
      const alias = aliasOf(slot);
      const now = state.aliases[alias];
      if (now !== undefined && same(await valueAt(now), value)) return;
      const target = await versionHolding(state, value);
      const aliases = { ...state.aliases, [alias]: target };
      if (slot === 'main' && now !== undefined && now !== target) aliases[GCP_PREVIOUS_ALIAS] = now;
      await setAliases(state, aliases);
    },

    async readFingerprint(slot) {
      const value = await read(slot);
      return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(salt, value) };
    },

    async remove(slot) {
      if (slot === 'main') {
        throw new SinkError(`${label}: rekey does not remove the current version of a Google secret; delete the secret if it is no longer used`, {
          sink: 'gcp-secret-manager',
          isRetryable: false,
        });
      }
      const state = await load();
      const alias = gcpVersionAlias(slot.version);
      const version = state?.aliases[alias];
      if (state === undefined || version === undefined) return;
      const rest = Object.fromEntries(Object.entries(state.aliases).filter(([name]) => name !== alias));
      const stillServed = Object.entries(rest).some(([name, target]) => target === version && name !== GCP_PREVIOUS_ALIAS);
      if (stillServed) {
        await setAliases(state, rest);
        return;
      }
      // The revoke: nothing serves this version any more; drop its aliases, disable, destroy.
      await setAliases(state, Object.fromEntries(Object.entries(rest).filter(([, target]) => target !== version)));
      await destroy(version);
    },

    async plan(changes) {
      return planChanges(changes, {
        fingerprintSalt: salt,
        targetOf: (slot) => `alias ${aliasOf(slot)} of ${label}`,
        current: async (slot) => {
          const value = await read(slot);
          return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(salt, value), hint: redactHint(value) };
        },
      });
    },
  };
}

createGcpSecretManagerSink satisfies SinkFactory;
