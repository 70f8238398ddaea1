/**
 * Kubernetes Secret sink: the key under a data key of a Secret (`OPENAI_API_KEY`, the
 * name `envFrom` turns into a variable), versioned slots as sibling data keys
 * (`OPENAI_API_KEY_V7`). Other data keys, labels and annotations are kept. Each change
 * reads the Secret and replaces it naming its resourceVersion, so a concurrent edit makes
 * the API server answer 409 and rekey reads again instead of overwriting it. A missing
 * Secret is created (type Opaque). Restarting the pods that read it is the
 * `kubernetes-rollout` reload action's job.
 */
import { z } from 'zod';
import { SinkError } from '../core/errors.js';
import { redactHint, type SecretValue } from '../core/secret-value.js';
import { fingerprint } from '../crypto/fingerprint.js';
import { connectKubernetes, kubernetesAccessSchema, kubernetesError, kubernetesStatus, type KubernetesClients } from './kubernetes-client.js';
import type { ReadableSink, SinkContext, SinkFactory, SinkSlot } from './sink-spec.js';
import { parseSinkConfig, planChanges, slotName } from './sink-support.js';

const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes name (lower case, digits, - and .)');

const kubernetesSecretConfigSchema = z
  .object({
    namespace: dnsName,
    secret: dnsName,
    /** The data key the app reads. */
    key: z.string().regex(/^[-._a-zA-Z0-9]+$/, 'must be a Secret data key such as OPENAI_API_KEY'),
    ...kubernetesAccessSchema,
  })
  .strict();

export type KubernetesSecretSinkConfig = z.input<typeof kubernetesSecretConfigSchema>;

type V1Secret = import('@kubernetes/client-node').V1Secret;

const CONFLICT_ATTEMPTS = 5;

export function createKubernetesSecretSink(config: Record<string, unknown>, context: SinkContext): ReadableSink {
  const options = parseSinkConfig(kubernetesSecretConfigSchema, config, context, 'kubernetes-secret', 'kubernetes-secret options: { namespace, secret, key, kubeconfig?, context? }');
  const label = `kubernetes secret ${options.namespace}/${options.secret} (${options.key})`;
  let clients: Promise<KubernetesClients> | undefined;
  const connect = (): Promise<KubernetesClients> => (clients ??= connectKubernetes(options));
  const fail = (action: string, error: unknown): SinkError => kubernetesError('kubernetes-secret', label, action, error);

  const load = async (): Promise<V1Secret | undefined> => {
    const { core } = await connect();
    try {
      return await core.readNamespacedSecret({ name: options.secret, namespace: options.namespace });
    } catch (error) {
      if (kubernetesStatus(error) === 404) return undefined;
      throw fail('read the secret', error);
    }
  };

  const valueIn = (secret: V1Secret | undefined, slot: SinkSlot): string | undefined => {
    const encoded = secret?.data?.[slotName(options.key, slot)];
    if (encoded === undefined || encoded === '') return undefined;
    return Buffer.from(encoded, 'base64').toString('utf8');
  };

  /** Read, change the data, replace naming resourceVersion; on 409 read again. */
  const update = async (action: string, change: (data: Record<string, string>) => Record<string, string> | null, createIfMissing: boolean): Promise<void> => {
    const { core } = await connect();
    for (let attempt = 0; attempt < CONFLICT_ATTEMPTS; attempt += 1) {
      const secret = await load();
      if (secret === undefined && !createIfMissing) return;
      const data = change({ ...(secret?.data ?? {}) });
      if (data === null) return;
      try {
        if (secret === undefined) {
          await core.createNamespacedSecret({
            namespace: options.namespace,
            body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: options.secret, namespace: options.namespace, labels: { 'app.kubernetes.io/managed-by': 'rekey' } }, type: 'Opaque', data },
          });
        } else {
          await core.replaceNamespacedSecret({ name: options.secret, namespace: options.namespace, body: { ...secret, data, stringData: undefined } });
        }
        return;
      } catch (error) {
        if (kubernetesStatus(error) === 409) continue;
        throw fail(action, error);
      }
    }
    throw new SinkError(`${label}: the secret kept changing while rekey tried to ${action}`, { sink: 'kubernetes-secret', isRetryable: true });
  };

  return {
    kind: 'kubernetes-secret',
    describe: () => label,

    async write(slot, value: SecretValue) {
      const dataKey = slotName(options.key, slot);
      const encoded = Buffer.from(value.reveal(), 'utf8').toString('base64');
      await update(`write ${dataKey}`, (data) => (data[dataKey] === encoded ? null : { ...data, [dataKey]: encoded }), true);
    },

    async readFingerprint(slot) {
      const value = valueIn(await load(), slot);
      return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value) };
    },

    async remove(slot) {
      const dataKey = slotName(options.key, slot);
      await update(
        `remove ${dataKey}`,
        (data) => {
          if (!(dataKey in data)) return null;
          const { [dataKey]: _removed, ...rest } = data;
          return rest;
        },
        false,
      );
    },

    async plan(changes) {
      const secret = await load();
      return planChanges(changes, {
        fingerprintSalt: context.fingerprintSalt,
        targetOf: (slot) => `${slotName(options.key, slot)} in secret ${options.namespace}/${options.secret}`,
        current: async (slot) => {
          const value = valueIn(secret, slot);
          return value === undefined ? { state: 'absent' } : { state: 'present', fingerprint: fingerprint(context.fingerprintSalt, value), hint: redactHint(value) };
        },
      });
    },
  };
}

createKubernetesSecretSink satisfies SinkFactory;
