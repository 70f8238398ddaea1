/**
 * OpenAI adapter. One project service account per key generation, named after the
 * rotation id (`rekey-<rotationId>`): mint creates it (its key is returned once), revoke
 * deletes it (which removes its key), and `findMinted` finds it again by name after a crash.
 * Needs an admin key (`sk-admin-…`).
 */
import { ConfigError, ProviderError, reasonOf } from '../../core/errors.js';
import { SecretValue } from '../../core/secret-value.js';
import { backoffMs, bearerHeader, createProviderHttp, isOutcomeUnknown, type ProviderTransportOptions } from '../http/provider-http.js';
import type { ProviderHttp } from '../http/provider-http.js';
import { matchesRedacted, probeModels } from '../provider-liveness.js';
import { loadBaseUrl, loadSecretSetting } from '../provider-settings.js';
import type { Environment } from '../provider-settings.js';
import { PROVIDER_SPEC_VERSION } from '../provider-spec.js';
import type {
  KeyTestRequest,
  KeyTestResult,
  KeyUsage,
  MintRequest,
  MintedKey,
  ProviderCredentialRef,
  ProviderKeyInfo,
  ProviderV1,
  RevokeRequest,
  RevokeResult,
  UsageRequest,
} from '../provider-spec.js';
import { createOpenAIAdminClient } from './openai-admin-client.js';
import type { OpenAIAdminClient } from './openai-admin-client.js';
import { fromUnixSeconds } from './openai-schemas.js';
import type { ProjectApiKey } from './openai-schemas.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAIProviderOptions extends ProviderTransportOptions {
  /** Admin key; else `OPENAI_ADMIN_KEY`. */
  adminKey?: SecretValue | undefined;
  /** API base including `/v1`; else `OPENAI_BASE_URL`, else the public API. */
  baseUrl?: string | undefined;
  /** Sent as `OpenAI-Organization` when set. */
  organization?: string | undefined;
  /** Service accounts are named `<prefix><rotationId>`. Default `rekey-`. */
  serviceAccountPrefix?: string | undefined;
  /** How many times mint reconciles and tries again after an unknown outcome. Default 3. */
  maxMintAttempts?: number | undefined;
  environment?: Environment | undefined;
}

export interface OpenAIProviderParts {
  http: ProviderHttp;
  admin: OpenAIAdminClient;
  baseUrl: string;
  adminKey: SecretValue;
}

export function resolveOpenAIParts(options: OpenAIProviderOptions): OpenAIProviderParts {
  const adminKey = loadSecretSetting({
    value: options.adminKey,
    settingName: 'adminKey',
    environmentVariable: 'OPENAI_ADMIN_KEY',
    description: 'OpenAI admin key',
    environment: options.environment,
  });
  const baseUrl = loadBaseUrl({
    value: options.baseUrl,
    settingName: 'baseUrl',
    environmentVariable: 'OPENAI_BASE_URL',
    description: 'OpenAI base URL',
    defaultValue: OPENAI_DEFAULT_BASE_URL,
    environment: options.environment,
  });
  const http = createProviderHttp({ provider: 'openai', settings: { credentialVariable: 'OPENAI_ADMIN_KEY', baseUrlVariable: 'OPENAI_BASE_URL', basePath: '/v1' }, fetch: options.fetch, sleep: options.sleep, now: options.now, retry: options.retry });
  const admin = createOpenAIAdminClient({ http, baseUrl, adminKey, organization: options.organization });
  return { http, admin, baseUrl, adminKey };
}

