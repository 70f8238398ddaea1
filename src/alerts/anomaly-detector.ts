/**
 * Usage anomaly detection, pure and explainable (no I/O; the clock is the `now` argument).
 *
 * Input: one credential's hourly series (requests, or tokens, cost, errors…) and the models
 * it used. For the hour that just ended, compared with the same hour of the week in the
 * previous weeks:
 *
 * - **seasonal baseline**: median and MAD of those hours; the modified z-score
 *   0.6745·(seen − median)/MAD, with the MAD floored at the Poisson level
 *   (0.6745·√median, and at least `madFloor`) so a flat history (MAD 0) does not page on
 *   one extra request. A spike needs z ≥ `spikeZ` and seen ≥ `spikeRatio`×median; a drop
 *   needs z ≤ −`dropZ` and seen ≤ `dropRatio`×median.
 * - **EWMA level shift**: an exponentially weighted mean of log((seen+1)/(median+1)) over
 *   the recent hours; beyond ±log(`shiftRatio`) the level has moved (a slower, smaller
 *   change that no single hour shows). Each hour's log ratio is clipped to
 *   ±log(`ewmaClipRatio`), so one burst (the spike test's job) does not hold the average
 *   up for hours after it ended.
 * - **minimum volume**: spikes need seen ≥ `minVolume`, drops a baseline of at least
 *   `minVolume`, and the EWMA reads only hours whose baseline is at least half of it, so a
 *   quiet key does not page.
 * - **models**: a model outside the credential's allowed list is always an anomaly.
 *
 * Every finding says what was expected, what was seen and since when.
 */
export interface SeriesPoint {
  /** Start of the hour (UTC). */
  at: Date;
  value: number;
}

export interface DetectorSettings {
  /** Weeks of history for the seasonal baseline (same hour of week). Default 4. */
  weeks: number;
  /** At least this many past weeks before the seasonal test speaks. Default 3. */
  minWeeks: number;
  spikeZ: number;
  dropZ: number;
  spikeRatio: number;
  dropRatio: number;
  madFloor: number;
  minVolume: number;
  ewmaAlpha: number;
  shiftRatio: number;
  /** Hours of EWMA history evaluated. Default 72. */
  ewmaHours: number;
  /** An hour moves the EWMA by at most log(this ratio). Default 2.5. */
  ewmaClipRatio: number;
}

export const DEFAULT_DETECTOR_SETTINGS: DetectorSettings = {
  weeks: 4,
  minWeeks: 3,
  spikeZ: 6,
  dropZ: 6,
  spikeRatio: 2,
  dropRatio: 0.5,
  madFloor: 1,
  minVolume: 20,
  ewmaAlpha: 0.2,
  shiftRatio: 1.35,
  ewmaHours: 72,
  ewmaClipRatio: 2.5,
};

export type AnomalyKind = 'spike' | 'drop' | 'level-shift' | 'model-not-allowed';

export interface Anomaly {
  kind: AnomalyKind;
  metric: string;
  /** The baseline, in words and figures: `median 42 (MAD 3) at Tue 03:00 UTC over 4 weeks`. */
  expected: string;
  seen: string;
  since: Date;
  /** The modified z-score, or the EWMA ratio for shifts; 0 for models. */
  score: number;
}

const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function medianAbsoluteDeviation(values: readonly number[], centre = median(values)): number {
  return median(values.map((value) => Math.abs(value - centre)));
}

export function modifiedZScore(seen: number, centre: number, mad: number, floor: number): number {
  const scale = Math.max(mad, floor, 0.6745 * Math.sqrt(Math.max(centre, 0)));
  return (0.6745 * (seen - centre)) / scale;
}

export interface SeasonalBaseline {
  median: number;
  mad: number;
  weeks: number;
}

/** Index a series by hour start. */
export function indexSeries(series: readonly SeriesPoint[]): Map<number, number> {
  const byHour = new Map<number, number>();
  for (const point of series) {
    const hour = Math.floor(point.at.getTime() / HOUR_MS) * HOUR_MS;
    byHour.set(hour, (byHour.get(hour) ?? 0) + point.value);
  }
  return byHour;
}

/** The same hour of week in the previous `weeks` weeks (missing hours count as 0 once the series has started). */
export function seasonalBaseline(byHour: ReadonlyMap<number, number>, hour: number, weeks: number, seriesStart: number): SeasonalBaseline {
  const samples: number[] = [];
  for (let week = 1; week <= weeks; week += 1) {
    const at = hour - week * WEEK_MS;
    if (at < seriesStart) break;
    samples.push(byHour.get(at) ?? 0);
  }
  const centre = median(samples);
  return { median: centre, mad: medianAbsoluteDeviation(samples, centre), weeks: samples.length };
}

function hourLabel(hour: number): string {
  const date = new Date(hour);
  return `${DAYS[date.getUTCDay()] ?? ''} ${String(date.getUTCHours()).padStart(2, '0')}:00 UTC`;
}

const round = (value: number) => (Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 10) / 10);

/**
 * The anomalies of the last complete hour before `now` (and of the shift that is still
 * going on). `series` must cover at least `minWeeks` weeks before it.
 */
