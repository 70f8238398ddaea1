/**
 * The OpenAI Admin API project settings `rekey plan` reads and `rekey apply` writes: model
 * permissions, the project hard spend limit and per-model rate limits, plus the project
 * and key listings that reveal objects the file does not know. Shapes follow the official
 * OpenAPI file (`ProjectModelPermissions`, `ProjectSpendLimitResource`, `ProjectRateLimit`).
 * A 404 on model permissions or the spend limit means "none set".
 */
import { z } from 'zod';
import type { SecretValue } from '../../core/secret-value.js';
import { bearerHeader } from '../http/provider-http.js';
import { parseResponse } from '../http/provider-response.js';
import { resolveOpenAIParts, type OpenAIProviderOptions } from './openai-provider.js';
import { listEnvelope } from './openai-schemas.js';

const modelPermissionsSchema = z.object({ object: z.literal('project.model_permissions'), mode: z.enum(['allow_list', 'deny_list']), model_ids: z.array(z.string()) });
const spendLimitSchema = z.object({ object: z.literal('project.spend_limit'), threshold_amount: z.number().int(), currency: z.string(), interval: z.string(), enforcement: z.object({ status: z.string() }).loose() });
const rateLimitSchema = z.object({
  object: z.literal('project.rate_limit'),
  id: z.string(),
  model: z.string(),
  max_requests_per_1_minute: z.number().int(),
  max_tokens_per_1_minute: z.number().int(),
  max_requests_per_1_day: z.number().int().optional(),
}).loose();
const projectSchema = z.object({ id: z.string(), object: z.literal('organization.project'), name: z.string(), status: z.string().optional() }).loose();

export type OpenAIRateLimit = z.infer<typeof rateLimitSchema>;
export interface ModelPermissions { mode: 'allow_list' | 'deny_list'; models: string[] }
export interface RateLimitChange { maxRequestsPerMinute?: number | undefined; maxTokensPerMinute?: number | undefined; maxRequestsPerDay?: number | undefined }

const MAX_PAGES = 50;

export function createOpenAIProjectSettingsClient(options: OpenAIProviderOptions) {
  const { http, baseUrl, adminKey, admin } = resolveOpenAIParts(options);
  const projectPath = (projectId: string) => `${baseUrl}/organization/projects/${encodeURIComponent(projectId)}`;
  const context = (operation: string) => ({ provider: 'openai', operation });
  const call = (operation: string, method: 'GET' | 'POST' | 'DELETE', url: string, extra: { body?: unknown; query?: Record<string, string | number | undefined>; acceptStatuses?: number[] } = {}) => {
    const headers: Record<string, string | SecretValue> = { authorization: bearerHeader(adminKey) };
    if (options.organization) headers['openai-organization'] = options.organization;
    return http.request({ operation, method, url, headers, ...extra });
  };

  return {
    /** Undefined when the project does not exist. */
    async getProject(projectId: string) {
      const response = await call('get project', 'GET', projectPath(projectId), { acceptStatuses: [404] });
      return response.status === 404 ? undefined : parseResponse(projectSchema, response.body, context('get project'));
    },

    async listProjects() {
      const projects: Array<z.infer<typeof projectSchema>> = [];
      let after: string | undefined;
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const response = await call('list projects', 'GET', `${baseUrl}/organization/projects`, { query: { limit: 100, after } });
        const parsed = parseResponse(listEnvelope(projectSchema), response.body, context('list projects'));
        projects.push(...parsed.data);
        const last = parsed.data.at(-1)?.id;
        if (!parsed.has_more || last === undefined || last === after) break;
        after = last;
      }
      return projects;
    },

    listProjectApiKeys: (projectId: string) => admin.listProjectApiKeys(projectId),

    async getModelPermissions(projectId: string): Promise<ModelPermissions | null> {
      const response = await call('get model permissions', 'GET', `${projectPath(projectId)}/model_permissions`, { acceptStatuses: [404] });
      if (response.status === 404) return null;
      const parsed = parseResponse(modelPermissionsSchema, response.body, context('get model permissions'));
      return { mode: parsed.mode, models: parsed.model_ids };
    },

    async setModelPermissions(projectId: string, permissions: ModelPermissions): Promise<void> {
      const response = await call('set model permissions', 'POST', `${projectPath(projectId)}/model_permissions`, { body: { mode: permissions.mode, model_ids: permissions.models } });
      parseResponse(modelPermissionsSchema, response.body, context('set model permissions'));
    },

    async deleteModelPermissions(projectId: string): Promise<void> {
      await call('delete model permissions', 'DELETE', `${projectPath(projectId)}/model_permissions`, { acceptStatuses: [404] });
    },

    async getSpendLimit(projectId: string): Promise<{ thresholdAmount: number } | null> {
      const response = await call('get spend limit', 'GET', `${projectPath(projectId)}/spend_limit`, { acceptStatuses: [404] });
      if (response.status === 404) return null;
      return { thresholdAmount: parseResponse(spendLimitSchema, response.body, context('get spend limit')).threshold_amount };
    },

    async setSpendLimit(projectId: string, thresholdAmount: number): Promise<void> {
      const response = await call('set spend limit', 'POST', `${projectPath(projectId)}/spend_limit`, { body: { threshold_amount: thresholdAmount, currency: 'USD', interval: 'month' } });
      parseResponse(spendLimitSchema, response.body, context('set spend limit'));
    },

    async deleteSpendLimit(projectId: string): Promise<void> {
      await call('delete spend limit', 'DELETE', `${projectPath(projectId)}/spend_limit`, { acceptStatuses: [404] });
    },

    async listRateLimits(projectId: string): Promise<OpenAIRateLimit[]> {
      const limits: OpenAIRateLimit[] = [];
      let after: string | undefined;
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const response = await call('list rate limits', 'GET', `${projectPath(projectId)}/rate_limits`, { query: { limit: 100, after } });
        const parsed = parseResponse(listEnvelope(rateLimitSchema), response.body, context('list rate limits'));
        limits.push(...parsed.data);
        const last = parsed.data.at(-1)?.id;
        if (!parsed.has_more || last === undefined || last === after) break;
        after = last;
      }
      return limits;
    },

    async setRateLimit(projectId: string, rateLimitId: string, change: RateLimitChange): Promise<void> {
      const body: Record<string, number> = {};
      if (change.maxRequestsPerMinute !== undefined) body['max_requests_per_1_minute'] = change.maxRequestsPerMinute;
      if (change.maxTokensPerMinute !== undefined) body['max_tokens_per_1_minute'] = change.maxTokensPerMinute;
      if (change.maxRequestsPerDay !== undefined) body['max_requests_per_1_day'] = change.maxRequestsPerDay;
      const response = await call('set rate limit', 'POST', `${projectPath(projectId)}/rate_limits/${encodeURIComponent(rateLimitId)}`, { body });
      parseResponse(rateLimitSchema, response.body, context('set rate limit'));
    },
  };
}

export type OpenAIProjectSettingsClient = ReturnType<typeof createOpenAIProjectSettingsClient>;