export function createOpenAIProvider(options: OpenAIProviderOptions = {}): ProviderV1 {
  const { http, admin, baseUrl } = resolveOpenAIParts(options);
  const prefix = options.serviceAccountPrefix ?? 'rekey-';
  const maxMintAttempts = options.maxMintAttempts ?? 3;
  const sleep = options.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const accountName = (rotationId: string) => `${prefix}${rotationId}`;

  async function findAccount(projectId: string, name: string, signal: AbortSignal | undefined) {
    const accounts = await admin.listServiceAccounts(projectId, signal);
    return accounts.filter((account) => account.name === name);
  }

  async function mint(request: MintRequest): Promise<MintedKey> {
    const projectId = requireProject(request.credential);
    const name = accountName(request.rotationId);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const created = await admin.createServiceAccount(projectId, name, request.signal);
        if (!created.api_key) {
          await admin.deleteServiceAccount(projectId, created.id, request.signal);
          throw new ProviderError('openai: the new service account came back without an API key', { provider: 'openai' });
        }
        if (attempt > 1) {
          // A create whose answer we lost may still land after a reconcile: keep only ours.
          for (const extra of await findAccount(projectId, name, request.signal)) {
            if (extra.id !== created.id) await admin.deleteServiceAccount(projectId, extra.id, request.signal);
          }
        }
        return {
          value: new SecretValue(created.api_key.value),
          providerKeyId: created.api_key.id,
          providerData: { serviceAccountId: created.id, projectId },
        };
      } catch (error) {
        if (!isOutcomeUnknown(error) || attempt >= maxMintAttempts) throw error;
        // The provider may have created the account, but its key value is lost with the
        // answer: remove it before trying again, so that nothing is minted twice.
        for (const orphan of await findAccount(projectId, name, request.signal)) {
          await admin.deleteServiceAccount(projectId, orphan.id, request.signal);
        }
        await sleep(backoffMs(attempt, { baseDelayMs: 250, maxDelayMs: 4000 }, Math.random));
      }
    }
  }

  async function findMinted(request: { credential: ProviderCredentialRef; rotationId: string; signal?: AbortSignal }): Promise<ProviderKeyInfo | undefined> {
    const projectId = requireProject(request.credential);
    const [account] = await findAccount(projectId, accountName(request.rotationId), request.signal);
    if (!account) return undefined;
    const keys = await admin.listProjectApiKeys(projectId, request.signal);
    const key = keys.find((candidate) => candidate.owner?.service_account?.id === account.id);
    const info: ProviderKeyInfo = key
      ? toKeyInfo(key, projectId)
      : {
          providerKeyId: account.id,
          name: account.name,
          redactedValue: null,
          createdAt: fromUnixSeconds(account.created_at),
          lastUsedAt: null,
          status: 'active',
          providerData: {},
        };
    info.providerData = { ...info.providerData, serviceAccountId: account.id, projectId };
    return info;
  }

  async function revoke(request: RevokeRequest): Promise<RevokeResult> {
    const projectId = request.providerData['projectId'] ?? requireProject(request.credential);
    let serviceAccountId = request.providerData['serviceAccountId'];
    if (!serviceAccountId) {
      if (!request.providerKeyId) throw new ConfigError('openai: cannot revoke a key without its provider key id or service account id');
      const key = await admin.getProjectApiKey(projectId, request.providerKeyId, request.signal);
      if (!key) return { alreadyGone: true };
      serviceAccountId = key.owner?.service_account?.id;
      if (!serviceAccountId) {
        // A key a person created: the API deletes user-owned keys directly.
        return { alreadyGone: !(await admin.deleteProjectApiKey(projectId, request.providerKeyId, request.signal)) };
      }
    }
    return { alreadyGone: !(await admin.deleteServiceAccount(projectId, serviceAccountId, request.signal)) };
  }

  async function test(request: KeyTestRequest): Promise<KeyTestResult> {
    const models = request.models ?? request.credential.allowedModels;
    const headers = { authorization: bearerHeader(request.value) };
    // 401 is a dead key. A 403 can be a live restricted key without model-read permission:
    // then the probes decide, and without a successful probe the answer is "unknown".
    let modelsForbidden = false;
    try {
      const response = await http.request({ operation: 'list models', method: 'GET', url: `${baseUrl}/models`, headers, acceptStatuses: [401, 403], signal: request.signal });
      if (response.status === 401) return { liveness: 'dead', scopeMatches: null, models: [], reason: 'the key was refused (HTTP 401)' };
      modelsForbidden = response.status === 403;
    } catch (error) {
      return { liveness: 'unknown', scopeMatches: null, models: [], reason: reasonOf(error) };
    }

    const { probes, refused } = await probeModels(models, (model) => {
      // Embedding models do not chat: probe them with a one-word embedding instead.
      const embedding = /embedding/i.test(model);
      return http.request({
        operation: 'probe model',
        method: 'POST',
        url: `${baseUrl}/${embedding ? 'embeddings' : 'chat/completions'}`,
        headers,
        body: embedding ? { model, input: 'ping' } : { model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 },
        idempotent: true,
        acceptStatuses: [400, 401, 403, 404],
        signal: request.signal,
      });
    });
    if (refused) {
      // /models said yes and a probe said no: the key is changing state. Never call that live.
      return { liveness: 'unknown', scopeMatches: null, models: probes, reason: 'the provider gave conflicting answers (a probe was refused)' };
    }
    if (modelsForbidden && !probes.some((probe) => probe.ok)) {
      return { liveness: 'unknown', scopeMatches: null, models: probes, reason: 'the key may not list models (HTTP 403) and no model probe succeeded' };
    }
    const scopeMatches = await projectScopeMatches(request);
    return { liveness: 'live', scopeMatches, models: probes };
  }

  /** Whether the key is one of the credential's project keys (matched on the redacted value). */
  async function projectScopeMatches(request: KeyTestRequest): Promise<boolean | null> {
    const projectId = request.credential.scope['project'];
    if (!projectId) return null;
    try {
      const keys = await admin.listProjectApiKeys(projectId, request.signal);
      let readable = false;
      for (const key of keys) {
        if (!key.redacted_value) continue;
        const match = matchesRedacted(request.value.reveal(), key.redacted_value);
        if (match === undefined) continue;
        readable = true;
        if (match) return true;
      }
      return readable || keys.length === 0 ? false : null;
    } catch {
      return null;
    }
  }

  async function usage(request: UsageRequest): Promise<KeyUsage> {
    const projectId = request.providerData['projectId'] ?? requireProject(request.credential);
    const until = request.until ?? new Date(options.now?.() ?? Date.now());
    const spanSeconds = Math.max(60, (until.getTime() - request.since.getTime()) / 1000);
    const bucketWidth = spanSeconds <= 86_400 ? '1m' : spanSeconds <= 7 * 86_400 ? '1h' : '1d';
    const key = await admin.getProjectApiKey(projectId, request.providerKeyId, request.signal);
    const requests = await admin.completionRequests({
      projectId,
      keyId: request.providerKeyId,
      startSeconds: Math.floor(request.since.getTime() / 1000),
      endSeconds: Math.ceil(until.getTime() / 1000),
      bucketWidth,
      signal: request.signal,
    });
    return {
      requests,
      lastUsedAt: fromUnixSeconds(key?.last_used_at),
      resolutionSeconds: { '1m': 60, '1h': 3600, '1d': 86_400 }[bucketWidth],
    };
  }

  async function listKeys(request: { credential: ProviderCredentialRef; signal?: AbortSignal }): Promise<ProviderKeyInfo[]> {
    const projectId = requireProject(request.credential);
    const keys = await admin.listProjectApiKeys(projectId, request.signal);
    return keys.map((key) => toKeyInfo(key, projectId));
  }

  return {
    specificationVersion: PROVIDER_SPEC_VERSION,
    kind: 'openai',
    capabilities: { mint: 'api', revoke: 'api', usage: true, listKeys: true },
    mint,
    findMinted,
    test,
    revoke,
    usage,
    listKeys,
  };
}

function toKeyInfo(key: ProjectApiKey, projectId: string): ProviderKeyInfo {
  const providerData: Record<string, string> = { projectId };
  const serviceAccountId = key.owner?.service_account?.id;
  if (serviceAccountId) providerData['serviceAccountId'] = serviceAccountId;
  return {
    providerKeyId: key.id,
    name: key.name ?? null,
    redactedValue: key.redacted_value ?? null,
    createdAt: fromUnixSeconds(key.created_at),
    lastUsedAt: fromUnixSeconds(key.last_used_at),
    status: 'active',
    providerData,
  };
}

function requireProject(credential: ProviderCredentialRef): string {
  const projectId = credential.scope['project'];
  if (!projectId) {
    throw new ConfigError(`openai: credential ${credential.name} has no scope.project; OpenAI keys are minted inside a project`, {
      hint: 'set scope: { project: proj_… } on the credential',
    });
  }
  return projectId;
}

