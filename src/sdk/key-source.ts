/**
 * `createKeySource`: the application's handle on one credential. It loads the key set
 * (current, plus previous during a rotation's grace), keeps it fresh without a restart,
 * and counts which version each request used so the rotation knows when the old key
 * has gone quiet. It never logs; background errors go to `onError` (messages carry no key).
 */
import { isLoopbackHost } from '../core/loopback-host.js';
import { createEndpointDriver } from './endpoint-driver.js';
import { createEnvironmentDriver, createFileDriver } from './file-driver.js';
import { fetchWithKeys, type KeyInjector } from './rotating-fetch.js';
import { KeySourceConfigError, NoKeyError, type FetchFunction, type KeyDriver, type KeyList, type KeySourceOrigin, type SdkKey } from './sdk-types.js';

export interface KeySourceOptions {
  /** The credential name, e.g. `openai/ticketing/prod`. */
  credential: string;
  from: KeySourceOrigin;
  /**
   * Every failure: the first load, background refreshes and check-ins (the last good keys
   * stay in use). Errors are `KeySourceError` subclasses with a reason in the message.
   */
  onError?: (error: Error) => void;
  /** The fetch used to reach the rekey endpoint (default: global fetch). */
  fetch?: FetchFunction;
}

export interface KeySource {
  readonly credential: string;
  /** The key to use now. Loads on first call. */
  current(): Promise<SdkKey>;
  /** Every valid key, current first (two during a rotation's grace). */
  candidates(): Promise<SdkKey[]>;
  /** The last loaded keys without waiting (undefined before the first load). */
  peek(): readonly SdkKey[] | undefined;
  /**
   * Reload now. With `notOlderThan` (a `performance.now()` time, e.g. when a 401 arrived),
   * a reload started at or after that time is reused instead of starting another, so a
   * burst of 401s costs at most two reloads.
   */
  refresh(options?: { notOlderThan?: number }): Promise<void>;
  onChange(listener: (keys: readonly SdkKey[]) => void): () => void;
  /** Count one request made with `key` (the wrappers do this for you). */
  recordUse(key: SdkKey): void;
  /** `fetch` that sends the current key as `Authorization: Bearer` and retries once with the other key on 401. */
  fetchWithRotation(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Stops watching and sends a last check-in. */
  close(): Promise<void>;
}

function sameKeys(left: readonly SdkKey[] | undefined, right: readonly SdkKey[]): boolean {
  return left !== undefined && left.length === right.length && left.every((key, index) => {
    const other = right[index];
    return other !== undefined && other.version === key.version && other.stage === key.stage && other.value.equals(key.value);
  });
}

function driverFor(options: KeySourceOptions): KeyDriver {
  const from = options.from;
  if ('url' in from) {
    return createEndpointDriver({ url: from.url, token: from.token, credential: options.credential, instance: from.instance, waitSeconds: from.waitSeconds, fetch: options.fetch });
  }
  if ('file' in from) return createFileDriver(from);
  return createEnvironmentDriver(from);
}

/** Options that cannot work are refused at creation, with what to set: not at the first request. */
function checkOptions(options: KeySourceOptions): void {
  if (typeof options !== 'object' || options === null) throw new KeySourceConfigError('createKeySource needs options: { credential, from }');
  if (typeof options.credential !== 'string' || options.credential.trim() === '') {
    throw new KeySourceConfigError('credential must be a non-empty name, e.g. openai/ticketing/prod');
  }
  const from = options.from as unknown;
  if (typeof from !== 'object' || from === null) throw new KeySourceConfigError('from must be { url, token }, { file, variable } or { env }');
  if ('url' in from) {
    const { url, token, allowInsecureHttp } = from as { url: unknown; token?: unknown; allowInsecureHttp?: unknown };
    if (typeof url !== 'string' || !/^https?:\/\/[^/]/.test(url)) {
      throw new KeySourceConfigError(`from.url must be the http(s) URL of rekey serve, e.g. https://rekey:8420 (got ${typeof url === 'string' ? JSON.stringify(url.slice(0, 80)) : typeof url})`);
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new KeySourceConfigError(`from.url is not a valid URL: ${JSON.stringify(url.slice(0, 80))}`);
    }
    // The read token and the keys would cross the network in clear.
    if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname) && allowInsecureHttp !== true) {
      throw new KeySourceConfigError(
        `from.url ${parsed.origin} is plain http to a host that is not loopback: the read token and the keys would cross the network unencrypted; use https (rekey serve --tls-cert/--tls-key), or set from.allowInsecureHttp: true to accept the risk`,
      );
    }
    if (typeof token !== 'string' || token.trim() === '') {
      throw new KeySourceConfigError(
        'from.token is missing or empty: pass the read token (e.g. process.env.REKEY_READ_TOKEN; create one with `rekey token create <app> --kind read --credential <name>`)',
      );
    }
    return;
  }
  if ('file' in from) {
    const { file, variable } = from as { file: unknown; variable?: unknown };
    if (typeof file !== 'string' || file === '') throw new KeySourceConfigError('from.file must be the path of the env file the env-file sink writes');
    if (typeof variable !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) throw new KeySourceConfigError('from.variable must name the variable in the env file, e.g. OPENAI_API_KEY');
    return;
  }
  if ('env' in from) {
    const name = (from as { env: unknown }).env;
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new KeySourceConfigError('from.env must name an environment variable, e.g. OPENAI_API_KEY');
    return;
  }
  throw new KeySourceConfigError('from must be { url, token }, { file, variable } or { env }');
}

