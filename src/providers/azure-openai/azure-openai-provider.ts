/**
 * Azure OpenAI adapter: the account has two key slots (key1/key2), read and rotated
 * through ARM (`listKeys`, `regenerateKey`, bearer token). Regenerating a slot kills its
 * old value at once, so mint regenerates the slot that is NOT in use and hands it out,
 * and revoke regenerates the old slot.
 *
 * The slot in use must be known, and mint refuses to guess (regenerating the wrong slot
 * is an outage): it reads it from `replacing` (the version being replaced: its
 * `providerKeyId` is the slot rekey minted). Only when that version has no slot recorded
 * (a key imported by value) does `scope.slotInUse` say which slot it is.
 *
 * The account (subscription, resource group, account name, endpoint) comes from the
 * credential's scope, then the factory options, then `AZURE_*` environment variables.
 */
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, ProviderError } from '../../core/errors.js';
import { SecretValue, redactHint } from '../../core/secret-value.js';
import { bearerHeader, createProviderHttp, type ProviderTransportOptions } from '../http/provider-http.js';
import { parseResponse } from '../http/provider-response.js';
import { livenessFromStatus } from '../provider-liveness.js';
import { loadBaseUrl, loadStringSetting } from '../provider-settings.js';
import type { Environment } from '../provider-settings.js';
import { PROVIDER_SPEC_VERSION } from '../provider-spec.js';
import type { KeyTestRequest, KeyTestResult, MintRequest, MintedKey, ProviderCredentialRef, ProviderKeyInfo, ProviderV1, RevokeRequest, RevokeResult } from '../provider-spec.js';

export const AZURE_ARM_DEFAULT_URL = 'https://management.azure.com';
export const AZURE_ARM_API_VERSION = '2023-05-01';
export const AZURE_DATA_PLANE_API_VERSION = '2024-10-21';

export type AzureKeySlot = 'key1' | 'key2';
const keysSchema = z.object({ key1: z.string().min(1), key2: z.string().min(1) });

export interface AzureOpenAIProviderOptions extends ProviderTransportOptions {
  /** An ARM bearer token, or a function that returns a fresh one; else `AZURE_MANAGEMENT_TOKEN`. */
  armToken?: SecretValue | (() => Promise<SecretValue>) | undefined;
  subscriptionId?: string | undefined;
  resourceGroup?: string | undefined;
  accountName?: string | undefined;
  /** Data-plane endpoint, e.g. `https://my-account.openai.azure.com`; else `AZURE_OPENAI_ENDPOINT`. */
  endpoint?: string | undefined;
  armBaseUrl?: string | undefined;
  armApiVersion?: string | undefined;
  dataPlaneApiVersion?: string | undefined;
  environment?: Environment | undefined;
}

