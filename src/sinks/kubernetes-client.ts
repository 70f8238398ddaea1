/**
 * The Kubernetes client for the Secret sink, the rollout-restart reload and discovery:
 * the official `@kubernetes/client-node`, imported only when one of them runs. Access
 * comes from a kubeconfig (the given file, else KUBECONFIG / ~/.kube/config / in-cluster),
 * optionally a named context. Errors become value-free SinkErrors: the client's own
 * ApiException message embeds the response body, so only its status code is kept.
 */
import { z } from 'zod';
import { SinkError } from '../core/errors.js';

export const kubernetesAccessSchema = {
  /** Path to a kubeconfig file; default: KUBECONFIG, ~/.kube/config, or in-cluster. */
  kubeconfig: z.string().min(1).optional(),
  /** Context name inside the kubeconfig; default its current context. */
  context: z.string().min(1).optional(),
};

export type KubernetesModule = typeof import('@kubernetes/client-node');

export interface KubernetesClients {
  k8s: KubernetesModule;
  core: import('@kubernetes/client-node').CoreV1Api;
  apps: import('@kubernetes/client-node').AppsV1Api;
}

export async function connectKubernetes(
  access: { kubeconfig?: string | undefined; context?: string | undefined },
  sink = 'kubernetes-secret',
): Promise<KubernetesClients> {
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  try {
    if (access.kubeconfig !== undefined) config.loadFromFile(access.kubeconfig);
    else config.loadFromDefault();
    if (access.context !== undefined) config.setCurrentContext(access.context);
  } catch {
    throw new SinkError(`could not load the kubeconfig${access.kubeconfig === undefined ? '' : ` ${access.kubeconfig}`}`, { sink, isRetryable: false });
  }
  return { k8s, core: config.makeApiClient(k8s.CoreV1Api), apps: config.makeApiClient(k8s.AppsV1Api) };
}

/** The HTTP status of a client error, or undefined for a connection problem. */
export function kubernetesStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function kubernetesError(sink: string, label: string, action: string, error: unknown): SinkError {
  if (error instanceof SinkError) return error;
  const status = kubernetesStatus(error);
  if (status === undefined) {
    // Connection trouble carries a system code (ECONNREFUSED); anything else is a client-side problem.
    const code = (error as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') return new SinkError(`${label}: could not ${action}: the API server could not be reached (${code})`, { sink, isRetryable: true, cause: { code } });
    return new SinkError(`${label}: could not ${action}: the Kubernetes client failed before an answer`, { sink, isRetryable: false });
  }
  const isRetryable = status === 409 || status === 429 || status >= 500;
  return new SinkError(`${label}: could not ${action}: the API server answered HTTP ${status}`, { sink, isRetryable, cause: { status } });
}
