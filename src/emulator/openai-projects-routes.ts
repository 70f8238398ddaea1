/** `/v1/organization/projects/...`: projects, service accounts and their keys, project API keys, rate limits. */
import { Hono, type Context } from 'hono';
import { OPENAI_MODELS } from './emulator-catalog.js';
import { BadRequest, optionalString, readJsonObject, requiredString } from './emulator-http.js';
import type { EmulatedProject, EmulatedRateLimit, EmulatedServiceAccount } from './emulator-state.js';
import { openaiError, openaiNotFound, type EmulatorDeps, type OpenAIEnv } from './openai-auth.js';
import {
  createProject,
  createServiceAccount,
  listEnvelope,
  mintServiceAccountKey,
  projectApiKeyObject,
  projectObject,
  revokeKey,
  seconds,
  serviceAccountObject,
} from './openai-objects.js';

const RATE_LIMIT_FIELDS = [
  'max_requests_per_1_minute',
  'max_tokens_per_1_minute',
  'max_images_per_1_minute',
  'max_audio_megabytes_per_1_minute',
  'max_requests_per_1_day',
  'batch_1_day_max_input_tokens',
] as const;

function archivedError(context: Context, project: EmulatedProject) {
  return openaiError(context, 400, `Project ${project.id} is archived and cannot be modified.`, 'invalid_request_error', 'project_archived');
}

