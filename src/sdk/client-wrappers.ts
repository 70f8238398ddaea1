/**
 * Rotation-proof official clients. Each official client accepts a custom `fetch`; ours
 * puts the current key into the request and retries once with the other key on 401.
 * The client classes are passed in, so this module imports neither SDK:
 *
 *   import OpenAI from 'openai';
 *   const openai = rotationProofOpenAI(OpenAI, source, { baseURL });
 *
 *   import Anthropic from '@anthropic-ai/sdk';
 *   const anthropic = rotationProofAnthropic(Anthropic, source);
 */
import type { KeySource } from './key-source.js';
import { bearerInjector } from './key-source.js';
import { fetchWithKeys, type KeyInjector } from './rotating-fetch.js';
import type { FetchFunction } from './sdk-types.js';

/** The options every official client takes that we set ourselves. */
interface ClientOptionsShape {
  apiKey?: unknown;
  fetch?: unknown;
}

type Constructor<Options, Client> = new (options?: Options) => Client;

/** Sent as the client's own key: never valid, always replaced by the rotating fetch. */
const PLACEHOLDER_KEY = 'rekey-managed-key';

export const anthropicInjector: KeyInjector = (headers, key) => {
  headers.delete('authorization');
  headers.set('x-api-key', key.value.reveal());
};

/** A `fetch` for any client: injects the source's key with `inject`, retries once on 401. */
export function rotatingFetch(source: KeySource, inject: KeyInjector = bearerInjector, baseFetch?: FetchFunction): FetchFunction {
  return (input, init) => fetchWithKeys(source, inject, input, init, baseFetch ?? globalThis.fetch);
}

export function rotationProofOpenAI<Options extends ClientOptionsShape, Client>(
  OpenAIClient: Constructor<Options, Client>,
  source: KeySource,
  options?: Omit<Options, 'apiKey' | 'fetch'> & { fetch?: FetchFunction },
): Client {
  const { fetch: baseFetch, ...rest } = options ?? {};
  return new OpenAIClient({ ...rest, apiKey: PLACEHOLDER_KEY, fetch: rotatingFetch(source, bearerInjector, baseFetch) } as unknown as Options);
}

export function rotationProofAnthropic<Options extends ClientOptionsShape, Client>(
  AnthropicClient: Constructor<Options, Client>,
  source: KeySource,
  options?: Omit<Options, 'apiKey' | 'authToken' | 'fetch'> & { fetch?: FetchFunction },
): Client {
  const { fetch: baseFetch, ...rest } = options ?? {};
  return new AnthropicClient({ ...rest, apiKey: PLACEHOLDER_KEY, authToken: null, fetch: rotatingFetch(source, anthropicInjector, baseFetch) } as unknown as Options);
}
