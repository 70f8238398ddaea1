/**
 * Azure Key Vault sink, through the official `@azure/keyvault-secrets` client and an
 * `@azure/identity` credential (both loaded lazily). One Key Vault secret holds the key;
 * every value is a **version** of it:
 *
 *  - the main slot is the secret's latest version (what `GET /secrets/{name}` and every
 *    Key Vault reference return); writing a new value adds a version tagged
 *    `rekey-stage: current`, and the version it replaces is re-tagged `previous` and stays
 *    **enabled**, so an app pinned to it keeps working through the grace;
 *  - a versioned slot is the enabled version tagged `rekey-version: <n>`;
 *  - removing a versioned slot (the revoke step) **disables** that version (tag
 *    `rekey-stage: revoked`); it stays in the vault's history, as Azure keeps versions.
 *    The latest version is never disabled: only its tag is dropped.
 *
 * A versioned slot whose value is not yet in the secret has to become a new version, and
 * a new version is always the latest; the sink then re-adds the current value on top so
 * that the main slot keeps serving what it served (rekey writes the main slot first, so
 * a rotation never takes this path).
 *
 * Authentication: `credential: "default"` (DefaultAzureCredential: environment service
 * principal, workload identity, managed identity, Azure CLI) or `"managed-identity"`
 * (optionally a user-assigned `managedIdentityClientId`). The client follows Key Vault's
 * challenge flow: the first request goes unauthenticated, the vault answers 401 with a
 * `WWW-Authenticate: Bearer authorization=…, resource=…` challenge, and the credential
 * gets a token for that resource (its domain is checked against the vault URL's).
 */
import { z } from 'zod';
import { SinkError } from '../core/errors.js';
import { redactHint, SecretValue } from '../core/secret-value.js';
import { fingerprint } from '../crypto/fingerprint.js';
import { isLoopbackHost } from '../core/loopback-host.js';
import { requireSecureUrl } from './sink-credentials.js';
import type { ReadableSink, SinkContext, SinkFactory, SinkSlot } from './sink-spec.js';
import { parseSinkConfig, planChanges } from './sink-support.js';

const azureConfigSchema = z
  .object({
    /** `https://<vault>.vault.azure.net` */
    vaultUrl: z.url(),
    /** The Key Vault secret name (letters, digits, dashes). */
    name: z.string().regex(/^[0-9A-Za-z-]{1,127}$/, 'must be 1-127 letters, digits and dashes (a Key Vault secret name)'),
    credential: z.enum(['default', 'managed-identity']).optional(),
    /** A user-assigned managed identity's client id. */
    managedIdentityClientId: z.string().min(1).max(100).optional(),
    contentType: z.string().min(1).max(255).optional(),
    timeoutSeconds: z.number().positive().max(300).optional(),
  })
  .strict();

export type AzureKeyVaultSinkConfig = z.input<typeof azureConfigSchema>;

type Secrets = typeof import('@azure/keyvault-secrets');
type Client = import('@azure/keyvault-secrets').SecretClient;
type Properties = import('@azure/keyvault-secrets').SecretProperties;

export const AZURE_VERSION_TAG = 'rekey-version';
export const AZURE_STAGE_TAG = 'rekey-stage';

