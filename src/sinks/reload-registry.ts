/**
 * Every reload action kind, loaded lazily and dispatched through an exhaustive record (a
 * new kind fails to compile until it is registered). A consumer's `reload` config may
 * carry `app`, the name reloads are grouped by (see reload-plan.ts), and `healthCheck` (declared
 * in rekey.yaml); neither is passed on.
 */
import { ConfigError } from '../core/errors.js';
import type { ExecReload } from './exec-reload.js';

export const RELOAD_ACTION_KINDS = ['exec', 'kubernetes-rollout', 'webhook', 'vercel-redeploy', 'netlify-build', 'fly-restart'] as const;
export type ReloadActionKind = (typeof RELOAD_ACTION_KINDS)[number];

type ReloadFactory = (config: Record<string, unknown>, consumerName: string, environment: Readonly<Record<string, string | undefined>>) => ExecReload;

export const reloadRegistry: Record<ReloadActionKind, () => Promise<ReloadFactory>> = {
  exec: async () => {
    const { createExecReload } = await import('./exec-reload.js');
    return (config, consumerName) => createExecReload(config, consumerName);
  },
  'kubernetes-rollout': async () => {
    const { createKubernetesRolloutReload } = await import('./kubernetes-rollout-reload.js');
    return (config, consumerName) => createKubernetesRolloutReload(config, consumerName);
  },
  webhook: async () => {
    const { createWebhookReload } = await import('./webhook-reload.js');
    return (config, consumerName, environment) => createWebhookReload(config, consumerName, environment);
  },
  'vercel-redeploy': async () => (await import('./vercel-env-sink.js')).createVercelRedeployReload,
  'netlify-build': async () => (await import('./netlify-env-sink.js')).createNetlifyBuildReload,
  'fly-restart': async () => (await import('./fly-secrets-sink.js')).createFlyRestartReload,
};

/** The reload action for a consumer's `reload` config (without its `app` grouping field). */
export async function createReloadAction(
  consumerName: string,
  reload: Record<string, unknown>,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ExecReload> {
  const { app: _app, healthCheck: _healthCheck, ...config } = reload;
  const kind = config['kind'];
  if (typeof kind !== 'string' || !(RELOAD_ACTION_KINDS as readonly string[]).includes(kind)) {
    throw new ConfigError(`consumer ${consumerName}: unknown reload kind "${String(kind).slice(0, 40)}"`, { hint: `known kinds: ${RELOAD_ACTION_KINDS.join(', ')}` });
  }
  const factory = await reloadRegistry[kind as ReloadActionKind]();
  return factory(config, consumerName, environment);
}
