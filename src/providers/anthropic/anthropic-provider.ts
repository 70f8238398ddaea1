/**
 * Anthropic adapter. The Admin API cannot create keys, so mint takes a value a person
 * supplied, checks that it answers and that it belongs to this organization (its
 * `partial_key_hint` is among the org's keys), and returns its Admin-API id. Revoke sets
 * the key's status to `inactive` (reversible; `archived` as an option). Usage comes from
 * the usage report grouped by `api_key_id`.
 *
 * `adminKey: null` runs without the Admin API (individual accounts have none): mint
 * still checks liveness, revoke is then a person's job.
 */
import { ConfigError, ProviderError } from '../../core/errors.js';
import type { SecretValue } from '../../core/secret-value.js';
import { createProviderHttp, type ProviderTransportOptions } from '../http/provider-http.js';
import type {  } from '../http/provider-http.js';
import { parseResponse } from '../http/provider-response.js';
import { needsHumanRevoke, needsHumanValue } from '../provider-human.js';
import { livenessFromStatus, matchesRedacted, probeModels, waitUntilLive } from '../provider-liveness.js';
import { loadBaseUrl, loadSecretSetting } from '../provider-settings.js';
import type { Environment } from '../provider-settings.js';
import { PROVIDER_SPEC_VERSION } from '../provider-spec.js';
import type { KeyTestRequest, KeyTestResult, KeyUsage, MintRequest, MintedKey, ProviderCredentialRef, ProviderKeyInfo, ProviderV1, RevokeRequest, RevokeResult, UsageRequest } from '../provider-spec.js';
import { anthropicKeyPageSchema, anthropicUsagePageSchema } from './anthropic-schemas.js';
import type { AnthropicApiKey } from './anthropic-schemas.js';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
export const ANTHROPIC_VERSION = '2023-06-01';
const MAX_PAGES = 50;

export interface AnthropicProviderOptions extends ProviderTransportOptions {
  /** Admin key (`sk-ant-admin…`); else `ANTHROPIC_ADMIN_KEY`; `null` = no Admin API. */
  adminKey?: SecretValue | null | undefined;
  /** Without `/v1`; else `ANTHROPIC_BASE_URL`, else the public API. */
  baseUrl?: string | undefined;
  /** `inactive` (default, reversible) or `archived`. */
  revokeStatus?: 'inactive' | 'archived' | undefined;
  /** How long mint waits for a freshly created key to start answering. Default 60 s. */
  activationTimeoutMs?: number | undefined;
  environment?: Environment | undefined;
}

