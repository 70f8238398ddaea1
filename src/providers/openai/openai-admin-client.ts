/**
 * The OpenAI Admin API calls the adapter makes, on top of the shared HTTP helper. The
 * admin key goes only into the Authorization header. Lists are followed page by page with
 * a hard cap, so a misbehaving provider cannot keep us looping.
 */
import type { SecretValue } from '../../core/secret-value.js';
import { bearerHeader } from '../http/provider-http.js';
import type { ProviderHttp, ProviderHttpRequest } from '../http/provider-http.js';
import { parseResponse } from '../http/provider-response.js';
import {
  adminApiKeyCreateSchema,
  adminApiKeySchema,
  listEnvelope,
  projectApiKeySchema,
  serviceAccountCreateSchema,
  serviceAccountSchema,
  usagePageSchema,
} from './openai-schemas.js';
import type { ProjectApiKey } from './openai-schemas.js';
import type { z } from 'zod';

const MAX_PAGES = 50;

export interface OpenAIAdminClientOptions {
  http: ProviderHttp;
  baseUrl: string;
  adminKey: SecretValue;
  organization?: string | undefined;
}

type Call = Omit<ProviderHttpRequest, 'url' | 'headers'> & { path: string; key?: SecretValue };

export function createOpenAIAdminClient(options: OpenAIAdminClientOptions) {
  const { http, baseUrl } = options;
  const context = (operation: string) => ({ provider: http.provider, operation });

  function call(request: Call) {
    const { path, key, ...rest } = request;
    const headers: Record<string, string | SecretValue> = { authorization: bearerHeader(key ?? options.adminKey) };
    if (options.organization) headers['openai-organization'] = options.organization;
    return http.request({ ...rest, url: `${baseUrl}${path}`, headers });
  }

  async function listAll<Item extends z.ZodType>(operation: string, path: string, item: Item, signal: AbortSignal | undefined, key?: SecretValue) {
    const items: Array<z.infer<Item>> = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const response = await call({ operation, method: 'GET', path, query: { limit: 100, after }, signal, ...(key ? { key } : {}) });
      const parsed = parseResponse(listEnvelope(item), response.body, context(operation));
      items.push(...parsed.data);
      const last = parsed.last_id ?? lastId(parsed.data);
      if (!parsed.has_more || !last || last === after) break;
      after = last;
    }
    return items;
  }

  const projectPath = (projectId: string) => `/organization/projects/${encodeURIComponent(projectId)}`;

  return {
    async createServiceAccount(projectId: string, name: string, signal?: AbortSignal) {
      const operation = 'create service account';
      const response = await call({ operation, method: 'POST', path: `${projectPath(projectId)}/service_accounts`, body: { name }, signal });
      return parseResponse(serviceAccountCreateSchema, response.body, context(operation));
    },

    listServiceAccounts(projectId: string, signal?: AbortSignal) {
      return listAll('list service accounts', `${projectPath(projectId)}/service_accounts`, serviceAccountSchema, signal);
    },

    /** `false` when it was already gone. */
    async deleteServiceAccount(projectId: string, serviceAccountId: string, signal?: AbortSignal): Promise<boolean> {
      const response = await call({
        operation: 'delete service account',
        method: 'DELETE',
        path: `${projectPath(projectId)}/service_accounts/${encodeURIComponent(serviceAccountId)}`,
        acceptStatuses: [404],
        signal,
      });
      return response.status !== 404;
    },

    listProjectApiKeys(projectId: string, signal?: AbortSignal): Promise<ProjectApiKey[]> {
      return listAll('list project API keys', `${projectPath(projectId)}/api_keys`, projectApiKeySchema, signal);
    },

    async getProjectApiKey(projectId: string, keyId: string, signal?: AbortSignal): Promise<ProjectApiKey | undefined> {
      const operation = 'get project API key';
      const response = await call({ operation, method: 'GET', path: `${projectPath(projectId)}/api_keys/${encodeURIComponent(keyId)}`, acceptStatuses: [404], signal });
      if (response.status === 404) return undefined;
      return parseResponse(projectApiKeySchema, response.body, context(operation));
    },

    /** `false` when it was already gone. Only for user-owned keys: the API refuses service-account keys. */
    async deleteProjectApiKey(projectId: string, keyId: string, signal?: AbortSignal): Promise<boolean> {
      const response = await call({
        operation: 'delete project API key',
        method: 'DELETE',
        path: `${projectPath(projectId)}/api_keys/${encodeURIComponent(keyId)}`,
        acceptStatuses: [404],
        signal,
      });
      return response.status !== 404;
    },

    /** Sums `num_model_requests` for one key over [start, end), following pages. */
    async completionRequests(request: { projectId: string; keyId: string; startSeconds: number; endSeconds: number; bucketWidth: '1m' | '1h' | '1d'; signal?: AbortSignal | undefined }) {
      const operation = 'read completions usage';
      const bucketSeconds = { '1m': 60, '1h': 3600, '1d': 86_400 }[request.bucketWidth];
      const maxLimit = { '1m': 1440, '1h': 168, '1d': 31 }[request.bucketWidth];
      const limit = Math.max(1, Math.min(maxLimit, Math.ceil((request.endSeconds - request.startSeconds) / bucketSeconds)));
      let total = 0;
      let page: string | undefined;
      for (let count = 0; count < MAX_PAGES; count += 1) {
        const response = await call({
          operation,
          method: 'GET',
          path: '/organization/usage/completions',
          query: {
            start_time: request.startSeconds,
            end_time: request.endSeconds,
            bucket_width: request.bucketWidth,
            group_by: ['api_key_id'],
            api_key_ids: [request.keyId],
            project_ids: [request.projectId],
            limit,
            page,
          },
          signal: request.signal,
        });
        const parsed = parseResponse(usagePageSchema, response.body, context(operation));
        for (const bucket of parsed.data) {
          for (const result of bucket.results) {
            if (result.api_key_id === request.keyId) total += result.num_model_requests ?? 0;
          }
        }
        if (!parsed.has_more || !parsed.next_page) break;
        page = parsed.next_page;
      }
      return total;
    },

    listAdminKeys(signal?: AbortSignal, key?: SecretValue) {
      return listAll('list admin API keys', '/organization/admin_api_keys', adminApiKeySchema, signal, key);
    },

    async createAdminKey(name: string, signal?: AbortSignal, expiresInSeconds?: number) {
      const operation = 'create admin API key';
      const body: Record<string, unknown> = { name };
      if (expiresInSeconds !== undefined) body['expires_in_seconds'] = expiresInSeconds;
      const response = await call({ operation, method: 'POST', path: '/organization/admin_api_keys', body, signal });
      return parseResponse(adminApiKeyCreateSchema, response.body, context(operation));
    },

    async deleteAdminKey(keyId: string, key: SecretValue, signal?: AbortSignal): Promise<boolean> {
      const response = await call({
        operation: 'delete admin API key',
        method: 'DELETE',
        path: `/organization/admin_api_keys/${encodeURIComponent(keyId)}`,
        acceptStatuses: [404],
        key,
        signal,
      });
      return response.status !== 404;
    },

    /** Liveness probe for any key: 2xx live, 401/403 dead. Never throws on those. */
    probeAdminKey(key: SecretValue, signal?: AbortSignal) {
      return call({ operation: 'check admin API key', method: 'GET', path: '/organization/admin_api_keys', query: { limit: 1 }, acceptStatuses: [401, 403], key, signal });
    },
  };
}

export type OpenAIAdminClient = ReturnType<typeof createOpenAIAdminClient>;

function lastId(items: unknown[]): string | undefined {
  const last = items.at(-1);
  return typeof last === 'object' && last !== null && typeof (last as { id?: unknown }).id === 'string' ? (last as { id: string }).id : undefined;
}