export function createAzureOpenAIProvider(options: AzureOpenAIProviderOptions = {}): ProviderV1 {
  const environment = options.environment ?? process.env;
  const setting = (value: string | undefined, settingName: string, environmentVariable: string, description: string, defaultValue?: string) =>
    loadStringSetting({ value, settingName, environmentVariable, description, environment, defaultValue });
  /** Scope first (one adapter can serve several accounts), then options, then environment. */
  function accountOf(credential: ProviderCredentialRef) {
    const scope = credential.scope;
    const subscriptionId = setting(scope['subscription'] ?? options.subscriptionId, 'subscriptionId', 'AZURE_SUBSCRIPTION_ID', 'Azure subscription id (scope.subscription)');
    const resourceGroup = setting(scope['resourceGroup'] ?? options.resourceGroup, 'resourceGroup', 'AZURE_RESOURCE_GROUP', 'Azure resource group (scope.resourceGroup)');
    const accountName = setting(scope['account'] ?? options.accountName, 'accountName', 'AZURE_OPENAI_ACCOUNT', 'Azure OpenAI account name (scope.account)');
    const endpoint = loadBaseUrl({
      value: scope['endpoint'] ?? options.endpoint,
      settingName: 'endpoint',
      environmentVariable: 'AZURE_OPENAI_ENDPOINT',
      description: 'Azure OpenAI endpoint (scope.endpoint)',
      defaultValue: `https://${accountName}.openai.azure.com`,
      environment,
    });
    return { subscriptionId, resourceGroup, accountName, endpoint };
  }
  const armBaseUrl = loadBaseUrl({ value: options.armBaseUrl, settingName: 'armBaseUrl', environmentVariable: 'AZURE_MANAGEMENT_URL', description: 'Azure Resource Manager URL', defaultValue: AZURE_ARM_DEFAULT_URL, environment });
  const armApiVersion = options.armApiVersion ?? AZURE_ARM_API_VERSION;
  const dataPlaneApiVersion = options.dataPlaneApiVersion ?? AZURE_DATA_PLANE_API_VERSION;
  const tokenSource = options.armToken ?? environment['AZURE_MANAGEMENT_TOKEN'];
  if (tokenSource === undefined || tokenSource === '') {
    throw new ConfigError('Azure Resource Manager token is missing: pass the `armToken` option or set the AZURE_MANAGEMENT_TOKEN environment variable', {
      hint: 'e.g. az account get-access-token --query accessToken, or pass a function that fetches one',
    });
  }
  const getToken = async (): Promise<SecretValue> =>
    typeof tokenSource === 'function' ? tokenSource() : tokenSource instanceof SecretValue ? tokenSource : new SecretValue(tokenSource);
  const http = createProviderHttp({ provider: 'azure-openai', settings: { credentialVariable: 'AZURE_MANAGEMENT_TOKEN', baseUrlVariable: 'AZURE_OPENAI_ENDPOINT' }, fetch: options.fetch, sleep: options.sleep, now: options.now, retry: options.retry });

  function accountUrl(credential: ProviderCredentialRef, action: 'listKeys' | 'regenerateKey'): string {
    const part = (value: string) => encodeURIComponent(value);
    const account = accountOf(credential);
    return `${armBaseUrl}/subscriptions/${part(account.subscriptionId)}/resourceGroups/${part(account.resourceGroup)}/providers/Microsoft.CognitiveServices/accounts/${part(account.accountName)}/${action}`;
  }

  async function readKeys(credential: ProviderCredentialRef, signal: AbortSignal | undefined) {
    const response = await http.request({
      operation: 'list account keys',
      method: 'POST',
      url: accountUrl(credential, 'listKeys'),
      query: { 'api-version': armApiVersion },
      headers: { authorization: bearerHeader(await getToken()) },
      idempotent: true,
      signal,
    });
    return parseResponse(keysSchema, response.body, { provider: 'azure-openai', operation: 'list account keys' });
  }

  /** Regenerating a slot twice is harmless (the last answer wins), so it may be retried. */
  async function regenerate(credential: ProviderCredentialRef, slot: AzureKeySlot, signal: AbortSignal | undefined) {
    const response = await http.request({
      operation: `regenerate ${slot}`,
      method: 'POST',
      url: accountUrl(credential, 'regenerateKey'),
      query: { 'api-version': armApiVersion },
      headers: { authorization: bearerHeader(await getToken()) },
      body: { keyName: slot === 'key1' ? 'Key1' : 'Key2' },
      idempotent: true,
      signal,
    });
    return parseResponse(keysSchema, response.body, { provider: 'azure-openai', operation: `regenerate ${slot}` });
  }

  /** Refuses without `request.replacing` (the slot in use must be known, see above). */
  async function mint(request: MintRequest): Promise<MintedKey> {
    if (!request.replacing) {
      throw new ConfigError(`azure-openai: mint needs the version being replaced, to know which key slot credential ${request.credential.name} uses now`, {
        hint: 'pass `replacing` on the mint request; regenerating the slot in use would be an outage',
      });
    }
    const recorded = slotOf(request.replacing.providerData['slot'] ?? request.replacing.providerKeyId ?? undefined);
    // A slot recorded at mint wins; scope.slotInUse only describes a key imported by value.
    const inUse = recorded ?? (request.replacing.providerKeyId === null ? slotOf(request.credential.scope['slotInUse']) : undefined);
    if (!inUse) {
      throw new ConfigError(`azure-openai: cannot tell which key slot credential ${request.credential.name} uses now, so cannot pick the free one`, {
        hint: 'for a key imported by value, set scope.slotInUse to key1 or key2',
      });
    }
    const free: AzureKeySlot = inUse === 'key1' ? 'key2' : 'key1';
    const keys = await regenerate(request.credential, free, request.signal);
    const value = new SecretValue(keys[free]);
    return { value, providerKeyId: free, providerData: { slot: free, hint: redactHint(keys[free]) } };
  }

  async function revoke(request: RevokeRequest): Promise<RevokeResult> {
    const slot = slotOf(request.providerData['slot'] ?? request.providerKeyId ?? undefined);
    if (!slot) throw new ConfigError('azure-openai: cannot revoke without the key slot (key1 or key2)');
    const hint = request.providerData['hint'];
    if (hint) {
      // The slot was regenerated since (a retry, or a later rotation now uses it): leave it alone.
      const keys = await readKeys(request.credential, request.signal);
      if (redactHint(keys[slot]) !== hint) return { alreadyGone: true };
    }
    await regenerate(request.credential, slot, request.signal);
    return { alreadyGone: false };
  }

  async function test(request: KeyTestRequest): Promise<KeyTestResult> {
    const headers = { 'api-key': request.value };
    try {
      const response = await http.request({ operation: 'list models', method: 'GET', url: `${accountOf(request.credential).endpoint}/openai/models`, query: { 'api-version': dataPlaneApiVersion }, headers, acceptStatuses: [401, 403], signal: request.signal });
      const liveness = livenessFromStatus(response.status, [401]);
      if (liveness !== 'live') return { liveness, scopeMatches: null, models: [], reason: `the key was refused (HTTP ${response.status})` };
    } catch (error) {
      return { liveness: 'unknown', scopeMatches: null, models: [], reason: error instanceof ProviderError ? error.message : 'the check failed' };
    }
    const models: KeyTestResult['models'] = [];
    let refused = false;
    for (const deployment of request.models ?? request.credential.allowedModels) {
      try {
        const response = await http.request({
          operation: 'probe deployment',
          method: 'POST',
          url: `${accountOf(request.credential).endpoint}/openai/deployments/${encodeURIComponent(deployment)}/chat/completions`,
          query: { 'api-version': dataPlaneApiVersion },
          headers,
          body: { messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 },
          idempotent: true,
          acceptStatuses: [400, 401, 403, 404],
          signal: request.signal,
        });
        if (response.status === 401) refused = true;
        models.push({ model: deployment, ok: response.status >= 200 && response.status < 300, status: response.status });
      } catch (error) {
        models.push({ model: deployment, ok: false, status: error instanceof ProviderError ? (error.status ?? null) : null });
      }
    }
    if (refused) return { liveness: 'unknown', scopeMatches: null, models, reason: 'the provider gave conflicting answers (a probe was refused)' };
    let scopeMatches: boolean | null = null;
    try {
      const keys = await readKeys(request.credential, request.signal);
      scopeMatches = sameValue(keys.key1, request.value) || sameValue(keys.key2, request.value);
    } catch {
      scopeMatches = null;
    }
    return { liveness: 'live', scopeMatches, models };
  }

  async function listKeys(request: { credential: ProviderCredentialRef; signal?: AbortSignal }): Promise<ProviderKeyInfo[]> {
    const keys = await readKeys(request.credential, request.signal);
    return (['key1', 'key2'] as const).map((slot) => ({
      providerKeyId: slot,
      name: slot,
      redactedValue: redactHint(keys[slot]),
      createdAt: null,
      lastUsedAt: null,
      status: 'active',
      providerData: { slot, hint: redactHint(keys[slot]) },
    }));
  }

  return {
    specificationVersion: PROVIDER_SPEC_VERSION,
    kind: 'azure-openai',
    capabilities: { mint: 'api', revoke: 'api', usage: false, listKeys: true },
    mint,
    test,
    revoke,
    listKeys,
  };
}

function slotOf(value: string | undefined): AzureKeySlot | undefined {
  const lower = value?.toLowerCase();
  return lower === 'key1' || lower === 'key2' ? lower : undefined;
}

function sameValue(candidate: string, value: SecretValue): boolean {
  const left = Buffer.from(candidate);
  const right = Buffer.from(value.reveal());
  return left.length === right.length && timingSafeEqual(left, right);
}
