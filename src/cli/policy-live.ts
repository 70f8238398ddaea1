/** `rekey check --live`: facts from the store (key ages, fingerprints) and, when an admin key is set, OpenAI's model permissions. */
import { loadPolicyFile } from '../policy/policy-loader.js';
import type { LiveState } from '../policy/policy-model.js';
import { readStoreLiveState } from '../policy/policy-check.js';
import { withCliContext } from './cli-context.js';

export async function readLiveState(path: string): Promise<LiveState> {
  const loaded = loadPolicyFile(path);
  const live = await withCliContext(({ store }) => readStoreLiveState(store, Object.keys(loaded.file.credentials)));
  const projects = Object.keys(loaded.file.providers?.openai?.projects ?? {});
  if (projects.length > 0 && (process.env.OPENAI_ADMIN_KEY ?? '') !== '') {
    const { createOpenAIProjectSettingsClient } = await import('../providers/openai/openai-project-settings.js');
    const client = createOpenAIProjectSettingsClient({});
    live.openaiModelPermissions = new Map();
    for (const projectId of projects) live.openaiModelPermissions.set(projectId, await client.getModelPermissions(projectId));
  }
  return live;
}
