/**
 * The one HTTP helper for sinks that talk to a JSON API (Vault, GitHub, GitLab, webhooks).
 * It adds a timeout, decodes JSON, and turns every failure into a value-free SinkError that
 * says whether a retry can help (network trouble, 408, 429, 5xx) or not (4xx). It never
 * puts a request or response body, a header or a query string in an error: those can
 * carry a key or a token. Retrying is the caller's business (the rotation engine retries
 * retryable sink errors with backoff).
 */
import { SinkError } from '../core/errors.js';

export interface SinkHttpOptions {
  /** The sink kind, for SinkError.sink. */
  sink: string;
  /** The sink's one-line description, prefixed to every message. */
  label: string;
  baseUrl: string;
  headers: Record<string, string>;
  timeoutMs?: number | undefined;
}

export interface SinkHttpRequest {
  method: string;
  /** Path under the base URL, already encoded. */
  path: string;
  body?: unknown;
  /** A body already serialised (a signed webhook), sent byte for byte. */
  rawBody?: string | undefined;
  /** Statuses the caller handles itself (e.g. 404 as "absent"); others throw. 2xx always pass. */
  accept?: number[] | undefined;
  /** What the call is for, in messages: "read the secret". */
  action: string;
  /** Extra headers for this call (a content type for a patch). */
  headers?: Record<string, string> | undefined;
}

export interface SinkHttpResponse {
  status: number;
  /** Decoded JSON, or undefined when the body was empty or not JSON. */
  body: unknown;
}

export interface SinkHttp {
  request(request: SinkHttpRequest): Promise<SinkHttpResponse>;
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export function createSinkHttp(options: SinkHttpOptions): SinkHttp {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const base = options.baseUrl.replace(/\/+$/, '');
  const fail = (message: string, isRetryable: boolean, cause?: Record<string, unknown>): SinkError =>
    new SinkError(`${options.label}: ${message}`, { sink: options.sink, isRetryable, cause });

  return {
    async request(request) {
      let response: Response;
      try {
        response = await fetch(`${base}${request.path}`, {
          method: request.method,
          headers: {
            accept: 'application/json',
            ...(request.body === undefined && request.rawBody === undefined ? {} : { 'content-type': 'application/json' }),
            ...options.headers,
            ...request.headers,
          },
          body: request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body)),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'manual',
        });
      } catch (error) {
        const name = (error as Error | undefined)?.name;
        const code = ((error as { cause?: { code?: unknown } } | undefined)?.cause?.code ?? undefined) as string | undefined;
        if (name === 'TimeoutError') throw fail(`could not ${request.action}: no answer within ${timeoutMs / 1000}s`, true);
        throw fail(`could not ${request.action}: the server could not be reached${code === undefined ? '' : ` (${code})`}`, true, code === undefined ? undefined : { code });
      }
      const text = await response.text().catch(() => '');
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      const ok = (response.status >= 200 && response.status < 300) || (request.accept ?? []).includes(response.status);
      if (!ok) {
        const retryAfter = Number(response.headers.get('retry-after'));
        throw fail(`could not ${request.action}: the server answered HTTP ${response.status}`, isRetryableStatus(response.status), {
          status: response.status,
          ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
        });
      }
      return { status: response.status, body };
    },
  };
}

/** `a/b c` → `a/b%20c`: encode each path segment, keep the slashes. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .filter((segment) => segment !== '')
    .map(encodeURIComponent)
    .join('/');
}
