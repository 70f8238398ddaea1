/**
 * A request with the current key, retried once with the other valid key when the
 * provider answers 401 — the moment right after a rotation when this process has not
 * yet heard of it, or the provider has not yet activated the new key. Bodies are made
 * replayable first (a stream is read into memory), so the retry sends the same request.
 */
import type { KeySource } from './key-source.js';
import type { FetchFunction, SdkKey } from './sdk-types.js';

/** Puts `key` into the outgoing headers (Bearer for OpenAI, `x-api-key` for Anthropic). */
export type KeyInjector = (headers: Headers, key: SdkKey) => void;

async function replayable(input: string | URL | Request, init: RequestInit | undefined): Promise<{ url: string | URL; init: RequestInit }> {
  if (input instanceof Request) {
    const body = input.body === null ? undefined : await input.arrayBuffer();
    return {
      url: input.url,
      init: { method: input.method, headers: input.headers, body, signal: input.signal, redirect: input.redirect, ...init },
    };
  }
  const body = init?.body;
  if (body instanceof ReadableStream) {
    return { url: input, init: { ...init, body: await new Response(body).arrayBuffer() } };
  }
  return { url: input, init: { ...init } };
}

export async function fetchWithKeys(
  source: KeySource,
  inject: KeyInjector,
  input: string | URL | Request,
  init?: RequestInit,
  fetchImplementation: FetchFunction = globalThis.fetch,
): Promise<Response> {
  const request = await replayable(input, init);
  const send = (key: SdkKey): Promise<Response> => {
    const headers = new Headers(request.init.headers);
    inject(headers, key);
    source.recordUse(key);
    return fetchImplementation(request.url, { ...request.init, headers });
  };

  const first = await source.current();
  const response = await send(first);
  if (response.status !== 401) return response;

  // Maybe a rotation happened that we have not heard of: reload (or share a reload that
  // started after this 401 arrived: only such a read is sure to see what caused it), then
  // try a key we have not tried.
  await source.refresh({ notOlderThan: performance.now() });
  const other = (await source.candidates()).find((key) => !key.value.equals(first.value));
  if (other === undefined) return response;
  await response.body?.cancel();
  return send(other);
}
