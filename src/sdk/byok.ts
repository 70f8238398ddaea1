/**
 * `rekey-cli/byok` — the SaaS application's client for bring-your-own-key (issue 20): store
 * a user's own provider key (validated by rekey first), use it (a `SecretValue`, every use
 * counted), list metadata, delete, re-check, and report a 401/429 seen with it. It talks to
 * `rekey serve` with a BYOK service token (`rekey byok token create`), and, like the SDK,
 * imports nothing but core. `verifyNotice` checks a notice webhook's Standard Webhooks
 * signature with the tenant's signing secret. rekey never mints, rotates or revokes these keys.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SecretValue } from '../core/secret-value.js';

export { SecretValue };

export type ByokProvider = 'openai' | 'anthropic' | 'openrouter';
export type ByokStatus = 'valid' | 'invalid' | 'no-quota' | 'no-model-access' | 'unknown';

export interface ByokKey {
  id: string;
  tenant: string;
  userRef: string;
  provider: ByokProvider;
  label: string;
  hint: string;
  status: ByokStatus;
  statusDetail: string | null;
  createdAt: string;
  lastValidatedAt: string | null;
  lastUsedAt: string | null;
  uses: number;
}

export interface ByokValidation {
  status: ByokStatus;
  detail: string;
}

export interface ByokClientOptions {
  /** `rekey serve`'s URL, e.g. `https://rekey:8420`. */
  url: string;
  /** The BYOK service token (`rk_byok_…`). */
  token: string;
  tenant: string;
  fetch?: typeof fetch;
}

/** A refusal from rekey with its stable code; never carries a key value. */
export class ByokError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ByokError';
  }
}

export interface ByokClient {
  put(input: { userRef: string; provider: ByokProvider; label?: string; value: string | SecretValue }): Promise<{ stored: boolean; key: ByokKey | null; validation: ByokValidation }>;
  get(ref: { id: string } | { userRef: string; provider: ByokProvider; label?: string }): Promise<{ key: ByokKey; value: SecretValue }>;
  list(options?: { userRef?: string; after?: string; limit?: number }): Promise<ByokKey[]>;
  delete(id: string): Promise<void>;
  check(id: string): Promise<{ key: ByokKey; validation: ByokValidation; notice: string | null }>;
  reportFailure(id: string, httpStatus: number): Promise<{ key: ByokKey; rechecked: boolean; notice: string | null }>;
}

export function createByokClient(options: ByokClientOptions): ByokClient {
  const base = `${options.url.replace(/\/+$/, '')}/v1/byok/${encodeURIComponent(options.tenant)}`;
  const doFetch = options.fetch ?? fetch;
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await doFetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new ByokError(response.status, 'bad-answer', `rekey answered ${response.status} with a body that is not JSON`);
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } }).error;
      throw new ByokError(response.status, error?.code ?? 'error', error?.message ?? `rekey answered ${response.status}`);
    }
    return parsed as T;
  }
  return {
    put: (input) => call('POST', '/keys', { userRef: input.userRef, provider: input.provider, ...(input.label === undefined ? {} : { label: input.label }), value: typeof input.value === 'string' ? input.value : input.value.reveal() }),
    async get(ref) {
      const answer = await call<{ key: ByokKey; value: string }>('POST', '/use', ref);
      return { key: answer.key, value: new SecretValue(answer.value) };
    },
    list(listOptions = {}) {
      const query = new URLSearchParams();
      if (listOptions.userRef !== undefined) query.set('user', listOptions.userRef);
      if (listOptions.after !== undefined) query.set('after', listOptions.after);
      if (listOptions.limit !== undefined) query.set('limit', String(listOptions.limit));
      const text = query.toString();
      return call('GET', `/keys${text === '' ? '' : `?${text}`}`);
    },
    async delete(id) {
      await call('DELETE', `/keys/${encodeURIComponent(id)}`);
    },
    check: (id) => call('POST', `/keys/${encodeURIComponent(id)}/check`),
    reportFailure: (id, httpStatus) => call('POST', `/keys/${encodeURIComponent(id)}/failures`, { status: httpStatus }),
  };
}

export interface ByokNotice {
  type: string;
  tenant: string;
  userRef: string;
  keyId: string;
  provider: ByokProvider;
  label: string;
  reason: 'invalid' | 'no-quota' | 'no-model-access' | 'age' | 'unused' | 'leaked';
  message: string;
  at: string;
}

/**
 * Checks a notice's Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) with the tenant's `whsec_…` secret and a 5-minute window; returns the
 * notice, or undefined when the signature or time does not hold.
 */
export function verifyNotice(secret: string, headers: Readonly<Record<string, string | string[] | undefined>>, body: string, now: Date = new Date()): ByokNotice | undefined {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = header('webhook-id');
  const stamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (id === undefined || stamp === undefined || signatures === undefined || !/^\d{1,12}$/.test(stamp)) return undefined;
  if (Math.abs(Number(stamp) - Math.floor(now.getTime() / 1000)) > 300) return undefined;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = Buffer.from(`v1,${createHmac('sha256', key).update(`${id}.${stamp}.${body}`, 'utf8').digest('base64')}`);
  const ok = signatures.split(' ').some((offered) => {
    const given = Buffer.from(offered);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return ok ? (JSON.parse(body) as ByokNotice) : undefined;
}
