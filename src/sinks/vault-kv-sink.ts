/**
 * HashiCorp Vault KV v2 sink. One KV secret (`<mount>/<path>`) holds the key under a field
 * named like the env variable the app reads (`OPENAI_API_KEY`), and versioned fields
 * (`OPENAI_API_KEY_V7`) beside it; every other field in the secret is kept. Each change
 * is read-modify-write with check-and-set (`options.cas` = the version read), so a write
 * never overwrites a change someone made in between: on a CAS miss it reads again.
 */
import { z } from 'zod';
import { SinkError } from '../core/errors.js';
import { redactHint, type SecretValue } from '../core/secret-value.js';
import { fingerprint } from '../crypto/fingerprint.js';
import { requireSecureUrl, sinkTokenVariable, tokenEnvOptions } from './sink-credentials.js';
import { createSinkHttp, encodePath } from './sink-http.js';
import type { ReadableSink, SinkContext, SinkFactory, SinkSlot } from './sink-spec.js';
import { parseSinkConfig, planChanges, slotName } from './sink-support.js';

const vaultKvConfigSchema = z
  .object({
    /** Vault's address, e.g. https://vault.internal:8200. */
    address: z.url(),
    /** The KV v2 mount, default `secret`. */
    mount: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/).optional(),
    /** The secret's path under the mount, e.g. `apps/ticketing/prod`. */
    path: z.string().regex(/^[A-Za-z0-9_.@-]+(\/[A-Za-z0-9_.@-]+)*$/, 'must be a path like apps/ticketing/prod'),
    /** The field the app reads. */
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be a field name such as OPENAI_API_KEY'),
    /** The environment variable that holds the Vault token. Default VAULT_TOKEN. */
    ...tokenEnvOptions,
    /** Vault Enterprise namespace. */
    namespace: z.string().min(1).optional(),
    timeoutSeconds: z.number().positive().max(300).optional(),
  })
  .strict();

export type VaultKvSinkConfig = z.input<typeof vaultKvConfigSchema>;

const CAS_ATTEMPTS = 5;

interface KvState {
  /** The version check-and-set must name: the latest version, 0 when the secret never existed. */
  version: number;
  data: Record<string, unknown>;
}

export function createVaultKvSink(config: Record<string, unknown>, context: SinkContext): ReadableSink {
  const options = parseSinkConfig(vaultKvConfigSchema, config, context, 'vault-kv', 'vault-kv options: { address, path, name, mount?: "secret", tokenEnv?: "VAULT_TOKEN" }');
  const mount = options.mount ?? 'secret';
  const token = sinkTokenVariable(options, context, { variable: 'VAULT_TOKEN', label: 'Vault' });
  requireSecureUrl(options.address, `consumer ${context.consumerName}: address`);
  const label = `vault ${mount}/${options.path} (${options.name})`;
  const dataPath = `/v1/${encodePath(mount)}/data/${encodePath(options.path)}`;

  const http = () => {
    return createSinkHttp({
      sink: 'vault-kv',
      label,
      baseUrl: options.address,
      headers: { 'x-vault-token': token.read(), ...(options.namespace === undefined ? {} : { 'x-vault-namespace': options.namespace }) },
      timeoutMs: options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000,
    });
  };

  const load = async (): Promise<KvState> => {
    const response = await http().request({ method: 'GET', path: dataPath, accept: [404], action: 'read the secret' });
    const body = response.body as { data?: { data?: unknown; metadata?: { version?: unknown } } } | undefined;
    const version = typeof body?.data?.metadata?.version === 'number' ? body.data.metadata.version : 0;
    if (response.status === 404) {
      // 404 with metadata: the latest version was deleted; CAS must still name it.
      return { version, data: {} };
    }
    const data = body?.data?.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data) || version === 0) {
      throw new SinkError(`${label}: Vault answered a read without KV v2 data (is ${mount} a KV v2 mount?)`, { sink: 'vault-kv', isRetryable: false });
    }
    return { version, data: data as Record<string, unknown> };
  };

  const fieldValue = (state: KvState, slot: SinkSlot): string | undefined => {
    const value = state.data[slotName(options.name, slot)];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };

  /** Read, change, write with check-and-set; on a CAS miss read again. */
  const update = async (action: string, change: (data: Record<string, unknown>) => Record<string, unknown> | null): Promise<void> => {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
      const state = await load();
      const next = change({ ...state.data });
      if (next === null) return;
      const response = await http().request({
        method: 'POST',
        path: dataPath,
        body: { options: { cas: state.version }, data: next },
        accept: [400],
        action,
      });
      if (response.status !== 400) return;
      const messages = (response.body as { errors?: unknown } | undefined)?.errors;
      const casMiss = Array.isArray(messages) && messages.some((message) => typeof message === 'string' && message.includes('check-and-set'));
      if (!casMiss) throw new SinkError(`${label}: could not ${action}: Vault answered HTTP 400`, { sink: 'vault-kv', isRetryable: false, cause: { status: 400 } });
    }
    throw new SinkError(`${label}: the secret kept changing while rekey tried to ${action}`, { sink: 'vault-kv', isRetryable: true });
  };

  return {
    kind: 'vault-kv',
    describe: () => label,

    async write(slot: SinkSlot, value: SecretValue) {
      const field = slotName(options.name, slot);
      await update(`write ${field}`, (data) => (data[field] === value.reveal() ? null : { ...data, [field]: value.reveal() }));
    },

    async readFingerprint(slot: SinkSlot) {
      const value = fieldValue(await load(), slot);
      return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value) };
    },

    async remove(slot: SinkSlot) {
      const field = slotName(options.name, slot);
      await update(`remove ${field}`, (data) => {
        if (!(field in data)) return null;
        const { [field]: _removed, ...rest } = data;
        return rest;
      });
    },

    async plan(changes) {
      const state = await load();
      return planChanges(changes, {
        fingerprintSalt: context.fingerprintSalt,
        targetOf: (slot) => `${slotName(options.name, slot)} in vault ${mount}/${options.path}`,
        current: async (slot) => {
          const value = fieldValue(state, slot);
          return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value), hint: redactHint(value) };
        },
      });
    },
  };
}

createVaultKvSink satisfies SinkFactory;
