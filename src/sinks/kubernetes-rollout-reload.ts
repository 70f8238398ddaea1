/**
 * Kubernetes rollout restart as a reload action: what `kubectl rollout restart` does,
 * patching each named Deployment's pod template annotation
 * `kubectl.kubernetes.io/restartedAt` so the Deployment rolls its pods, which then read
 * the new Secret. The key itself never goes to the API server here.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { ExecReload, ReloadRequest, ReloadResult } from './exec-reload.js';
import { connectKubernetes, kubernetesAccessSchema, kubernetesError, type KubernetesClients } from './kubernetes-client.js';

const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes name');

const rolloutReloadSchema = z
  .object({
    kind: z.literal('kubernetes-rollout'),
    namespace: dnsName,
    deployments: z.array(dnsName).min(1),
    ...kubernetesAccessSchema,
  })
  .strict();

export type KubernetesRolloutReloadConfig = z.input<typeof rolloutReloadSchema>;

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

export function createKubernetesRolloutReload(config: Record<string, unknown>, consumerName: string, now: () => Date = () => new Date()): ExecReload {
  const parsed = rolloutReloadSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`consumer ${consumerName}: kubernetes-rollout reload option "${issue?.path.join('.') || '(config)'}" ${issue?.message ?? 'is invalid'}`, {
      hint: 'kubernetes-rollout reload: { kind: "kubernetes-rollout", namespace, deployments: ["api"], kubeconfig?, context? }',
    });
  }
  const options = parsed.data;
  const label = `rollout restart ${options.namespace}/${options.deployments.join(',')}`;
  let clients: Promise<KubernetesClients> | undefined;

  return {
    describe: () => label,
    async run(_request: ReloadRequest): Promise<ReloadResult> {
      const started = Date.now();
      const { k8s, apps } = await (clients ??= connectKubernetes(options, 'kubernetes-rollout'));
      const restartedAt = now().toISOString();
      for (const name of options.deployments) {
        try {
          await apps.patchNamespacedDeployment(
            { name, namespace: options.namespace, body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } } },
            k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
          );
        } catch (error) {
          throw kubernetesError('kubernetes-rollout', label, `restart deployment ${name}`, error);
        }
      }
      return { exitCode: 0, durationMs: Date.now() - started };
    },
  };
}
