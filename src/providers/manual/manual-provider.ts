/**
 * The manual adapter: any key at all. A person supplies each new value and revokes old
 * ones in the vendor's console; rekey checks liveness with a configurable HTTP request
 * (method, URL, a header built from a template such as `Bearer {key}`, and which statuses
 * mean "works" and "refused"). The key goes only into that header, never the URL or body.
 */
import { ConfigError, ProviderError } from '../../core/errors.js';
import { SecretValue } from '../../core/secret-value.js';
import { createProviderHttp, type ProviderTransportOptions } from '../http/provider-http.js';
import type { HttpMethod } from '../http/provider-http.js';
import { needsHumanRevoke, needsHumanValue } from '../provider-human.js';
import { waitUntilLive } from '../provider-liveness.js';
import { PROVIDER_SPEC_VERSION } from '../provider-spec.js';
import type { KeyTestRequest, KeyTestResult, MintRequest, MintedKey, ProviderCredentialRef, ProviderV1, RevokeResult } from '../provider-spec.js';

export interface ManualLivenessCheck {
  url: string;
  method?: HttpMethod | undefined;
  /** Default `authorization`. */
  headerName?: string | undefined;
  /** Must contain `{key}` once. Default `Bearer {key}`. */
  headerTemplate?: string | undefined;
  /** Extra non-secret headers (e.g. `anthropic-version`). */
  headers?: Record<string, string> | undefined;
  /** A JSON body for POST checks; it must not contain the key. */
  body?: unknown;
  /** Default: any 2xx. */
  successStatuses?: readonly number[] | undefined;
  /** Default: 401 and 403. */
  deadStatuses?: readonly number[] | undefined;
}

export interface ManualProviderOptions extends ProviderTransportOptions {
  /**
   * Without a check, keys are accepted unverified and liveness is always `unknown`. A
   * credential can carry its own in its scope (`checkUrl`, `checkMethod`, `checkHeader`,
   * `checkTemplate`, `checkSuccess: "200,204"`, `checkDead: "401,403"`), which wins.
   */
  check?: ManualLivenessCheck | null | undefined;
  /** How long mint waits for a supplied key to start answering. Default 60 s. */
  activationTimeoutMs?: number | undefined;
}

export function createManualProvider(options: ManualProviderOptions = {}): ProviderV1 {
  const defaultCheck = options.check ? validateCheck(options.check) : null;
  const checkFor = (credential: ProviderCredentialRef) => checkFromScope(credential.scope) ?? defaultCheck;
  const http = createProviderHttp({ provider: 'manual', fetch: options.fetch, sleep: options.sleep, now: options.now, retry: options.retry });

  async function test(request: KeyTestRequest): Promise<KeyTestResult> {
    const check = checkFor(request.credential);
    if (!check) return { liveness: 'unknown', scopeMatches: null, models: [], reason: 'no liveness check is configured for this credential' };
    const headers: Record<string, string | SecretValue> = { ...check.headers };
    headers[check.headerName] = new SecretValue(check.headerTemplate.replace('{key}', request.value.reveal()));
    try {
      const response = await http.request({
        operation: 'liveness check',
        method: check.method,
        url: check.url,
        headers,
        body: check.body,
        idempotent: true,
        acceptStatuses: [...check.successStatuses, ...check.deadStatuses],
        signal: request.signal,
      });
      if (check.successStatuses.includes(response.status)) return { liveness: 'live', scopeMatches: null, models: [] };
      if (check.deadStatuses.includes(response.status)) return { liveness: 'dead', scopeMatches: null, models: [], reason: `the key was refused (HTTP ${response.status})` };
      return { liveness: 'unknown', scopeMatches: null, models: [], reason: `unexpected HTTP ${response.status}` };
    } catch (error) {
      return { liveness: 'unknown', scopeMatches: null, models: [], reason: error instanceof ProviderError ? error.message : 'the check failed' };
    }
  }

  async function mint(request: MintRequest): Promise<MintedKey> {
    if (!request.suppliedValue) throw needsHumanValue('manual');
    if (checkFor(request.credential)) {
      const waited = await waitUntilLive({
        provider: { test },
        request: { credential: request.credential, value: request.suppliedValue, signal: request.signal },
        timeoutMs: options.activationTimeoutMs ?? 60_000,
        sleep: options.sleep,
        now: options.now,
      });
      if (!waited.reached) {
        throw new ProviderError(`manual: the supplied key does not pass the liveness check (${waited.last.reason ?? waited.last.liveness}); it was not accepted`, {
          provider: 'manual',
          providerCode: 'supplied-key-not-live',
          isRetryable: waited.last.liveness === 'unknown',
        });
      }
    }
    return { value: request.suppliedValue, providerKeyId: null, providerData: {} };
  }

  async function revoke(): Promise<RevokeResult> {
    throw needsHumanRevoke('manual');
  }

  return {
    specificationVersion: PROVIDER_SPEC_VERSION,
    kind: 'manual',
    capabilities: { mint: 'human', revoke: 'human', usage: false, listKeys: false },
    mint,
    test,
    revoke,
  };
}

