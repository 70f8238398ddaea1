/**
 * Weeks of hourly usage for one credential, as the proxy meter writes it (usage reports per
 * minute), with a weekly pattern: busy weekday daytime, quiet nights and weekends, and a
 * seeded ±10 % wobble so every run writes the same series. For the usage anomaly tests.
 */
import type { UsageReport } from '../../src/core/types.js';
import type { Store } from '../../src/store/store.js';

const HOUR_MS = 3_600_000;

/** mulberry32, seeded. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Requests in the hour starting at `hour` for a key whose weekday daytime rate is `peak`. */
export function usualRequests(hour: number, peak: number): number {
  const date = new Date(hour);
  const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
  const daytime = date.getUTCHours() >= 8 && date.getUTCHours() < 19;
  return peak * (daytime ? (weekend ? 0.3 : 1) : 0.08);
}

/**
 * Writes one report an hour (at minute 7) for hours in [from, until), `requests(hour)` plus
 * the wobble; returns how many requests were written.
 */
export async function writeHourlyUsage(
  store: Pick<Store, 'recordUsage'>,
  options: { credentialId: string; from: Date; until: Date; requests: (hour: number) => number; seed?: number; consumer?: string },
): Promise<number> {
  const next = random(options.seed ?? 15);
  const reports: UsageReport[] = [];
  let total = 0;
  for (let hour = options.from.getTime(); hour < options.until.getTime(); hour += HOUR_MS) {
    const requests = Math.max(0, Math.round(options.requests(hour) * (0.9 + 0.2 * next())));
    if (requests === 0) continue;
    total += requests;
    reports.push({
      credentialId: options.credentialId,
      versionNumber: 1,
      source: 'proxy',
      consumer: options.consumer ?? 'batch-api',
      at: new Date(hour + 7 * 60_000),
      requests,
      status2xx: requests,
      status4xx: 0,
      status5xx: 0,
      inputTokens: 0,
      outputTokens: 0,
    });
  }
  for (let index = 0; index < reports.length; index += 500) await store.recordUsage(reports.slice(index, index + 500));
  return total;
}
