/**
 * One Admin API client per vendor for `rekey openai …` / `rekey anthropic …`, on the shared
 * provider HTTP helper (timeouts, retries honouring `retry-after`, value-free errors).
 * Lists and reports are async generators that fetch the next page only when the consumer
 * asks for it, so rows stream to the output and memory holds one page.
 *
 * Two failures get their own message: an admin key without the permission a call needs
 * (the missing permission is named), and a page that still fails after the retries once
 * some rows were written (a partial result, never a silently short list).
 */
import { ProviderError } from '../core/errors.js';
import type { SecretValue } from '../core/secret-value.js';
import { bearerHeader, createProviderHttp, isRecord, type HttpMethod, type ProviderTransportOptions } from '../providers/http/provider-http.js';

export type AdminVendor = 'openai' | 'anthropic';

export interface AdminClientOptions extends ProviderTransportOptions {
  vendor: AdminVendor;
  /** OpenAI: with `/v1`; Anthropic: without it. */
  baseUrl: string;
  adminKey: SecretValue;
  /** The variable the admin key came from, for hints. */
  keyVariable: string;
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface AdminCall {
  operation: string;
  method: HttpMethod;
  path: string;
  query?: Query | undefined;
  body?: unknown;
}

/** Safety cap on pages of one listing (100 items a page: a million items). */
const MAX_PAGES = 10_000;

/** `Missing scopes: api.management.read` in an OpenAI 401/403; only a scope-shaped word is kept. */
function missingPermission(body: unknown): string | undefined {
  const error = isRecord(body) ? body['error'] : undefined;
  const message = isRecord(error) && typeof error['message'] === 'string' ? error['message'] : '';
  return /Missing scopes?: ([a-z][a-z0-9_:-]*(?:\.[a-z0-9_:-]+)*)/.exec(message)?.[1];
}

export function createAdminClient(options: AdminClientOptions) {
  const http = createProviderHttp({
    provider: options.vendor,
    fetch: options.fetch,
    sleep: options.sleep,
    now: options.now,
    retry: options.retry,
    settings: { credentialVariable: options.keyVariable, baseUrlVariable: options.vendor === 'openai' ? 'OPENAI_BASE_URL' : 'ANTHROPIC_BASE_URL', basePath: options.vendor === 'openai' ? '/v1' : undefined },
  });
  const prefix = options.vendor === 'openai' ? options.baseUrl : `${options.baseUrl}/v1`;
  const headers: Record<string, string | SecretValue> = options.vendor === 'openai' ? { authorization: bearerHeader(options.adminKey) } : { 'x-api-key': options.adminKey, 'anthropic-version': '2023-06-01' };

  async function request(call: AdminCall): Promise<unknown> {
    const response = await http.request({
      operation: call.operation,
      method: call.method,
      url: `${prefix}${call.path}`,
      query: call.query,
      arrayFormat: 'brackets',
      headers,
      body: call.body,
      acceptStatuses: [401, 403],
    });
    if (response.status === 401 || response.status === 403) {
      const permission = missingPermission(response.body);
      const code = isRecord(response.body) && isRecord(response.body['error']) ? String(response.body['error']['code'] ?? response.body['error']['type'] ?? '') : '';
      const message = permission !== undefined
        ? `${options.vendor}: ${call.operation}: the admin key lacks the permission ${permission} (HTTP ${response.status})`
        : code === 'invalid_api_key' || code === 'authentication_error'
          ? `${options.vendor}: ${call.operation}: the admin key was refused (HTTP ${response.status}, ${code})`
          : `${options.vendor}: ${call.operation}: the admin key lacks the permission for this call (HTTP ${response.status}${code === '' ? '' : `, ${code}`})`;
      const hint = permission !== undefined
        ? `use an admin key (sk-admin-…) with ${permission} in ${options.keyVariable}; a project or service-account key cannot call the Admin API`
        : `check the key in ${options.keyVariable}: the Admin API needs an admin key of an organisation owner or admin`;
      throw new ProviderError(message, { provider: options.vendor, status: response.status, providerCode: permission ?? (code || undefined), hint, isRetryable: false, definitelyNotActedOn: true });
    }
    return response.body;
  }

  /** Wraps a failure after the first page: the output so far is incomplete, and says so. */
  function partial(error: unknown, operation: string, pages: number, items: number): unknown {
    if (pages === 0 || !(error instanceof ProviderError)) return error;
    return new ProviderError(`${error.message}; partial result: ${items} rows from ${pages} page${pages === 1 ? '' : 's'} were written before page ${pages + 1} failed, so the output is incomplete`, {
      provider: error.provider,
      status: error.status,
      providerCode: error.providerCode,
      hint: `${operation} stopped part-way; run it again (retries and retry-after were honoured)`,
      cause: error,
    });
  }

  /** A cursor-paged list: OpenAI `after` + `last_id`, Anthropic `after_id` + `last_id`. */
  async function* list(call: Omit<AdminCall, 'method'>, pageSize = 100): AsyncGenerator<Record<string, unknown>> {
    const cursorName = options.vendor === 'openai' ? 'after' : 'after_id';
    let cursor: string | undefined;
    let items = 0;
    for (let pages = 0; pages < MAX_PAGES; pages += 1) {
      let body: unknown;
      try {
        body = await request({ ...call, method: 'GET', query: { ...call.query, limit: pageSize, [cursorName]: cursor } });
      } catch (error) {
        throw partial(error, call.operation, pages, items);
      }
      const data = isRecord(body) && Array.isArray(body['data']) ? (body['data'] as unknown[]) : undefined;
      if (data === undefined) throw new ProviderError(`${options.vendor}: ${call.operation}: the answer is not a list`, { provider: options.vendor });
      for (const item of data) {
        if (isRecord(item)) {
          items += 1;
          yield item;
        }
      }
      const last = isRecord(body) && typeof body['last_id'] === 'string' ? body['last_id'] : undefined;
      if (!(isRecord(body) && body['has_more'] === true) || last === undefined || last === cursor) return;
      cursor = last;
    }
  }

  /** A page-token report (usage, costs): yields each bucket (or record) as its page arrives. */
  async function* pages(call: Omit<AdminCall, 'method'>): AsyncGenerator<Record<string, unknown>> {
    let page: string | undefined;
    let items = 0;
    for (let count = 0; count < MAX_PAGES; count += 1) {
      let body: unknown;
      try {
        body = await request({ ...call, method: 'GET', query: { ...call.query, page } });
      } catch (error) {
        throw partial(error, call.operation, count, items);
      }
      const data = isRecord(body) && Array.isArray(body['data']) ? (body['data'] as unknown[]) : [];
      for (const item of data) {
        if (isRecord(item)) {
          items += 1;
          yield item;
        }
      }
      const next = isRecord(body) && typeof body['next_page'] === 'string' ? body['next_page'] : undefined;
      if (!(isRecord(body) && body['has_more'] === true) || next === undefined || next === page) return;
      page = next;
    }
  }

  return { vendor: options.vendor, request, list, pages };
}

export type AdminClient = ReturnType<typeof createAdminClient>;