export const bearerInjector: KeyInjector = (headers, key) => headers.set('authorization', `Bearer ${key.value.reveal()}`);

export function createKeySource(options: KeySourceOptions): KeySource {
  checkOptions(options);
  const driver = driverFor(options);
  const onError = options.onError ?? (() => undefined);
  const checkInInterval = 'url' in options.from ? (options.from.checkInIntervalMilliseconds ?? 15_000) : 0;
  const listeners = new Set<(keys: readonly SdkKey[]) => void>();
  let keys: SdkKey[] | undefined;
  let generation: number | null = null;
  let loading: Promise<SdkKey[]> | undefined;
  let refreshing: { startedAt: number; done: Promise<void> } | undefined;
  let lastLoadStartedAt = Number.NEGATIVE_INFINITY;
  let stopWatching: (() => void) | undefined;
  let closed = false;
  const uses = new Map<number, number>();
  const lastUse = new Map<number, number>();
  const reported = new Set<number>();
  let checkInTimer: NodeJS.Timeout | undefined;
  let promptCheckIn: NodeJS.Timeout | undefined;

  let followUp: Promise<void> | undefined;

  function reload(): Promise<void> {
    const startedAt = performance.now();
    lastLoadStartedAt = startedAt;
    const done = driver
      .load()
      .then(accept, (error: unknown) => onError(error as Error))
      .finally(() => {
        if (refreshing?.done === done) refreshing = undefined;
      });
    refreshing = { startedAt, done };
    return done;
  }

  function accept(list: KeyList): void {
    // A late answer (an older generation than we hold) must not bring an old key back.
    if (list.generation !== null && generation !== null && list.generation < generation) return;
    if (list.generation !== null) generation = list.generation;
    const next = list.keys;
    if (sameKeys(keys, next)) return;
    keys = next;
    for (const listener of listeners) {
      try {
        listener(next);
      } catch (error) {
        onError(error as Error);
      }
    }
  }

  function start(): Promise<SdkKey[]> {
    lastLoadStartedAt = performance.now();
    loading ??= driver.load().then(
      (loaded) => {
        accept(loaded);
        if (!closed && driver.watch !== undefined) stopWatching = driver.watch(accept, onError);
        if (!closed && driver.checkIn !== undefined && checkInInterval > 0) {
          checkInTimer = setInterval(() => void checkIn(), checkInInterval);
          checkInTimer.unref();
        }
        return loaded.keys;
      },
      (error: unknown) => {
        loading = undefined;
        onError(error as Error);
        throw error;
      },
    );
    return loading.then(() => keys ?? []);
  }

  async function checkIn(): Promise<void> {
    if (driver.checkIn === undefined) return;
    const counted = [...uses.entries()].filter(([, requests]) => requests > 0);
    const held = keys?.[0]?.version ?? null;
    const versions =
      counted.length > 0
        ? counted.map(([version, requests]) => ({ version, requests, ...(lastUse.has(version) ? { lastUsedAt: lastUse.get(version) } : {}) }))
        : held === null
          ? []
          : [{ version: held, requests: 0 }];
    if (versions.length === 0) return;
    for (const [version] of counted) uses.set(version, 0);
    try {
      await driver.checkIn(versions);
      for (const entry of versions) reported.add(entry.version);
    } catch (error) {
      // Put the counts back so the next check-in carries them.
      for (const [version, requests] of counted) uses.set(version, (uses.get(version) ?? 0) + requests);
      onError(error as Error);
    }
  }

  const source: KeySource = {
    credential: options.credential,

    async current() {
      const list = keys ?? (await start());
      const first = list[0];
      if (first === undefined) throw new NoKeyError(`credential ${options.credential} has no key`);
      return first;
    },

    async candidates() {
      return [...(keys ?? (await start()))];
    },

    peek: () => keys,

    refresh(options = {}) {
      if (keys === undefined) return start().then(() => undefined);
      const notOlderThan = options.notOlderThan ?? performance.now();
      if (refreshing === undefined) return lastLoadStartedAt >= notOlderThan ? Promise.resolve() : reload();
      if (refreshing.startedAt >= notOlderThan) return refreshing.done;
      // The reload in flight may have read the keys before what the caller saw: one more
      // reload follows it, shared by every caller in the same position.
      followUp ??= refreshing.done.then(() => {
        followUp = undefined;
        return reload();
      });
      return followUp;
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    recordUse(key) {
      if (key.version === null) return;
      uses.set(key.version, (uses.get(key.version) ?? 0) + 1);
      lastUse.set(key.version, Date.now());
      // The first use of a version is reported promptly, so a grace check sees a switch within a second.
      if (!reported.has(key.version) && promptCheckIn === undefined && driver.checkIn !== undefined && !closed) {
        promptCheckIn = setTimeout(() => {
          promptCheckIn = undefined;
          void checkIn();
        }, 200);
        promptCheckIn.unref();
      }
    },

    fetchWithRotation(input, init) {
      return fetchWithKeys(source, bearerInjector, input, init);
    },

    async close() {
      if (closed) return;
      closed = true;
      stopWatching?.();
      if (checkInTimer !== undefined) clearInterval(checkInTimer);
      if (promptCheckIn !== undefined) clearTimeout(promptCheckIn);
      if ([...uses.values()].some((requests) => requests > 0)) await checkIn();
    },
  };
  return source;
}