export function detectSeriesAnomalies(series: readonly SeriesPoint[], now: Date, metric = 'requests', overrides: Partial<DetectorSettings> = {}): Anomaly[] {
  const settings = { ...DEFAULT_DETECTOR_SETTINGS, ...overrides };
  if (series.length === 0) return [];
  const byHour = indexSeries(series);
  const seriesStart = Math.min(...byHour.keys());
  const hour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - HOUR_MS;
  const anomalies: Anomaly[] = [];

  const baseline = seasonalBaseline(byHour, hour, settings.weeks, seriesStart);
  if (baseline.weeks < settings.minWeeks) return [];
  const seen = byHour.get(hour) ?? 0;
  const z = modifiedZScore(seen, baseline.median, baseline.mad, settings.madFloor);
  const expected = `median ${round(baseline.median)} (MAD ${round(baseline.mad)}) at ${hourLabel(hour)} over ${baseline.weeks} weeks`;
  if (seen >= settings.minVolume && z >= settings.spikeZ && seen >= settings.spikeRatio * Math.max(baseline.median, 1)) {
    anomalies.push({ kind: 'spike', metric, expected, seen: `${round(seen)} ${metric} in the hour (modified z ${round(z)})`, since: new Date(spikeStart(byHour, hour, settings, seriesStart)), score: z });
  } else if (baseline.median >= settings.minVolume && z <= -settings.dropZ && seen <= settings.dropRatio * baseline.median) {
    anomalies.push({ kind: 'drop', metric, expected, seen: `${round(seen)} ${metric} in the hour (modified z ${round(z)})`, since: new Date(hour), score: z });
  }

  const shift = ewmaShift(byHour, hour, settings, seriesStart);
  if (shift !== undefined && !anomalies.some((anomaly) => anomaly.kind === 'spike' || anomaly.kind === 'drop')) {
    anomalies.push({
      kind: 'level-shift',
      metric,
      expected: `about the seasonal median (×1.0; alert beyond ×${settings.shiftRatio} or ÷${settings.shiftRatio})`,
      seen: `${shift.ratio >= 1 ? '×' : '÷'}${round(shift.ratio >= 1 ? shift.ratio : 1 / shift.ratio)} the seasonal median, smoothed over the recent hours`,
      since: new Date(shift.since),
      score: shift.ratio,
    });
  }
  return anomalies;
}

/** The first hour of the current run of hours over the spike test (for "since"). */
function spikeStart(byHour: ReadonlyMap<number, number>, hour: number, settings: DetectorSettings, seriesStart: number): number {
  let start = hour;
  for (let previous = hour - HOUR_MS; previous > hour - 48 * HOUR_MS; previous -= HOUR_MS) {
    const baseline = seasonalBaseline(byHour, previous, settings.weeks, seriesStart);
    const value = byHour.get(previous) ?? 0;
    if (modifiedZScore(value, baseline.median, baseline.mad, settings.madFloor) < settings.spikeZ || value < settings.minVolume) break;
    start = previous;
  }
  return start;
}

/** EWMA of the log ratio to the seasonal median over the last `ewmaHours` hours; undefined when within bounds. */
export function ewmaShift(byHour: ReadonlyMap<number, number>, hour: number, settings: DetectorSettings, seriesStart: number): { ratio: number; since: number } | undefined {
  let ewma = 0;
  let outsideSince: number | null = null;
  const limit = Math.log(settings.shiftRatio);
  let weighted = false;
  for (let at = hour - (settings.ewmaHours - 1) * HOUR_MS; at <= hour; at += HOUR_MS) {
    const baseline = seasonalBaseline(byHour, at, settings.weeks, seriesStart);
    if (baseline.weeks < settings.minWeeks) continue;
    const value = byHour.get(at) ?? 0;
    // Hours that are usually quiet carry little information: they move the average in
    // proportion to their usual volume, and not at all below half the minimum volume (a
    // quiet key's burst is the spike test's to judge, not a level shift).
    const weight = Math.min(1, baseline.median / (settings.minVolume * 2));
    if (baseline.median < settings.minVolume / 2) continue;
    const clip = Math.log(settings.ewmaClipRatio);
    const logRatio = Math.min(clip, Math.max(-clip, Math.log((value + 1) / (baseline.median + 1))));
    const alpha = settings.ewmaAlpha * weight;
    ewma = weighted ? alpha * logRatio + (1 - alpha) * ewma : logRatio * weight;
    weighted = true;
    if (Math.abs(ewma) > limit) outsideSince ??= at;
    else outsideSince = null;
  }
  if (outsideSince === null) return undefined;
  return { ratio: Math.exp(ewma), since: outsideSince };
}

/** Models used that the credential does not allow (an empty allow-list allows every model). */
export function detectModelAnomalies(used: ReadonlyArray<{ model: string; firstSeen: Date; requests: number }>, allowedModels: readonly string[]): Anomaly[] {
  if (allowedModels.length === 0) return [];
  return used
    .filter((entry) => !allowedModels.includes(entry.model))
    .map((entry) => ({
      kind: 'model-not-allowed' as const,
      metric: 'models',
      expected: `only ${allowedModels.join(', ')}`,
      seen: `${entry.model} (${entry.requests} request${entry.requests === 1 ? '' : 's'})`,
      since: entry.firstSeen,
      score: 0,
    }));
}
