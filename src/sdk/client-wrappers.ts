/**
 * Rotation-proof official clients. Each official client accepts a custom `fetch`; ours
 * puts the current key into the request and retries once with the other key on 401.
 * When the key source fails (endpoint unreachable, token refused or not allowed, no key),
 * the official client would wrap that in its own `APIConnectionError: Connection error.`
 * and hide the reason in `cause`; the returned client rejects with the source's named
 * error (`TokenRefusedError`…) instead, its reason in the message.
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
import { keySourceErrorIn, type FetchFunction } from './sdk-types.js';

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
  return surfaceKeySourceErrors(new OpenAIClient({ ...rest, apiKey: PLACEHOLDER_KEY, fetch: rotatingFetch(source, bearerInjector, baseFetch) } as unknown as Options));
}

export function rotationProofAnthropic<Options extends ClientOptionsShape, Client>(
  AnthropicClient: Constructor<Options, Client>,
  source: KeySource,
  options?: Omit<Options, 'apiKey' | 'authToken' | 'fetch'> & { fetch?: FetchFunction },
): Client {
  const { fetch: baseFetch, ...rest } = options ?? {};
  return surfaceKeySourceErrors(new AnthropicClient({ ...rest, apiKey: PLACEHOLDER_KEY, authToken: null, fetch: rotatingFetch(source, anthropicInjector, baseFetch) } as unknown as Options));
}

/** The key source's own error when the client's error wraps one (`APIConnectionError` → its `cause`), else the error itself. */
function surfaced(error: unknown): unknown {
  return keySourceErrorIn(error) ?? error;
}

/**
 * A view of a client in which every method's promise (and `APIPromise` helpers such as
 * `withResponse()`, and async iteration over pages) rejects with the key source's named error
 * instead of the client's wrapper. Methods run on the real objects, so private fields work.
 */
function surfaceKeySourceErrors<Client>(client: Client): Client {
  const views = new WeakMap<object, object>();

  function mapResult(result: unknown): unknown {
    if (result === null || (typeof result !== 'object' && typeof result !== 'function')) return result;
    const target = result as Record<PropertyKey, unknown>;
    if (typeof target['then'] !== 'function') return result;
    return new Proxy(target, {
      get(object, property) {
        const value = Reflect.get(object, property, object);
        if (property === 'then') {
          return (onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown) =>
            (object as unknown as Promise<unknown>).then(onFulfilled, (error: unknown) => {
              if (onRejected) return onRejected(surfaced(error));
              throw surfaced(error);
            });
        }
        if (property === 'catch') {
          return (onRejected?: (reason: unknown) => unknown) => (object as unknown as Promise<unknown>).then(undefined, (error: unknown) => {
            if (onRejected) return onRejected(surfaced(error));
            throw surfaced(error);
          });
        }
        if (property === Symbol.asyncIterator && typeof value === 'function') {
          return () => {
            const iterator = (value as () => AsyncIterator<unknown>).call(object);
            return {
              next: (...args: [] | [unknown]) => iterator.next(...args).catch((error: unknown) => Promise.reject(surfaced(error))),
              return: iterator.return === undefined ? undefined : (input?: unknown) => iterator.return!(input),
              [Symbol.asyncIterator]() {
                return this;
              },
            };
          };
        }
        if (typeof value === 'function') return (...args: unknown[]) => mapResult((value as (...a: unknown[]) => unknown).apply(object, args));
        return value;
      },
    });
  }

  function view(object: object): object {
    const known = views.get(object);
    if (known !== undefined) return known;
    const proxy = new Proxy(object, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (typeof value === 'function') {
          // Classes (e.g. `OpenAI.APIError`) and constructors pass through untouched.
          if (/^class[\s{]/.test(Function.prototype.toString.call(value))) return value;
          return (...args: unknown[]) => mapResult((value as (...a: unknown[]) => unknown).apply(target, args));
        }
        if (value !== null && typeof value === 'object' && !(value instanceof Promise) && Object.getPrototypeOf(value) !== Object.prototype) return view(value);
        return value;
      },
    });
    views.set(object, proxy);
    return proxy;
  }

  return view(client as object) as Client;
}