export function createAnthropicProvider(options: AnthropicProviderOptions = {}): ProviderV1 {
  const adminKey =
    options.adminKey === null
      ? null
      : loadSecretSetting({ value: options.adminKey, settingName: 'adminKey', environmentVariable: 'ANTHROPIC_ADMIN_KEY', description: 'Anthropic admin key', environment: options.environment });
  const baseUrl = loadBaseUrl({
    value: options.baseUrl,
    settingName: 'baseUrl',
    environmentVariable: 'ANTHROPIC_BASE_URL',
    description: 'Anthropic base URL',
    defaultValue: ANTHROPIC_DEFAULT_BASE_URL,
    environment: options.environment,
  });
  const revokeStatus = options.revokeStatus ?? 'inactive';
  const http = createProviderHttp({ provider: 'anthropic', settings: { credentialVariable: 'ANTHROPIC_ADMIN_KEY', baseUrlVariable: 'ANTHROPIC_BASE_URL' }, fetch: options.fetch, sleep: options.sleep, now: options.now, retry: options.retry });
  const context = (operation: string) => ({ provider: 'anthropic', operation });
  const headersFor = (key: SecretValue) => ({ 'x-api-key': key, 'anthropic-version': ANTHROPIC_VERSION });

  function requireAdmin(what: string): SecretValue {
    if (!adminKey) throw new ConfigError(`anthropic: ${what} needs the Admin API; this provider was set up with adminKey: null`);
    return adminKey;
  }

  async function listApiKeys(signal: AbortSignal | undefined): Promise<AnthropicApiKey[]> {
    const key = requireAdmin('listing keys');
    const keys: AnthropicApiKey[] = [];
    let afterId: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const operation = 'list API keys';
      const response = await http.request({ operation, method: 'GET', url: `${baseUrl}/v1/organizations/api_keys`, headers: headersFor(key), query: { limit: 1000, after_id: afterId }, signal });
      const parsed = parseResponse(anthropicKeyPageSchema, response.body, context(operation));
      keys.push(...parsed.data);
      const last = parsed.last_id ?? parsed.data.at(-1)?.id;
      if (!parsed.has_more || !last || last === afterId) break;
      afterId = last;
    }
    return keys;
  }

  /** The org's keys whose hint fits the value (and, when the credential names one, its workspace). */
  async function matchingKeys(value: SecretValue, credential: ProviderCredentialRef, signal: AbortSignal | undefined) {
    const keys = await listApiKeys(signal);
    const fits = keys.filter((key) => key.partial_key_hint && matchesRedacted(value.reveal(), key.partial_key_hint) === true);
    const workspace = credential.scope['workspace'];
    const inScope = workspace ? fits.filter((key) => workspaceOf(key) === workspace) : fits;
    return { fits, inScope };
  }

  async function livenessOf(value: SecretValue, signal: AbortSignal | undefined): Promise<{ liveness: KeyTestResult['liveness']; reason?: string }> {
    try {
      const response = await http.request({ operation: 'list models', method: 'GET', url: `${baseUrl}/v1/models`, headers: headersFor(value), acceptStatuses: [401, 403], signal });
      const liveness = livenessFromStatus(response.status, [401]);
      return liveness === 'live' ? { liveness } : { liveness, reason: `the key was refused (HTTP ${response.status})` };
    } catch (error) {
      return { liveness: 'unknown', reason: error instanceof ProviderError ? error.message : 'the check failed' };
    }
  }

  async function test(request: KeyTestRequest): Promise<KeyTestResult> {
    const checked = await livenessOf(request.value, request.signal);
    if (checked.liveness !== 'live') return { liveness: checked.liveness, scopeMatches: null, models: [], reason: checked.reason };
    const { probes, refused } = await probeModels(request.models ?? request.credential.allowedModels, (model) =>
      http.request({
        operation: 'probe model',
        method: 'POST',
        url: `${baseUrl}/v1/messages`,
        headers: headersFor(request.value),
        body: { model, max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] },
        idempotent: true,
        acceptStatuses: [400, 401, 403, 404],
        signal: request.signal,
      }),
    );
    if (refused) return { liveness: 'unknown', scopeMatches: null, models: probes, reason: 'the provider gave conflicting answers (a probe was refused)' };
    let scopeMatches: boolean | null = null;
    if (adminKey) {
      try {
        scopeMatches = (await matchingKeys(request.value, request.credential, request.signal)).inScope.length > 0;
      } catch {
        scopeMatches = null;
      }
    }
    return { liveness: 'live', scopeMatches, models: probes };
  }

  async function mint(request: MintRequest): Promise<MintedKey> {
    const value = request.suppliedValue;
    if (!value) throw needsHumanValue('anthropic');
    const waited = await waitUntilLive({
      provider: { test: async (testRequest) => ({ ...(await livenessOf(testRequest.value, testRequest.signal)), scopeMatches: null, models: [] }) },
      request: { credential: request.credential, value, signal: request.signal },
      timeoutMs: options.activationTimeoutMs ?? 60_000,
      sleep: options.sleep,
      now: options.now,
    });
    if (!waited.reached) {
      throw new ProviderError(`anthropic: the supplied key does not work (${waited.last.reason ?? waited.last.liveness}); it was not accepted`, {
        provider: 'anthropic',
        providerCode: 'supplied-key-not-live',
        isRetryable: waited.last.liveness === 'unknown',
      });
    }
    if (!adminKey) return { value, providerKeyId: null, providerData: {} };
    const { fits, inScope } = await matchingKeys(value, request.credential, request.signal);
    if (inScope.length !== 1) {
      const problem =
        fits.length === 0
          ? 'it is not a key of this organization'
          : inScope.length === 0
            ? `it belongs to another workspace than ${request.credential.scope['workspace'] ?? 'the credential'}`
            : 'several keys of this organization share its hint, so it cannot be told apart for revocation';
      throw new ProviderError(`anthropic: the supplied key was not accepted: ${problem}`, { provider: 'anthropic', providerCode: 'supplied-key-scope', isRetryable: false });
    }
    const [match] = inScope as [AnthropicApiKey];
    return { value, providerKeyId: match.id, providerData: workspaceData(match) };
  }

  async function revoke(request: RevokeRequest): Promise<RevokeResult> {
    if (!adminKey || !request.providerKeyId) throw needsHumanRevoke('anthropic');
    const url = `${baseUrl}/v1/organizations/api_keys/${encodeURIComponent(request.providerKeyId)}`;
    const current = await http.request({ operation: 'get API key', method: 'GET', url, headers: headersFor(adminKey), acceptStatuses: [404], signal: request.signal });
    if (current.status === 404) return { alreadyGone: true };
    const key = parseResponse(anthropicKeyPageSchema.shape.data.element, current.body, context('get API key'));
    const rank: Record<string, number> = { active: 0, inactive: 1, expired: 2, archived: 2 };
    if ((rank[key.status] ?? 0) >= (rank[revokeStatus] ?? 1)) return { alreadyGone: true };
    // Setting a status is idempotent, so the helper may retry it.
    await http.request({ operation: 'update API key status', method: 'POST', url, headers: headersFor(adminKey), body: { status: revokeStatus }, idempotent: true, signal: request.signal });
    return { alreadyGone: false };
  }

  async function usage(request: UsageRequest): Promise<KeyUsage> {
    const key = requireAdmin('usage');
    const until = request.until ?? new Date(options.now?.() ?? Date.now());
    const spanSeconds = Math.max(60, (until.getTime() - request.since.getTime()) / 1000);
    const bucketWidth = spanSeconds <= 86_400 ? '1m' : spanSeconds <= 7 * 86_400 ? '1h' : '1d';
    const bucketSeconds = { '1m': 60, '1h': 3600, '1d': 86_400 }[bucketWidth];
    const maxLimit = { '1m': 1440, '1h': 168, '1d': 31 }[bucketWidth];
    let lastUsed: number | null = null;
    let page: string | undefined;
    for (let count = 0; count < MAX_PAGES; count += 1) {
      const operation = 'read usage report';
      const response = await http.request({
        operation,
        method: 'GET',
        url: `${baseUrl}/v1/organizations/usage_report/messages`,
        headers: headersFor(key),
        arrayFormat: 'brackets',
        query: {
          starting_at: request.since.toISOString(),
          ending_at: until.toISOString(),
          bucket_width: bucketWidth,
          group_by: ['api_key_id'],
          api_key_ids: [request.providerKeyId],
          limit: Math.max(1, Math.min(maxLimit, Math.ceil(spanSeconds / bucketSeconds))),
          page,
        },
        signal: request.signal,
      });
      const parsed = parseResponse(anthropicUsagePageSchema, response.body, context(operation));
      for (const bucket of parsed.data) {
        const used = bucket.results.some(
          (result) => result.api_key_id === request.providerKeyId && (result.uncached_input_tokens ?? 0) + (result.cache_read_input_tokens ?? 0) + (result.output_tokens ?? 0) > 0,
        );
        // The report has tokens, not request counts or times: the bucket's end is the latest the use can be.
        if (used) lastUsed = Math.max(lastUsed ?? 0, Math.min(Date.parse(bucket.ending_at), until.getTime()));
      }
      if (!parsed.has_more || !parsed.next_page) break;
      page = parsed.next_page;
    }
    return { requests: null, lastUsedAt: lastUsed === null ? null : new Date(lastUsed), resolutionSeconds: bucketSeconds };
  }

  async function listKeys(request: { credential: ProviderCredentialRef; signal?: AbortSignal }): Promise<ProviderKeyInfo[]> {
    const workspace = request.credential.scope['workspace'];
    const keys = (await listApiKeys(request.signal)).filter((key) => !workspace || workspaceOf(key) === workspace);
    return keys.map((key): ProviderKeyInfo => ({
      providerKeyId: key.id,
      name: key.name ?? null,
      redactedValue: key.partial_key_hint ?? null,
      createdAt: key.created_at ? new Date(key.created_at) : null,
      lastUsedAt: null,
      status: key.status,
      providerData: workspaceData(key),
    }));
  }

  const withAdmin = adminKey !== null;
  return {
    specificationVersion: PROVIDER_SPEC_VERSION,
    kind: 'anthropic',
    capabilities: { mint: 'human', revoke: withAdmin ? 'api' : 'human', usage: withAdmin, listKeys: withAdmin },
    mint,
    test,
    revoke,
    ...(withAdmin ? { usage, listKeys } : {}),
  };
}

function workspaceOf(key: AnthropicApiKey): string | null {
  return key.scope?.workspace_id ?? key.workspace_id ?? null;
}

function workspaceData(key: AnthropicApiKey): Record<string, string> {
  const workspace = workspaceOf(key);
  return workspace ? { workspaceId: workspace } : {};
}
