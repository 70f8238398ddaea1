/**
 * Keys from the rekey delivery endpoint (`rekey serve`). After the first GET, a long
 * poll (`If-None-Match` + `?wait=`) returns as soon as the server sees a rotation, so a
 * new key reaches the application within a poll round trip. Failures back off with
 * jitter (0.25 s → 30 s) and keep the last good keys. Check-ins report which versions
 * this process used, for the rotation's grace check.
 */
import { SecretValue } from '../core/secret-value.js';
import {
  EndpointUnreachableError,
  KeySourceError,
  NoKeyError,
  TokenNotAllowedError,
  TokenRefusedError,
  type FetchFunction,
  type KeyDriver,
  type KeyList,
} from './sdk-types.js';

export interface EndpointDriverOptions {
  url: string;
  token: string;
  credential: string;
  instance?: string | undefined;
  /** Long-poll length asked of the server (default 25 s). */
  waitSeconds?: number | undefined;
  fetch?: FetchFunction | undefined;
}

interface KeysBody {
  generation: number;
  keys: Array<{ version: number; stage: 'current' | 'previous'; value: string }>;
}

function parseKeys(body: unknown): KeyList {
  const parsed = body as Partial<KeysBody> | null;
  const keys = parsed?.keys;
  if (!Array.isArray(keys)) throw new KeySourceError('the rekey endpoint answered without a keys list');
  const generation = typeof parsed?.generation === 'number' ? parsed.generation : null;
  return { generation, keys: keys.map((key) => {
    if (typeof key?.value !== 'string' || key.value === '' || !Number.isInteger(key.version) || (key.stage !== 'current' && key.stage !== 'previous')) {
      throw new KeySourceError('the rekey endpoint answered with a malformed key entry');
    }
    return { version: key.version, stage: key.stage, value: new SecretValue(key.value) };
  }) };
}

const sleep = (milliseconds: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, milliseconds);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

export function createEndpointDriver(options: EndpointDriverOptions): KeyDriver {
  const base = options.url.replace(/\/+$/, '');
  const keysUrl = `${base}/v1/credentials/${encodeURIComponent(options.credential)}/keys`;
  const doFetch = options.fetch ?? globalThis.fetch;
  const waitSeconds = options.waitSeconds ?? 25;
  const authorization = `Bearer ${options.token}`;
  let etag: string | undefined;

  /** Why the endpoint could not be reached, from the error's cause chain (ECONNREFUSED, ENOTFOUND…). */
  function unreachable(error: unknown): EndpointUnreachableError {
    const code = networkCode(error);
    const name = (error as Error | undefined)?.name ?? 'Error';
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    const host = hostOf(base);
    const why = timedOut
      ? 'no answer in time'
      : code === 'ECONNREFUSED'
        ? `connection refused (is \`rekey serve\` running at ${host}?)`
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? `the host name ${host} does not resolve`
          : `network error${code === undefined ? ` (${name})` : ` (${code})`}`;
    return new EndpointUnreachableError(`rekey endpoint ${base} is unreachable: ${why}; check from.url`, error);
  }

  function refused(status: number, what = 'keys'): KeySourceError {
    const where = `rekey endpoint ${base}${what === 'check-in' ? ' (check-in)' : ''}`;
    if (status === 401) return new TokenRefusedError(`${where} refused the read token (HTTP 401): it is wrong, revoked or expired; create one with \`rekey token create <app> --kind read --credential ${options.credential}\``);
    if (status === 403) return new TokenNotAllowedError(`${where}: the read token may not read ${options.credential} (HTTP 403); create a token for this credential`);
    if (status === 404) return new NoKeyError(`${where}: credential ${options.credential} does not exist (HTTP 404); check the name (rekey credential list)`);
    return new KeySourceError(`${where} answered HTTP ${status}: the server failed`);
  }

  async function request(wait: boolean, signal?: AbortSignal): Promise<KeyList | undefined> {
    const headers: Record<string, string> = { authorization, accept: 'application/json' };
    if (wait && etag !== undefined) headers['if-none-match'] = etag;
    const timeout = AbortSignal.timeout((wait ? waitSeconds + 15 : 15) * 1000);
    const url = wait && etag !== undefined ? `${keysUrl}?wait=${waitSeconds}` : keysUrl;
    let response: Response;
    try {
      response = await doFetch(url, { headers, signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]) });
    } catch (error) {
      throw unreachable(error);
    }
    if (response.status === 304) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw refused(response.status);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw unreachable(error);
      throw new KeySourceError(`rekey endpoint ${base} answered HTTP ${response.status} with a body that is not JSON; check that from.url is the rekey serve endpoint`);
    }
    const keys = parseKeys(body);
    etag = response.headers.get('etag') ?? undefined;
    return keys;
  }

  return {
    async load() {
      const list = await request(false);
      if (list === undefined || list.keys.length === 0) throw new NoKeyError(`rekey endpoint ${base}: credential ${options.credential} has no key yet (rotate or add one: rekey credential add)`);
      return list;
    },

    watch(emit, onError) {
      const controller = new AbortController();
      void (async () => {
        let backoff = 250;
        while (!controller.signal.aborted) {
          try {
            const list = await request(true, controller.signal);
            backoff = 250;
            if (list !== undefined && list.keys.length > 0) emit(list);
          } catch (error) {
            if (controller.signal.aborted) return;
            onError(error as Error);
            await sleep(backoff / 2 + Math.random() * backoff, controller.signal);
            backoff = Math.min(backoff * 2, 30_000);
          }
        }
      })();
      return () => controller.abort();
    },

    async checkIn(versions) {
      const body = JSON.stringify({ credential: options.credential, versions, ...(options.instance === undefined ? {} : { instance: options.instance }) });
      let response: Response;
      try {
        response = await doFetch(`${base}/v1/check-ins`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(10_000),
        });
      } catch (error) {
        throw unreachable(error);
      }
      await response.body?.cancel();
      if (!response.ok) throw refused(response.status, 'check-in');
    },
  };
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
