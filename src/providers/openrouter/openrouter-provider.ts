/**
 * OpenRouter adapter: full create/delete with a management key (`/api/v1/keys`). Each
 * key generation is one key named after the rotation id, so a lost create answer is
 * reconciled by name. A key is tested with `GET /api/v1/key` (its own info); allowed
 * models are checked against the model catalogue, which costs no credits.
 */
import { ConfigError, ProviderError } from '../../core/errors.js';
import { SecretValue } from '../../core/secret-value.js';
import { z } from 'zod';
import { backoffMs, bearerHeader, createProviderHttp, isOutcomeUnknown, type ProviderTransportOptions } from '../http/provider-http.js';
import type {  } from '../http/provider-http.js';
import { parseResponse } from '../http/provider-response.js';
import { livenessFromStatus, matchesRedacted } from '../provider-liveness.js';
import { loadBaseUrl, loadSecretSetting } from '../provider-settings.js';
import type { Environment } from '../provider-settings.js';
import { PROVIDER_SPEC_VERSION } from '../provider-spec.js';
import type { KeyTestRequest, KeyTestResult, MintRequest, MintedKey, ProviderCredentialRef, ProviderKeyInfo, ProviderV1, RevokeRequest, RevokeResult } from '../provider-spec.js';

export const OPENROUTER_DEFAULT_BASE_URL = 'https://openrouter.ai/api/v1';
const MAX_PAGES = 50;

const keyInfoSchema = z.object({
  hash: z.string().min(1),
  name: z.string().nullable().optional(),
  label: z.string().nullable().optional(),
  disabled: z.boolean().nullable().optional(),
  created_at: z.string().nullable().optional(),
});
type OpenRouterKey = z.infer<typeof keyInfoSchema>;
const keyListSchema = z.object({ data: z.array(keyInfoSchema) });
const keyCreateSchema = z.object({ data: keyInfoSchema, key: z.string().min(1) });
const modelListSchema = z.object({ data: z.array(z.object({ id: z.string() })) });

export interface OpenRouterProviderOptions extends ProviderTransportOptions {
  /** Management key; else `OPENROUTER_MANAGEMENT_KEY`. */
  managementKey?: SecretValue | undefined;
  /** Including `/api/v1`; else `OPENROUTER_BASE_URL`, else the public API. */
  baseUrl?: string | undefined;
  /** Keys are named `<prefix><rotationId>`. Default `rekey-`. */
  keyPrefix?: string | undefined;
  /** Credit limit set on minted keys, when given. */
  creditLimit?: number | undefined;
  maxMintAttempts?: number | undefined;
  environment?: Environment | undefined;
}

