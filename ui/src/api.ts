/**
 * The dashboard talks to `rekey serve` over HTTP only, on the same origin. The session is an
 * HttpOnly cookie this code never sees; state changes carry the CSRF token in X-Rekey-CSRF.
 */
let csrf: string | undefined;

export function setCsrf(token: string | undefined): void {
  csrf = token;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  approval?: string | undefined;
}

export async function api<T>(path: string, options: CallOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf !== undefined) headers['x-rekey-csrf'] = csrf;
  if (options.approval !== undefined) headers['x-rekey-approval'] = options.approval;
  const response = await fetch(path, { method, headers, credentials: 'same-origin', body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  const json = text === '' ? undefined : (JSON.parse(text) as unknown);
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } & Record<string, unknown> } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? 'error', error?.message ?? `HTTP ${response.status}`, error ?? {});
  }
  return json as T;
}

export const enc = encodeURIComponent;

export interface Version {
  number: number;
  stage: string;
  hint: string;
  fingerprint: string;
  providerKeyId: string | null;
  mintedBy: string;
  createdAt: string;
  stageChangedAt: string;
  shreddedAt: string | null;
}

export interface Credential {
  name: string;
  id: string;
  provider: string;
  environment: string;
  owner: string | null;
  purpose: string | null;
  tags: Record<string, string>;
  scope: Record<string, string>;
  allowedModels: string[];
  policy: { rotateEveryDays?: number; maxAgeDays?: number; graceQuietSeconds?: number; graceMaxSeconds?: number; onLeak?: string };
  createdAt: string;
  updatedAt: string;
}

export interface User {
  name: string;
  displayName: string | null;
  groups: string[];
  status: string;
  mfa: string;
}

export interface Whoami {
  user: User;
  session: { id: string; expiresAt: string; mfa: string | null };
  grants: { role: string; scope: string; capabilities: string[] }[];
  csrf?: string;
}