type ResolvedCheck = Required<Pick<ManualLivenessCheck, 'url' | 'method' | 'headerName' | 'headerTemplate' | 'successStatuses' | 'deadStatuses'>> & { headers: Record<string, string>; body: unknown };

function validateCheck(check: ManualLivenessCheck): ResolvedCheck {
  let url: URL;
  try {
    url = new URL(check.url);
  } catch {
    throw new ConfigError('manual provider: check.url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('manual provider: check.url must be http or https');
  if (check.url.includes('{key}') || decodeURIComponent(check.url).includes('{key}')) {
    throw new ConfigError('manual provider: check.url must not contain {key}; keys go only in a header', { hint: 'use headerName and headerTemplate, e.g. "Bearer {key}"' });
  }
  const headerTemplate = check.headerTemplate ?? 'Bearer {key}';
  if (headerTemplate.split('{key}').length !== 2) throw new ConfigError('manual provider: check.headerTemplate must contain {key} exactly once');
  const headerName = (check.headerName ?? 'authorization').toLowerCase();
  if (!/^[a-z0-9-]+$/.test(headerName)) throw new ConfigError('manual provider: check.headerName is not a valid header name');
  if (check.body !== undefined && JSON.stringify(check.body).includes('{key}')) throw new ConfigError('manual provider: check.body must not contain {key}');
  const successStatuses = check.successStatuses ?? [200, 201, 202, 204];
  const deadStatuses = check.deadStatuses ?? [401, 403];
  if (successStatuses.some((status) => deadStatuses.includes(status))) throw new ConfigError('manual provider: a status cannot mean both live and dead');
  return { url: check.url, method: check.method ?? 'GET', headerName, headerTemplate, headers: check.headers ?? {}, body: check.body, successStatuses, deadStatuses };
}

function checkFromScope(scope: Record<string, string>): ResolvedCheck | null {
  const url = scope['checkUrl'];
  if (!url) return null;
  const statuses = (text: string | undefined, name: string) => {
    if (text === undefined) return undefined;
    const list = text.split(',').map((part) => Number(part.trim()));
    if (list.some((status) => !Number.isInteger(status) || status < 100 || status > 599)) throw new ConfigError(`manual provider: scope.${name} must be a comma-separated list of HTTP statuses`);
    return list;
  };
  const method = scope['checkMethod']?.toUpperCase();
  if (method !== undefined && !['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) throw new ConfigError('manual provider: scope.checkMethod is not an HTTP method');
  return validateCheck({
    url,
    method: method as HttpMethod | undefined,
    headerName: scope['checkHeader'],
    headerTemplate: scope['checkTemplate'],
    successStatuses: statuses(scope['checkSuccess'], 'checkSuccess'),
    deadStatuses: statuses(scope['checkDead'], 'checkDead'),
  });
}