export function createOpenRouterProvider(options: OpenRouterProviderOptions = {}): ProviderV1 {
  const managementKey = loadSecretSetting({
    value: options.managementKey,
    settingName: 'managementKey',
    environmentVariable: 'OPENROUTER_MANAGEMENT_KEY',
    description: 'OpenRouter management key',
    environment: options.environment,
  });
  const baseUrl = loadBaseUrl({
    value: options.baseUrl,
    settingName: 'baseUrl',
    environmentVariable: 'OPENROUTER_BASE_URL',
    description: 'OpenRouter base URL',
    defaultValue: OPENROUTER_DEFAULT_BASE_URL,
    environment: options.environment,
  });
  const prefix = options.keyPrefix ?? 'rekey-';
  const maxMintAttempts = options.maxMintAttempts ?? 3;
  const sleep = options.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const http = createProviderHttp({ provider: 'openrouter', settings: { credentialVariable: 'OPENROUTER_MANAGEMENT_KEY', baseUrlVariable: 'OPENROUTER_BASE_URL', basePath: '/api/v1' }, fetch: options.fetch, sleep: options.sleep, now: options.now, retry: options.retry });
  const management = { authorization: bearerHeader(managementKey) };
  const context = (operation: string) => ({ provider: 'openrouter', operation });
  const keyName = (rotationId: string) => `${prefix}${rotationId}`;

  async function listAll(signal: AbortSignal | undefined): Promise<OpenRouterKey[]> {
    const keys: OpenRouterKey[] = [];
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const operation = 'list keys';
      const response = await http.request({ operation, method: 'GET', url: `${baseUrl}/keys`, headers: management, query: { offset: keys.length || undefined, include_disabled: true }, signal });
      const parsed = parseResponse(keyListSchema, response.body, context(operation));
      if (parsed.data.length === 0) break;
      keys.push(...parsed.data);
      if (parsed.data.length < 100) break;
    }
    return keys;
  }

  async function deleteKey(hash: string, signal: AbortSignal | undefined): Promise<boolean> {
    const response = await http.request({ operation: 'delete key', method: 'DELETE', url: `${baseUrl}/keys/${encodeURIComponent(hash)}`, headers: management, acceptStatuses: [404], signal });
    return response.status !== 404;
  }

  async function mint(request: MintRequest): Promise<MintedKey> {
    const name = keyName(request.rotationId);
    const body: Record<string, unknown> = { name };
    if (options.creditLimit !== undefined) body['limit'] = options.creditLimit;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const operation = 'create key';
        const response = await http.request({ operation, method: 'POST', url: `${baseUrl}/keys`, headers: management, body, signal: request.signal });
        const created = parseResponse(keyCreateSchema, response.body, context(operation));
        if (attempt > 1) {
          for (const extra of (await listAll(request.signal)).filter((key) => key.name === name && key.hash !== created.data.hash)) await deleteKey(extra.hash, request.signal);
        }
        return { value: new SecretValue(created.key), providerKeyId: created.data.hash, providerData: {} };
      } catch (error) {
        if (!isOutcomeUnknown(error) || attempt >= maxMintAttempts) throw error;
        // The key may exist with its value lost in the answer: delete it before trying again.
        for (const orphan of (await listAll(request.signal)).filter((key) => key.name === name)) await deleteKey(orphan.hash, request.signal);
        await sleep(backoffMs(attempt, { baseDelayMs: 250, maxDelayMs: 4000 }, Math.random));
      }
    }
  }

  async function findMinted(request: { credential: ProviderCredentialRef; rotationId: string; signal?: AbortSignal }): Promise<ProviderKeyInfo | undefined> {
    const found = (await listAll(request.signal)).find((key) => key.name === keyName(request.rotationId));
    return found ? toInfo(found) : undefined;
  }

  async function revoke(request: RevokeRequest): Promise<RevokeResult> {
    if (!request.providerKeyId) throw new ConfigError('openrouter: cannot revoke a key without its hash (provider key id)');
    return { alreadyGone: !(await deleteKey(request.providerKeyId, request.signal)) };
  }

  async function test(request: KeyTestRequest): Promise<KeyTestResult> {
    try {
      const response = await http.request({ operation: 'get current key', method: 'GET', url: `${baseUrl}/key`, headers: { authorization: bearerHeader(request.value) }, acceptStatuses: [401, 403], signal: request.signal });
      const liveness = livenessFromStatus(response.status);
      if (liveness !== 'live') return { liveness, scopeMatches: null, models: [], reason: `the key was refused (HTTP ${response.status})` };
    } catch (error) {
      return { liveness: 'unknown', scopeMatches: null, models: [], reason: error instanceof ProviderError ? error.message : 'the check failed' };
    }
    const wanted = request.models ?? request.credential.allowedModels;
    let models: KeyTestResult['models'] = [];
    if (wanted.length > 0) {
      try {
        const response = await http.request({ operation: 'list models', method: 'GET', url: `${baseUrl}/models`, signal: request.signal });
        const catalogue = new Set(parseResponse(modelListSchema, response.body, context('list models')).data.map((model) => model.id));
        models = wanted.map((model) => ({ model, ok: catalogue.has(model), status: response.status }));
      } catch (error) {
        models = wanted.map((model) => ({ model, ok: false, status: error instanceof ProviderError ? (error.status ?? null) : null }));
      }
    }
    let scopeMatches: boolean | null = null;
    try {
      const labels = (await listAll(request.signal)).map((key) => (key.label ? matchesRedacted(request.value.reveal(), key.label) : undefined));
      scopeMatches = labels.includes(true) ? true : labels.includes(false) ? false : null;
    } catch {
      scopeMatches = null;
    }
    return { liveness: 'live', scopeMatches, models };
  }

  async function listKeys(request: { credential: ProviderCredentialRef; signal?: AbortSignal }): Promise<ProviderKeyInfo[]> {
    return (await listAll(request.signal)).map(toInfo);
  }

  return {
    specificationVersion: PROVIDER_SPEC_VERSION,
    kind: 'openrouter',
    capabilities: { mint: 'api', revoke: 'api', usage: false, listKeys: true },
    mint,
    findMinted,
    test,
    revoke,
    listKeys,
  };
}

function toInfo(key: OpenRouterKey): ProviderKeyInfo {
  return {
    providerKeyId: key.hash,
    name: key.name ?? null,
    redactedValue: key.label ?? null,
    createdAt: key.created_at ? new Date(key.created_at) : null,
    lastUsedAt: null,
    status: key.disabled ? 'disabled' : 'active',
    providerData: {},
  };
}
