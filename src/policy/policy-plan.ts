/** `rekey plan` as a service: desired state from the file, then the store and (optionally) the provider. */
import type { Store } from '../store/store.js';
import type { OpenAIProjectSettingsClient } from '../providers/openai/openai-project-settings.js';
import { desiredState } from './desired-state.js';
import type { LoadedPolicyFile } from './policy-loader.js';
import type { Plan } from './plan-model.js';
import { planOpenAIProjects } from './provider-plan.js';
import { planStore } from './store-plan.js';

export async function computePlan(
  deps: { store: Store; openai?: OpenAIProjectSettingsClient | undefined },
  loaded: Pick<LoadedPolicyFile, 'file' | 'baseDirectory'>,
  options: { prune?: boolean } = {},
): Promise<Plan> {
  const desired = desiredState(loaded);
  const fromStore = await planStore(deps.store, desired, { prune: options.prune === true });
  if (deps.openai === undefined) return { ...fromStore, providerChecked: false };
  const fromProvider = await planOpenAIProjects({ client: deps.openai, store: deps.store }, loaded.file);
  return { changes: [...fromStore.changes, ...fromProvider.changes], drift: [...fromStore.drift, ...fromProvider.drift], providerChecked: true };
}
