/** Helpers the per-adapter contract runs share: fault knobs, lossy fetches, made-up keys. */
import { randomBytes } from 'node:crypto';
import type { FetchFunction, RetrySettings } from '../../src/providers/http/provider-http.js';

/** Faults on, as the contract demands: 429s with retry-after, 5xx, delays, latency. */
export const CONTRACT_FAULTS = {
  activationDelayMs: 1500,
  revocationDelayMs: 1000,
  rate429: 0.12,
  retryAfterSeconds: 1,
  rate5xx: 0.1,
  latencyMs: 5,
} as const;

/** Short waits so that the suite runs in seconds, generous attempts so that faults are ridden out. */
export const CONTRACT_RETRY: Partial<RetrySettings> = { maxAttempts: 10, baseDelayMs: 20, maxDelayMs: 400, timeoutMs: 15_000, maxTotalMs: 60_000 };

export function connectionError(code: string): Error {
  return Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(`socket ${code}`), { code }) });
}

/**
 * A fetch that lets the first successful answer to a matching request reach the server
 * and then loses it (the provider acted, the caller never hears). In `crash` mode every
 * later call fails too, as if the process had died.
 */
export function lossyFetch(matches: (url: URL, init: RequestInit | undefined) => boolean, mode: 'retry' | 'crash'): FetchFunction {
  let lost = false;
  return async (input, init) => {
    if (lost && mode === 'crash') throw connectionError('ECONNREFUSED');
    const response = await globalThis.fetch(input, init);
    if (!lost && response.ok && matches(new URL(String(input)), init)) {
      lost = true;
      await response.arrayBuffer();
      throw connectionError('ECONNRESET');
    }
    return response;
  };
}

/** Fetch a JSON admin endpoint of the emulator with faults on, riding out 429/5xx (test ground truth). */
export async function fetchJsonPatiently(url: string, headers: Record<string, string>, method = 'GET'): Promise<unknown> {
  for (let attempt = 0; attempt < 60; attempt += 1) {
    const response = await globalThis.fetch(url, { headers, method });
    if (response.ok) return response.json() as Promise<unknown>;
    await response.arrayBuffer();
    if (response.status !== 429 && response.status < 500) throw new Error(`ground-truth request failed with HTTP ${response.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('ground-truth request kept failing');
}

export function randomToken(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('');
}

export const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/**
 * A fetch whose error answers echo a planted secret in full, as real providers do for
 * short keys: an adapter that copied a response body into an error would leak it.
 */
export function echoingFetch(planted?: string, inner: FetchFunction = (input, init) => globalThis.fetch(input, init)): FetchFunction {
  return async (input, init) => {
    const response = await inner(input, init);
    if (response.status < 400) return response;
    // Without a planted value, echo the credentials this very request sent.
    const sent = Object.values((init?.headers ?? {}) as Record<string, string>).filter((value) => value.length >= 16);
    const echo = planted ?? sent.join(' ');
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = {};
    }
    const echoed = typeof body === 'object' && body !== null ? { ...body } : {};
    const error = (echoed as { error?: unknown }).error;
    (echoed as Record<string, unknown>)['error'] = {
      ...(typeof error === 'object' && error !== null ? error : {}),
      message: `Incorrect API key provided: ${echo}.`,
    };
    (echoed as Record<string, unknown>)['detail'] = echo;
    return new Response(JSON.stringify(echoed), { status: response.status, headers: response.headers });
  };
}
