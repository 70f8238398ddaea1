/**
 * `/v1/organization/projects/{id}/model_permissions` and `/spend_limit` (GET, POST, DELETE),
 * as in the official OpenAPI file (`ProjectModelPermissions`, `ProjectSpendLimitResource`).
 * What `rekey plan` reads and `rekey apply` writes. Chat and embeddings refuse a model the
 * project's permissions exclude (403 `model_not_allowed`, see openai-inference-routes).
 * UNCONFIRMED upstream: a GET before anything was set answers 404 (here: "none set").
 */
import { Hono, type Context } from 'hono';
import { BadRequest, readJsonObject } from './emulator-http.js';
import type { EmulatedProject } from './emulator-state.js';
import { openaiNotFound, type EmulatorDeps, type OpenAIEnv } from './openai-auth.js';

export function createOpenAIProjectSettingsRoutes(deps: EmulatorDeps): Hono<OpenAIEnv> {
  const { state } = deps;
  const app = new Hono<OpenAIEnv>();
  const actor = (context: Context<OpenAIEnv>) => context.get('key').id;
  const permissions = () => (state.data.modelPermissions ??= {});
  const limits = () => (state.data.spendLimits ??= {});
  const withProject = (context: Context<OpenAIEnv>, then: (project: EmulatedProject) => Response | Promise<Response>) => {
    const project = state.findProject(context.req.param('project_id') ?? '');
    return project === undefined ? openaiNotFound(context, 'project', context.req.param('project_id') ?? '') : then(project);
  };

  app.get('/:project_id/model_permissions', (context) => withProject(context, (project) => {
    const found = permissions()[project.id];
    if (found === undefined) return openaiNotFound(context, 'model permissions for project', project.id);
    return context.json({ object: 'project.model_permissions', mode: found.mode, model_ids: found.modelIds });
  }));

  app.post('/:project_id/model_permissions', (context) => withProject(context, async (project) => {
    const body = await readJsonObject(context);
    const mode = body['mode'];
    const modelIds = body['model_ids'];
    if (mode !== 'allow_list' && mode !== 'deny_list') throw new BadRequest("Invalid 'mode': expected 'allow_list' or 'deny_list'.", 'mode');
    if (!Array.isArray(modelIds) || modelIds.some((model) => typeof model !== 'string' || model === '') || modelIds.length > 1000) throw new BadRequest("Invalid 'model_ids': expected an array of model ids.", 'model_ids');
    permissions()[project.id] = { mode, modelIds: [...new Set(modelIds as string[])] };
    state.audit({ type: 'project.updated', projectId: project.id, actorKeyId: actor(context), details: { id: project.id, changes_requested: { model_permissions: { mode, model_ids: modelIds } } } });
    state.changed();
    return context.json({ object: 'project.model_permissions', mode, model_ids: permissions()[project.id]?.modelIds ?? [] });
  }));

  app.delete('/:project_id/model_permissions', (context) => withProject(context, (project) => {
    const existed = permissions()[project.id] !== undefined;
    delete permissions()[project.id];
    state.changed();
    return context.json({ object: 'project.model_permissions.deleted', deleted: existed });
  }));

  app.get('/:project_id/spend_limit', (context) => withProject(context, (project) => {
    const found = limits()[project.id];
    if (found === undefined) return openaiNotFound(context, 'spend limit for project', project.id);
    return context.json(spendLimitObject(found.thresholdAmount));
  }));

  app.post('/:project_id/spend_limit', (context) => withProject(context, async (project) => {
    const body = await readJsonObject(context);
    const amount = body['threshold_amount'];
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1) throw new BadRequest("Invalid 'threshold_amount': expected an integer of at least 1 (cents).", 'threshold_amount');
    if (body['currency'] !== 'USD') throw new BadRequest("Invalid 'currency': only 'USD' is supported.", 'currency');
    if (body['interval'] !== 'month') throw new BadRequest("Invalid 'interval': only 'month' is supported.", 'interval');
    limits()[project.id] = { thresholdAmount: amount };
    state.audit({ type: 'project.updated', projectId: project.id, actorKeyId: actor(context), details: { id: project.id, changes_requested: { spend_limit: { threshold_amount: amount } } } });
    state.changed();
    return context.json(spendLimitObject(amount));
  }));

  app.delete('/:project_id/spend_limit', (context) => withProject(context, (project) => {
    const existed = limits()[project.id] !== undefined;
    delete limits()[project.id];
    state.changed();
    return context.json({ object: 'project.spend_limit.deleted', deleted: existed });
  }));

  return app;
}

function spendLimitObject(thresholdAmount: number) {
  return { object: 'project.spend_limit', threshold_amount: thresholdAmount, currency: 'USD', interval: 'month', enforcement: { status: 'enforcing' } };
}

/** False when the project's model permissions exclude `model` (used by the inference routes). */
export function projectAllowsModel(data: { modelPermissions?: Record<string, { mode: 'allow_list' | 'deny_list'; modelIds: string[] }> | undefined }, projectId: string | null, model: string): boolean {
  const found = projectId === null ? undefined : data.modelPermissions?.[projectId];
  if (found === undefined) return true;
  return found.mode === 'allow_list' ? found.modelIds.includes(model) : !found.modelIds.includes(model);
}