export function createAzureKeyVaultSink(config: Record<string, unknown>, context: SinkContext): ReadableSink {
  const options = parseSinkConfig(azureConfigSchema, config, context, 'azure-key-vault', 'azure-key-vault options: { vaultUrl: "https://<vault>.vault.azure.net", name, credential?: "default"|"managed-identity", managedIdentityClientId? }');
  requireSecureUrl(options.vaultUrl, `consumer ${context.consumerName}: vaultUrl`);
  const host = new URL(options.vaultUrl).host;
  const label = `Azure Key Vault secret ${options.name} (${host})`;
  const salt = context.fingerprintSalt;
  let connection: Promise<{ sdk: Secrets; client: Client }> | undefined;

  const connect = (): Promise<{ sdk: Secrets; client: Client }> => {
    connection ??= Promise.all([import('@azure/keyvault-secrets'), import('@azure/identity')]).then(([sdk, identity]) => {
      const credential =
        options.credential === 'managed-identity'
          ? new identity.ManagedIdentityCredential(options.managedIdentityClientId === undefined ? {} : { clientId: options.managedIdentityClientId })
          : new identity.DefaultAzureCredential(options.managedIdentityClientId === undefined ? {} : { managedIdentityClientId: options.managedIdentityClientId });
      const client = new sdk.SecretClient(options.vaultUrl, credential, {
        // The rotation engine retries retryable sink errors; one layer of retries is enough.
        retryOptions: { maxRetries: 0 },
        // Plain http is allowed (loopback only, checked above) for a local vault emulator.
        allowInsecureConnection: new URL(options.vaultUrl).protocol === 'http:',
        // A loopback emulator has no vault domain for the challenge's resource to match;
        // every other vault URL keeps the client's check that the resource is the vault's.
        disableChallengeResourceVerification: isLoopbackHost(new URL(options.vaultUrl).hostname),
      });
      return { sdk, client };
    });
    return connection;
  };

  const timeout = (): AbortSignal => AbortSignal.timeout((options.timeoutSeconds ?? 15) * 1000);

  const fail = (action: string, error: unknown): SinkError => {
    if (error instanceof SinkError) return error;
    const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
    const code = (error as { code?: unknown } | undefined)?.code;
    const name = (error as { name?: unknown } | undefined)?.name;
    const httpStatus = typeof status === 'number' ? status : undefined;
    const isRetryable = httpStatus === undefined ? name !== 'CredentialUnavailableError' && name !== 'AuthenticationRequiredError' : httpStatus === 408 || httpStatus === 429 || httpStatus >= 500;
    // The service's message may quote the request: say only the code and status.
    const what = typeof code === 'string' && /^[A-Za-z_]{1,60}$/.test(code) ? code : typeof name === 'string' ? name : 'an error';
    return new SinkError(`${label}: could not ${action}: Azure answered ${what}${httpStatus === undefined ? '' : ` (HTTP ${httpStatus})`}`, {
      sink: 'azure-key-vault',
      isRetryable,
      cause: { code: what, status: httpStatus },
    });
  };

  const isNotFound = (error: unknown): boolean => (error as { statusCode?: unknown } | undefined)?.statusCode === 404;

  /** Every version's properties (tags, enabled); empty when the secret does not exist. */
  const versions = async (): Promise<Properties[]> => {
    const { client } = await connect();
    const found: Properties[] = [];
    try {
      for await (const properties of client.listPropertiesOfSecretVersions(options.name, { abortSignal: timeout() })) found.push(properties);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw fail('list the secret versions', error);
    }
    return found;
  };

  /** The value of one version (undefined: the latest); undefined when the secret does not exist. */
  const valueOf = async (version?: string): Promise<{ value: string; version: string } | undefined> => {
    const { client } = await connect();
    try {
      const secret = await client.getSecret(options.name, { ...(version === undefined ? {} : { version }), abortSignal: timeout() });
      if (secret.value === undefined || secret.properties.version === undefined) return undefined;
      return { value: secret.value, version: secret.properties.version };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw fail(version === undefined ? 'read the current version' : 'read a version', error);
    }
  };

  const retag = async (properties: Properties, tags: Record<string, string>, enabled?: boolean): Promise<void> => {
    const { client } = await connect();
    if (properties.version === undefined) return;
    try {
      await client.updateSecretProperties(options.name, properties.version, { tags, ...(enabled === undefined ? {} : { enabled }), abortSignal: timeout() });
    } catch (error) {
      throw fail(enabled === false ? 'disable a version' : 'tag a version', error);
    }
  };

  const add = async (value: SecretValue, tags: Record<string, string>): Promise<string> => {
    const { client } = await connect();
    try {
      const secret = await client.setSecret(options.name, value.reveal(), { tags, ...(options.contentType === undefined ? {} : { contentType: options.contentType }), abortSignal: timeout() });
      return secret.properties.version ?? '';
    } catch (error) {
      throw fail('add a version', error);
    }
  };

  const without = (tags: Record<string, string> | undefined, name: string): Record<string, string> => Object.fromEntries(Object.entries(tags ?? {}).filter(([key]) => key !== name));
  const slotHolder = (all: Properties[], version: number): Properties | undefined =>
    all.find((properties) => properties.enabled !== false && properties.tags?.[AZURE_VERSION_TAG] === String(version));
  const byId = (all: Properties[], id: string): Properties | undefined => all.find((properties) => properties.version === id);
  const same = (left: string, right: SecretValue): boolean => fingerprint(salt, left) === fingerprint(salt, right.reveal());

  const read = async (slot: SinkSlot): Promise<string | undefined> => {
    if (slot === 'main') return (await valueOf())?.value;
    const holder = slotHolder(await versions(), slot.version);
    if (holder?.version === undefined) return undefined;
    return (await valueOf(holder.version))?.value;
  };

  const writeMain = async (value: SecretValue): Promise<void> => {
    const latest = await valueOf();
    const all = await versions();
    if (latest !== undefined && same(latest.value, value)) {
      const properties = byId(all, latest.version);
      if (properties !== undefined && properties.tags?.[AZURE_STAGE_TAG] !== 'current') await retag(properties, { ...properties.tags, [AZURE_STAGE_TAG]: 'current' });
      return;
    }
    // Carry the rekey-version tag of a version already holding this value (a versioned slot written first).
    let carried: string | undefined;
    for (const properties of all) {
      const tagged = properties.tags?.[AZURE_VERSION_TAG];
      if (properties.enabled === false || tagged === undefined || properties.version === undefined) continue;
      const held = await valueOf(properties.version);
      if (held !== undefined && same(held.value, value)) {
        carried = tagged;
        await retag(properties, without(properties.tags, AZURE_VERSION_TAG));
        break;
      }
    }
    await add(value, { [AZURE_STAGE_TAG]: 'current', ...(carried === undefined ? {} : { [AZURE_VERSION_TAG]: carried }) });
    const previous = latest === undefined ? undefined : byId(all, latest.version);
    if (previous !== undefined) await retag(previous, { ...previous.tags, [AZURE_STAGE_TAG]: 'previous' });
  };

  const writeVersioned = async (version: number, value: SecretValue): Promise<void> => {
    const all = await versions();
    const holder = slotHolder(all, version);
    if (holder?.version !== undefined) {
      const held = await valueOf(holder.version);
      if (held !== undefined && same(held.value, value)) return;
      await retag(holder, without(holder.tags, AZURE_VERSION_TAG));
    }
    const latest = await valueOf();
    if (latest !== undefined && same(latest.value, value)) {
      const properties = byId(await versions(), latest.version);
      if (properties !== undefined) await retag(properties, { ...properties.tags, [AZURE_VERSION_TAG]: String(version) });
      return;
    }
    for (const properties of all) {
      if (properties.enabled === false || properties.version === undefined || properties.version === holder?.version) continue;
      const held = await valueOf(properties.version);
      if (held !== undefined && same(held.value, value)) {
        await retag(properties, { ...properties.tags, [AZURE_VERSION_TAG]: String(version) });
        return;
      }
    }
    // Not in the secret yet: add it, then put the current value back on top (see the header).
    await add(value, { [AZURE_VERSION_TAG]: String(version), [AZURE_STAGE_TAG]: 'previous' });
    if (latest !== undefined) {
      const replaced = byId(all, latest.version);
      if (replaced !== undefined) await retag(replaced, { [AZURE_STAGE_TAG]: 'superseded' });
      await add(new SecretValue(latest.value), { ...replaced?.tags, [AZURE_STAGE_TAG]: 'current' });
    }
  };

  return {
    kind: 'azure-key-vault',
    describe: () => label,

    async write(slot, value) {
      if (slot === 'main') await writeMain(value);
      else await writeVersioned(slot.version, value);
    },

    async readFingerprint(slot) {
      const value = await read(slot);
      return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(salt, value) };
    },

    async remove(slot) {
      if (slot === 'main') {
        throw new SinkError(`${label}: rekey does not delete the current version of a Key Vault secret; delete the secret in Azure if it is no longer used`, {
          sink: 'azure-key-vault',
          isRetryable: false,
        });
      }
      const all = await versions();
      const holder = slotHolder(all, slot.version);
      if (holder === undefined) return;
      const latest = await valueOf();
      if (latest?.version === holder.version) {
        await retag(holder, without(holder.tags, AZURE_VERSION_TAG));
        return;
      }
      // The revoke: the old version stops being served.
      await retag(holder, { ...holder.tags, [AZURE_STAGE_TAG]: 'revoked' }, false);
    },

    async plan(changes) {
      return planChanges(changes, {
        fingerprintSalt: salt,
        targetOf: (slot) => (slot === 'main' ? `latest version of ${label}` : `version tagged ${AZURE_VERSION_TAG}=${slot.version} of ${label}`),
        current: async (slot) => {
          const value = await read(slot);
          return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(salt, value), hint: redactHint(value) };
        },
      });
    },
  };
}

createAzureKeyVaultSink satisfies SinkFactory;
