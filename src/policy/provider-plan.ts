/**
 * The provider half of `rekey plan`, for OpenAI: each declared project's model
 * permissions, hard spend limit and per-model rate limits against what the Admin API
 * reports, and drift apply will not touch — a declared project that does not exist, a
 * project the file does not declare, an active key in a declared project that no
 * credential holds (matched by provider key id, else by prefix and last four characters).
 */
import type { Store } from '../store/store.js';
import type { ModelPermissions, OpenAIProjectSettingsClient, RateLimitChange } from '../providers/openai/openai-project-settings.js';
import type { PlanChange, PlanDrift } from './plan-model.js';
import type { RekeyFile } from './policy-schema.js';

const sameModels = (left: ModelPermissions | null, right: ModelPermissions) =>
  left !== null && left.mode === right.mode && [...left.models].sort().join('\n') === [...right.models].sort().join('\n');

const RATE_FIELDS: Array<[keyof RateLimitChange, string]> = [
  ['maxRequestsPerMinute', 'max_requests_per_1_minute'],
  ['maxTokensPerMinute', 'max_tokens_per_1_minute'],
  ['maxRequestsPerDay', 'max_requests_per_1_day'],
];

export async function planOpenAIProjects(
  deps: { client: OpenAIProjectSettingsClient; store: Pick<Store, 'listCredentials' | 'listVersions'> },
  file: RekeyFile,
): Promise<{ changes: PlanChange[]; drift: PlanDrift[] }> {
  const { client } = deps;
  const changes: PlanChange[] = [];
  const drift: PlanDrift[] = [];
  const declared = file.providers?.openai?.projects ?? {};
  const known = await knownKeys(deps.store, file);
  for (const [projectId, project] of Object.entries(declared).sort(([left], [right]) => left.localeCompare(right))) {
    const found = await client.getProject(projectId);
    if (found === undefined) {
      drift.push({ kind: 'missing-project', subject: projectId, message: `OpenAI project ${projectId} (${project.name}) does not exist at the provider` });
      continue;
    }
    if (project.modelPermissions !== undefined) {
      const want: ModelPermissions = { mode: project.modelPermissions.mode, models: project.modelPermissions.models };
      const have = await client.getModelPermissions(projectId);
      if (!sameModels(have, want)) changes.push({ kind: 'openai-model-permissions', subject: projectId, projectId, from: have, to: want });
    }
    if (project.spendLimit !== undefined) {
      const have = await client.getSpendLimit(projectId);
      if (have?.thresholdAmount !== project.spendLimit.thresholdAmount) changes.push({ kind: 'openai-spend-limit', subject: projectId, projectId, from: have?.thresholdAmount ?? null, to: project.spendLimit.thresholdAmount });
    }
    const wanted = Object.entries(project.rateLimits);
    if (wanted.length > 0) {
      const limits = await client.listRateLimits(projectId);
      for (const [model, limit] of wanted) {
        const have = limits.find((candidate) => candidate.model === model);
        if (have === undefined) {
          drift.push({ kind: 'missing-rate-limit', subject: `${projectId} ${model}`, message: `OpenAI project ${projectId} has no rate limit entry for model ${model}` });
          continue;
        }
        const from: RateLimitChange = {};
        const to: RateLimitChange = {};
        for (const [field, wire] of RATE_FIELDS) {
          const target = limit[field];
          const current = (have as Record<string, unknown>)[wire];
          if (target !== undefined && current !== target) {
            from[field] = typeof current === 'number' ? current : undefined;
            to[field] = target;
          }
        }
        if (Object.keys(to).length > 0) changes.push({ kind: 'openai-rate-limit', subject: `${projectId} ${model}`, projectId, rateLimitId: have.id, model, from, to });
      }
    }
    for (const key of await client.listProjectApiKeys(projectId)) {
      const tail = (key.redacted_value ?? '').slice(-4);
      const held = known.ids.has(key.id) || (tail.length === 4 && (known.tailsByProject.get(projectId)?.has(tail) ?? false));
      if (!held) drift.push({ kind: 'unmanaged-key', subject: `${projectId} ${key.id}`, message: `OpenAI project ${projectId} has key ${key.id} (${key.redacted_value ?? 'no hint'}) that no credential holds` });
    }
  }
  for (const project of await client.listProjects()) {
    const ignored = file.providers?.openai?.ignoreProjects ?? [];
    if (declared[project.id] === undefined && project.status !== 'archived' && !ignored.includes(project.id) && !ignored.includes(project.name)) {
      drift.push({ kind: 'unmanaged-project', subject: project.id, message: `OpenAI project ${project.id} (${project.name}) is not declared in the file` });
    }
  }
  return { changes, drift };
}

/** Provider key ids and hint tails of every live version, per project scope. */
async function knownKeys(store: Pick<Store, 'listCredentials' | 'listVersions'>, file: RekeyFile): Promise<{ ids: Set<string>; tailsByProject: Map<string, Set<string>> }> {
  const ids = new Set<string>();
  const tailsByProject = new Map<string, Set<string>>();
  for (const credential of await store.listCredentials({ provider: 'openai' })) {
    const project = credential.scope['project'] ?? file.credentials[credential.name]?.scope['project'];
    for (const version of await store.listVersions(credential.id)) {
      if (!['pending', 'current', 'previous'].includes(version.stage)) continue;
      if (version.providerKeyId !== null) ids.add(version.providerKeyId);
      if (project !== undefined) {
        const tails = tailsByProject.get(project) ?? new Set<string>();
        tails.add(version.hint.slice(-4));
        tailsByProject.set(project, tails);
      }
    }
  }
  return { ids, tailsByProject };
}