export function createOpenAIProjectsRoutes(deps: EmulatorDeps): Hono<OpenAIEnv> {
  const { state } = deps;
  const app = new Hono<OpenAIEnv>();
  const actor = (context: Context<OpenAIEnv>) => context.get('key').id;

  const findProject = (context: Context<OpenAIEnv>) => state.findProject(context.req.param('project_id') ?? '');
  const liveAccounts = (project: EmulatedProject) => state.data.serviceAccounts.filter((account) => account.projectId === project.id && account.deletedAt === null);
  const findAccount = (project: EmulatedProject, id: string | undefined): EmulatedServiceAccount | undefined =>
    liveAccounts(project).find((account) => account.id === id);
  const projectKeys = (project: EmulatedProject) =>
    state.data.keys.filter((key) => key.provider === 'openai' && key.projectId === project.id && key.status === 'active');

  app.get('/', (context) => {
    const includeArchived = context.req.query('include_archived') === 'true';
    const projects = state.data.projects.filter((project) => includeArchived || project.archivedAt === null);
    return context.json(listEnvelope(context, projects, (project) => project.id, projectObject));
  });

  app.post('/', async (context) => {
    const body = await readJsonObject(context);
    const project = createProject(state, requiredString(body, 'name'), actor(context));
    project.externalKeyId = optionalString(body, 'external_key_id') ?? null;
    return context.json(projectObject(project));
  });

  app.get('/:project_id', (context) => {
    const project = findProject(context);
    return project === undefined ? openaiNotFound(context, 'project', context.req.param('project_id')) : context.json(projectObject(project));
  });

  app.post('/:project_id', async (context) => {
    const project = findProject(context);
    if (project === undefined) return openaiNotFound(context, 'project', context.req.param('project_id'));
    if (project.archivedAt !== null) return archivedError(context, project);
    const body = await readJsonObject(context);
    const name = optionalString(body, 'name');
    if (name !== undefined) project.name = name;
    if ('external_key_id' in body) project.externalKeyId = optionalString(body, 'external_key_id') ?? null;
    state.audit({ type: 'project.updated', projectId: project.id, actorKeyId: actor(context), details: { id: project.id, changes_requested: { title: project.name } } });
    return context.json(projectObject(project));
  });

  app.post('/:project_id/archive', (context) => {
    const project = findProject(context);
    if (project === undefined) return openaiNotFound(context, 'project', context.req.param('project_id'));
    if (project.archivedAt === null) {
      project.archivedAt = state.nowMs();
      state.audit({ type: 'project.archived', projectId: project.id, actorKeyId: actor(context), details: { id: project.id } });
    }
    return context.json(projectObject(project));
  });

  // Service accounts.
  app.get('/:project_id/service_accounts', (context) => {
    const project = findProject(context);
    if (project === undefined) return openaiNotFound(context, 'project', context.req.param('project_id'));
    return context.json(listEnvelope(context, liveAccounts(project), (account) => account.id, serviceAccountObject));
  });

  app.post('/:project_id/service_accounts', async (context) => {
    const project = findProject(context);
    if (project === undefined) return openaiNotFound(context, 'project', context.req.param('project_id'));
    if (project.archivedAt !== null) return archivedError(context, project);
    const body = await readJsonObject(context);
    const name = requiredString(body, 'name');
    const withKey = body['create_service_account_only'] !== true;
    const { account, minted } = createServiceAccount(state, project, name, withKey, actor(context));
    const apiKey =
      minted === undefined
        ? null
        : { object: 'organization.project.service_account.api_key', value: minted.value.reveal(), name: minted.key.name ?? '', created_at: seconds(minted.key.createdAt), id: minted.key.id };
    return context.json({ ...serviceAccountObject(account), role: account.role === 'none' ? 'none' : 'member', api_key: apiKey });
  });

  app.get('/:project_id/service_accounts/:account_id', (context) => {
    const project = findProject(context);
    if (project === undefined) return openaiNotFound(context, 'project', context.req.param('project_id'));
    const account = findAccount(project, context.req.param('account_id'));
    return account === undefined ? openaiNotFound(context, 'service account', context.req.param('account_id')) : context.json(serviceAccountObject(account));
  });

  app.post('/:project_id/service_accounts/:account_id', async (context) => {
    const project = findProject(context);
    if (project === undefined) return openaiNotFound(context, 'project', context.req.param('project_id'));
    if (project.archivedAt !== null) return archivedError(context, project);
    const account = findAccount(project, context.req.param('account_id'));
    if (account === undefined) return openaiNotFound(context, 'service account', context.req.param('account_id'));
    const body = await readJsonObject(context);
    const name = optionalString(body, 'name');
    const role = optionalString(body, 'role');
    if (role !== undefined && role !== 'owner' && role !== 'member') throw new BadRequest("Invalid 'role': expected 'owner' or 'member'.", 'role');
    if (name !== undefined) account.name = name;
    if (role !== undefined) account.role = role;
    state.audit({ type: 'service_account.updated', projectId: project.id, actorKeyId: actor(context), details: { id: account.id, changes_requested: { role: account.role } } });
    return context.json(serviceAccountObject(account));
  });

  app.delete('/:project_id/service_accounts/:account_id', (context) => {
    const project = findProject(context);
    if (project === undefined) return openaiNotFound(context, 'project', context.req.param('project_id'));
    if (project.archivedAt !== null) return archivedError(context, project);
    const account = findAccount(project, context.req.param('account_id'));
    if (account === undefined) return openaiNotFound(context, 'service account', context.req.param('account_id'));
    account.deletedAt = state.nowMs();
    for (const key of projectKeys(project).filter((candidate) => candidate.serviceAccountId === account.id)) revokeKey(state, key, actor(context));
    state.audit({ type: 'service_account.deleted', projectId: project.id, actorKeyId: actor(context), details: { id: account.id } });
    return context.json({ object: 'organization.project.service_account.deleted', id: account.id, deleted: true });
  });

  app.post('/:project_id/service_accounts/:account_id/api_keys', async (context) => {
    const project = findProject(context);
    if (project === undefined) return openaiNotFound(context, 'project', context.req.param('project_id'));
    if (project.archivedAt !== null) return archivedError(context, project);
    const account = findAccount(project, context.req.param('account_id'));
    if (account === undefined) return openaiNotFound(context, 'service account', context.req.param('account_id'));
    const body = await readJsonObject(context);
    const scopes = body['scopes'];
    if (scopes !== undefined && !(Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string'))) {
      throw new BadRequest("Invalid 'scopes': expected an array of strings.", 'scopes');
    }
    const minted = mintServiceAccountKey(state, account, optionalString(body, 'name') ?? 'Secret Key', actor(context));
    minted.key.scopes = (scopes as string[] | undefined) ?? [];
    if (account.role === 'none') account.role = 'member';
    return context.json({ object: 'organization.project.service_account.api_key', value: minted.value.reveal(), name: minted.key.name ?? '', created_at: seconds(minted.key.createdAt), id: minted.key.id });
  });

  // Project API keys (no create: minting goes through service accounts).
  app.get('/:project_id/api_keys', (context) => {
    const project = findProject(context);
    if (project === undefined) return openaiNotFound(context, 'project', context.req.param('project_id'));
    return context.json(listEnvelope(context, projectKeys(project), (key) => key.id, (key) => projectApiKeyObject(state, key)));
  });

  app.get('/:project_id/api_keys/:key_id', (context) => {
    const project = findProject(context);
    if (project === undefined) return openaiNotFound(context, 'project', context.req.param('project_id'));
    const key = projectKeys(project).find((candidate) => candidate.id === context.req.param('key_id'));
    return key === undefined ? openaiNotFound(context, 'API key', context.req.param('key_id')) : context.json(projectApiKeyObject(state, key));
  });

  app.delete('/:project_id/api_keys/:key_id', (context) => {
    const project = findProject(context);
    if (project === undefined) return openaiNotFound(context, 'project', context.req.param('project_id'));
    const key = projectKeys(project).find((candidate) => candidate.id === context.req.param('key_id'));
    if (key === undefined) return openaiNotFound(context, 'API key', context.req.param('key_id'));
    if (key.serviceAccountId !== null) {
      return openaiError(context, 400, 'API keys owned by a service account cannot be deleted directly. Delete the service account instead.', 'invalid_request_error', null, 'api_key_id');
    }
    revokeKey(state, key, actor(context));
    return context.json({ object: 'organization.project.api_key.deleted', id: key.id, deleted: true });
  });

  // Rate limits: one per model, materialised on first access.
  const rateLimits = (project: EmulatedProject): EmulatedRateLimit[] => {
    if (!state.data.rateLimits.some((limit) => limit.projectId === project.id)) {
      for (const model of OPENAI_MODELS) {
        const limits: Record<string, number> = { max_requests_per_1_minute: model.requestsPerMinute, max_tokens_per_1_minute: model.tokensPerMinute };
        if (model.kind === 'chat') limits['batch_1_day_max_input_tokens'] = model.tokensPerMinute * 10;
        state.data.rateLimits.push({ id: `rl-${model.id}`, projectId: project.id, model: model.id, limits });
      }
    }
    return state.data.rateLimits.filter((limit) => limit.projectId === project.id);
  };
  const rateLimitObject = (limit: EmulatedRateLimit) => ({ object: 'project.rate_limit', id: limit.id, model: limit.model, ...limit.limits });

  app.get('/:project_id/rate_limits', (context) => {
    const project = findProject(context);
    if (project === undefined) return openaiNotFound(context, 'project', context.req.param('project_id'));
    return context.json(listEnvelope(context, rateLimits(project), (limit) => limit.id, rateLimitObject, 100));
  });

  app.post('/:project_id/rate_limits/:rate_limit_id', async (context) => {
    const project = findProject(context);
    if (project === undefined) return openaiNotFound(context, 'project', context.req.param('project_id'));
    if (project.archivedAt !== null) return archivedError(context, project);
    const limit = rateLimits(project).find((candidate) => candidate.id === context.req.param('rate_limit_id'));
    if (limit === undefined) return openaiNotFound(context, 'rate limit', context.req.param('rate_limit_id'));
    const body = await readJsonObject(context);
    const changes: Record<string, number> = {};
    for (const field of RATE_LIMIT_FIELDS) {
      const value = body[field];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new BadRequest(`Invalid '${field}': expected a non-negative integer.`, field);
      changes[field] = value;
    }
    Object.assign(limit.limits, changes);
    state.audit({ type: 'rate_limit.updated', projectId: project.id, actorKeyId: actor(context), details: { id: limit.id, changes_requested: changes } });
    return context.json(rateLimitObject(limit));
  });

  return app;
}
