/**
 * The usage anomaly condition: each credential's hourly series, built from the per-minute
 * usage the store holds (proxy metering and SDK check-ins), run through the pure detector
 * (anomaly-detector.ts) for the hour that just ended. One alert per credential and metric
 * while anything is off (a spike that turns into a level shift stays one alert); it resolves
 * when the detector is quiet again. Value-free: names, counts and times.
 */
import type { Clock } from '../core/clock.js';
import type { Credential } from '../core/types.js';
import type { Store } from '../store/store.js';
import type { UsageMinute } from '../store/alert-store-types.js';
import { DEFAULT_DETECTOR_SETTINGS, detectSeriesAnomalies, type Anomaly, type DetectorSettings, type SeriesPoint } from './anomaly-detector.js';
import type { AlertEvent, Severity } from './alert-types.js';

const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;

export interface UsageAnomalyDeps {
  store: Pick<Store, 'listCredentials' | 'listUsageMinutes'>;
  clock: Clock;
  detector?: Partial<DetectorSettings> | undefined;
}

/** The metrics read from usage minutes: requests, provider tokens, and refused or failed calls. */
const METRICS: Record<string, (minute: UsageMinute) => number> = {
  requests: (minute) => minute.requests,
  tokens: (minute) => minute.inputTokens + minute.outputTokens,
  errors: (minute) => minute.status4xx + minute.status5xx,
};

const ADVICE: Record<Anomaly['kind'], string> = {
  spike: 'A burst outside the usual pattern, above all at night, can be a leaked key in use: check who calls with it (the proxy names each token) and rotate at once (`rekey rotate {name} --emergency`) if it is not yours.',
  drop: 'A consumer may be failing, or may have moved to another key without rekey knowing: check the apps that use it.',
  'level-shift': 'The level moved and stayed: a new workload, a deploy, or a slow leak. Confirm who is behind it.',
  'model-not-allowed': 'A model outside the allowed list was used: check who calls it.',
};

const SEVERITY: Record<Anomaly['kind'], Severity> = { spike: 'error', drop: 'warning', 'level-shift': 'warning', 'model-not-allowed': 'error' };

/** Hourly points of one metric (hour starts, UTC). */
export function hourlySeries(minutes: readonly UsageMinute[], metric: (minute: UsageMinute) => number): SeriesPoint[] {
  const byHour = new Map<number, number>();
  for (const minute of minutes) {
    const hour = Math.floor(minute.at.getTime() / HOUR_MS) * HOUR_MS;
    byHour.set(hour, (byHour.get(hour) ?? 0) + metric(minute));
  }
  return [...byHour].sort(([a], [b]) => a - b).map(([at, value]) => ({ at: new Date(at), value }));
}

export function usageAnomalyEvent(credential: Pick<Credential, 'name' | 'environment'>, anomaly: Anomaly): AlertEvent {
  const what = anomaly.kind === 'level-shift' ? 'level shift' : anomaly.kind;
  return {
    kind: 'usage-anomaly',
    severity: SEVERITY[anomaly.kind],
    key: `usage-anomaly:${credential.name}:${anomaly.metric}`,
    title: `Unusual ${anomaly.metric} on ${credential.name}: ${what} since ${anomaly.since.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    summary: `Expected ${anomaly.expected}; seen ${anomaly.seen}. ${ADVICE[anomaly.kind].replace('{name}', credential.name)}`,
    credential: credential.name,
    environment: credential.environment,
    facts: [
      { label: 'anomaly', value: `${what} in ${anomaly.metric}` },
      { label: 'expected', value: anomaly.expected },
      { label: 'seen', value: anomaly.seen },
    ],
    since: anomaly.since,
    data: { metric: anomaly.metric, anomaly: anomaly.kind, score: Math.round(anomaly.score * 100) / 100 },
  };
}

/** Every usage anomaly true for the hour that ended before `clock.now()`, one event per credential and metric. */
export async function usageAnomalyEvents(deps: UsageAnomalyDeps): Promise<AlertEvent[]> {
  const settings = { ...DEFAULT_DETECTOR_SETTINGS, ...deps.detector };
  const now = deps.clock.now();
  const until = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);
  // Enough history for the seasonal baseline of every hour the EWMA looks at.
  const since = new Date(until.getTime() - settings.weeks * WEEK_MS - settings.ewmaHours * HOUR_MS);
  const events: AlertEvent[] = [];
  for (const credential of await deps.store.listCredentials()) {
    const minutes = await deps.store.listUsageMinutes(credential.id, since, until);
    if (minutes.length === 0) continue;
    for (const [metric, read] of Object.entries(METRICS)) {
      const anomalies = detectSeriesAnomalies(hourlySeries(minutes, read), now, metric, settings);
      // The strongest reading speaks for the alert: a spike or drop before a shift.
      const [first] = anomalies;
      if (first !== undefined) events.push(usageAnomalyEvent(credential, first));
    }
  }
  return events;
}
