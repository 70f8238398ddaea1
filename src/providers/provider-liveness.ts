/**
 * Liveness helpers shared by the adapters and the rotation engine. Providers are
 * eventually consistent: a new key can answer 401 for a while (activation delay) and a
 * revoked one can keep working for a while (revocation delay). These helpers poll a
 * provider's `test` for a bounded time; they never turn anything but an explicit success
 * into `live`.
 */
import { ProviderError } from '../core/errors.js';
import type { KeyTestRequest, KeyTestResult, Liveness, ProviderV1 } from './provider-spec.js';

/** 2xx is live; the dead statuses (default 401 and 403) are dead; anything else is unknown. */
export function livenessFromStatus(status: number, deadStatuses: readonly number[] = [401, 403]): Liveness {
  if (status >= 200 && status < 300) return 'live';
  if (deadStatuses.includes(status)) return 'dead';
  return 'unknown';
}

export interface WaitForLivenessOptions {
  provider: Pick<ProviderV1, 'test'>;
  request: KeyTestRequest;
  /** Stop polling after this long (default 120 s). */
  timeoutMs?: number | undefined;
  /** First pause between polls; it doubles up to `maxIntervalMs`. */
  intervalMs?: number | undefined;
  maxIntervalMs?: number | undefined;
  sleep?: ((milliseconds: number) => Promise<void>) | undefined;
  now?: (() => number) | undefined;
}

export interface WaitForLivenessResult {
  /** True when the wanted state was seen before the bound. */
  reached: boolean;
  last: KeyTestResult;
  attempts: number;
  elapsedMs: number;
}

async function waitFor(wanted: Liveness, options: WaitForLivenessOptions): Promise<WaitForLivenessResult> {
  const sleep = options.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const maxIntervalMs = options.maxIntervalMs ?? 5_000;
  let interval = options.intervalMs ?? 250;
  const started = now();
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const last = await options.provider.test(options.request);
    const elapsedMs = now() - started;
    if (last.liveness === wanted) return { reached: true, last, attempts, elapsedMs };
    if (elapsedMs + interval > timeoutMs || options.request.signal?.aborted) return { reached: false, last, attempts, elapsedMs };
    await sleep(interval);
    interval = Math.min(maxIntervalMs, interval * 2);
  }
}

/** Poll until the key answers (activation delay), within a bound. */
export function waitUntilLive(options: WaitForLivenessOptions): Promise<WaitForLivenessResult> {
  return waitFor('live', options);
}

/** Poll until the key is refused (revocation delay), within a bound. Only a 401/403 counts. */
export function waitUntilDead(options: WaitForLivenessOptions): Promise<WaitForLivenessResult> {
  return waitFor('dead', options);
}

/**
 * Whether a key value fits a provider's redacted form (`sk-abc...def`, `sk-proj-****Ab3d`,
 * `sk-ant-api03-R2D...igAA`). `undefined` when the form cannot be read, so that callers
 * say "not checkable" instead of guessing.
 */
export function matchesRedacted(value: string, redacted: string): boolean | undefined {
  const parts = redacted.split(/\.{3,}|…|\*{2,}/);
  if (parts.length !== 2) return undefined;
  const [prefix = '', suffix = ''] = parts;
  if (prefix.length + suffix.length < 4) return undefined;
  return value.length >= prefix.length + suffix.length && value.startsWith(prefix) && value.endsWith(suffix);
}

/**
 * A minimal request per model (`probe` sends it; 400/401/403/404 must come back as
 * statuses). `refused` is true when any probe got a 401: after the models list said yes,
 * that means the key is changing state, which callers must never report as live.
 */
export async function probeModels(models: readonly string[], probe: (model: string) => Promise<{ status: number }>): Promise<{ probes: KeyTestResult['models']; refused: boolean }> {
  const probes: KeyTestResult['models'] = [];
  let refused = false;
  for (const model of models) {
    try {
      const { status } = await probe(model);
      if (status === 401) refused = true;
      probes.push({ model, ok: status >= 200 && status < 300, status });
    } catch (error) {
      probes.push({ model, ok: false, status: error instanceof ProviderError ? (error.status ?? null) : null });
    }
  }
  return { probes, refused };
}
