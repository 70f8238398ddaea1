/** Kubernetes: list Secrets (all namespaces, or the given ones) and check every data key. */
import { connectKubernetes } from '../sinks/kubernetes-client.js';
import { proposalName, type DiscoveryFinding, type DiscoverySource } from './discovery-spec.js';

export interface KubernetesDiscoveryOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  /** Default: every namespace the credentials can list. */
  namespaces?: string[] | undefined;
}

type V1Secret = import('@kubernetes/client-node').V1Secret;

export function createKubernetesDiscoverySource(options: KubernetesDiscoveryOptions): DiscoverySource {
  return {
    name: 'kubernetes',
    async discover(target) {
      const { core } = await connectKubernetes(options);
      const secrets: V1Secret[] = [];
      if (options.namespaces === undefined || options.namespaces.length === 0) secrets.push(...(await core.listSecretForAllNamespaces()).items);
      else for (const namespace of options.namespaces) secrets.push(...(await core.listNamespacedSecret({ namespace })).items);
      const findings: DiscoveryFinding[] = [];
      for (const secret of secrets) {
        const namespace = secret.metadata?.namespace ?? 'default';
        const name = secret.metadata?.name ?? '';
        for (const [key, encoded] of Object.entries(secret.data ?? {})) {
          if (/_V\d+$/.test(key) || !target.matches(Buffer.from(encoded, 'base64').toString('utf8'))) continue;
          findings.push({
            source: 'kubernetes',
            status: 'match',
            location: `kubernetes secret ${namespace}/${name} (key ${key})`,
            proposal: {
              name: proposalName('k8s', namespace, name),
              kind: 'kubernetes-secret',
              config: { namespace, secret: name, key, ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }), ...(options.context === undefined ? {} : { context: options.context }) },
            },
            notes: [],
          });
        }
      }
      return findings;
    },
  };
}
