/**
 * `npm run bench:anomaly`: the usage anomaly detector (src/alerts/anomaly-detector.ts) on a
 * labelled synthetic set, against a plain fixed threshold, side by side.
 *
 * 100 keys × 8 weeks of hourly request counts with weekly seasonality (busy weekdays,
 * quiet nights, slower weekends), Poisson noise and a ±10 % hourly wobble. 80 keys carry
 * one planted anomaly each in weeks 6–8, 16 per class: spike (2 h at ×5), drop (6 h at ×0.05
 * on a weekday), level shift (×1.6 from then on), new model (one outside the allow-list),
 * night-time leak-like burst (2 h at 02:00 UTC of max(60, 2× the daytime rate)). 20 keys
 * are clean. Weeks 1–4 are history only; weeks 5–8 are evaluated hour by hour.
 *
 * Scoring: consecutive alerting hours of a key are one alert (as the alert service groups
 * them). An alert that overlaps a planted window (extended by 6 h) detects it; any other is
 * a false positive. Precision = true alerts / all alerts; recall per class = detected /
 * planted; time to detect = hours from the planted start to the end of the first alerting
 * hour. The fixed threshold alerts when an hour exceeds 1.5× the key's maximum hour of weeks
 * 1–4 (and applies the same model allow-list, a rule rather than a detector).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectModelAnomalies, detectSeriesAnomalies, type SeriesPoint } from '../../src/alerts/anomaly-detector.js';
import { describeMachine } from '../bench-machine.js';

const HOUR_MS = 3_600_000;
const WEEKS = 8;
const HOURS = WEEKS * 7 * 24;
const HISTORY_HOURS = 4 * 7 * 24;
const START = Date.parse('2026-01-05T00:00:00Z'); // a Monday
const CLASSES = ['spike', 'drop', 'level-shift', 'new-model', 'night-burst'] as const;
type PlantedClass = (typeof CLASSES)[number];
const PER_CLASS = 16;
const CLEAN = 20;
const MATCH_SLACK_HOURS = 6;

/** mulberry32: a small seeded PRNG so every run plants the same set. */
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

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

function poisson(lambda: number, next: () => number): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gaussian(next)));
  const limit = Math.exp(-lambda);
  let product = next();
  let count = 0;
  while (product > limit) {
    count += 1;
    product *= next();
  }
  return count;
}

function profile(hour: number): number {
  const date = new Date(START + hour * HOUR_MS);
  const hourOfDay = date.getUTCHours();
  const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
  const day = hourOfDay >= 8 && hourOfDay < 19 ? 1 : hourOfDay === 7 || hourOfDay === 19 ? 0.6 : hourOfDay >= 20 && hourOfDay < 23 ? 0.3 : 0.08;
  return day * (weekend ? 0.3 : 1);
}

interface Planted {
  key: number;
  kind: PlantedClass;
  start: number;
  end: number;
}

interface KeySeries {
  values: number[];
  models: Array<{ model: string; hour: number }>;
  planted: Planted | null;
}

function isWeekdayDaytime(hour: number): boolean {
  return profile(hour) === 1;
}

/** The set the thresholds were chosen on, and a second set drawn the same way that they never saw. */
const TUNING_SEED = 20261207;
const HELD_OUT_SEED = 20261208;

function generate(seed: number): KeySeries[] {
  const next = random(seed);
  const keys: KeySeries[] = [];
  const total = CLASSES.length * PER_CLASS + CLEAN;
  for (let key = 0; key < total; key += 1) {
    const kind = key < CLASSES.length * PER_CLASS ? CLASSES[key % CLASSES.length] : undefined;
    const level = Math.round(30 * Math.exp(next() * Math.log(20))); // 30..600 requests an hour at peak
    let planted: Planted | null = null;
    if (kind !== undefined) {
      // Somewhere in weeks 6–8.
      let start = 5 * 168 + Math.floor(next() * (3 * 168 - 48));
      if (kind === 'drop' || kind === 'spike') while (!isWeekdayDaytime(start)) start += 1;
      if (kind === 'night-burst') start = Math.floor(start / 24) * 24 + 2;
      const length = { spike: 2, drop: 6, 'level-shift': HOURS - start, 'new-model': 1, 'night-burst': 2 }[kind];
      planted = { key, kind, start, end: Math.min(HOURS, start + length) };
    }
    const values: number[] = [];
    for (let hour = 0; hour < HOURS; hour += 1) {
      let lambda = level * profile(hour) * Math.exp(0.1 * gaussian(next));
      if (planted !== null && hour >= planted.start && hour < planted.end) {
        if (planted.kind === 'spike') lambda *= 5;
        if (planted.kind === 'drop') lambda *= 0.05;
        if (planted.kind === 'level-shift') lambda *= 1.6;
        if (planted.kind === 'night-burst') lambda += Math.max(60, 2 * level);
      }
      values.push(poisson(lambda, next));
    }
    const models = [{ model: 'gpt-4o-mini', hour: 0 }];
    if (planted?.kind === 'new-model') models.push({ model: 'o3-pro', hour: planted.start });
    keys.push({ values, models, planted });
  }
  return keys;
}

type Detector = (series: KeySeries, hour: number) => boolean;

const ALLOWED = ['gpt-4o-mini'];

function modelsUntil(series: KeySeries, hour: number) {
  return series.models.filter((entry) => entry.hour <= hour).map((entry) => ({ model: entry.model, firstSeen: new Date(START + entry.hour * HOUR_MS), requests: 1 }));
}

/** The detector as the daemon runs it: after hour `hour` ends, over the history so far. */
const robust: Detector = (series, hour) => {
  const from = Math.max(0, hour - 5 * 168);
  const points: SeriesPoint[] = [];
  for (let index = from; index <= hour; index += 1) points.push({ at: new Date(START + index * HOUR_MS), value: series.values[index] ?? 0 });
  const now = new Date(START + (hour + 1) * HOUR_MS);
  // A model alert lasts the hour it was first seen (the alert stays open until acknowledged).
  const models = detectModelAnomalies(modelsUntil(series, hour), ALLOWED).filter((anomaly) => anomaly.since.getTime() === START + hour * HOUR_MS);
  return models.length > 0 || detectSeriesAnomalies(points, now).length > 0;
};

function fixedThreshold(): Detector {
  const thresholds = new Map<KeySeries, number>();
  return (series, hour) => {
    let threshold = thresholds.get(series);
    if (threshold === undefined) {
      threshold = 1.5 * Math.max(...series.values.slice(0, HISTORY_HOURS));
      thresholds.set(series, threshold);
    }
    const models = series.models.some((entry) => entry.hour === hour && !ALLOWED.includes(entry.model));
    return models || (series.values[hour] ?? 0) > threshold;
  };
}

interface Score {
  precision: number;
  alerts: number;
  falseAlerts: number;
  perClass: Record<PlantedClass, { planted: number; detected: number; recall: number; medianHoursToDetect: number | null; maxHoursToDetect: number | null }>;
  recall: number;
  ms: number;
}

function score(keys: KeySeries[], detector: Detector): Score {
  const began = performance.now();
  let alerts = 0;
  let falseAlerts = 0;
  const detectedAt = new Map<number, number>();
  for (const [index, series] of keys.entries()) {
    let open: { start: number; end: number } | null = null;
    const episodes: Array<{ start: number; end: number }> = [];
    for (let hour = HISTORY_HOURS; hour < HOURS; hour += 1) {
      if (detector(series, hour)) {
        if (open === null) open = { start: hour, end: hour };
        else open.end = hour;
      } else if (open !== null) {
        episodes.push(open);
        open = null;
      }
    }
    if (open !== null) episodes.push(open);
    for (const episode of episodes) {
      alerts += 1;
      const planted = series.planted;
      const matches = planted !== null && episode.start <= planted.end - 1 + MATCH_SLACK_HOURS && episode.end >= planted.start;
      if (!matches) {
        falseAlerts += 1;
        continue;
      }
      const first = Math.max(episode.start, planted.start);
      if (!detectedAt.has(index) || (detectedAt.get(index) as number) > first) detectedAt.set(index, first);
    }
  }
  const perClass = {} as Score['perClass'];
  for (const kind of CLASSES) {
    const planted = keys.map((series, index) => ({ series, index })).filter((item) => item.series.planted?.kind === kind);
    const delays = planted.flatMap((item) => (detectedAt.has(item.index) ? [(detectedAt.get(item.index) as number) + 1 - (item.series.planted as Planted).start] : [])).sort((a, b) => a - b);
    perClass[kind] = {
      planted: planted.length,
      detected: delays.length,
      recall: round(delays.length / planted.length),
      medianHoursToDetect: delays.length === 0 ? null : (delays[Math.floor((delays.length - 1) / 2)] as number),
      maxHoursToDetect: delays.length === 0 ? null : (delays.at(-1) as number),
    };
  }
  const detected = Object.values(perClass).reduce((sum, item) => sum + item.detected, 0);
  const planted = Object.values(perClass).reduce((sum, item) => sum + item.planted, 0);
  return { precision: round(alerts === 0 ? 1 : (alerts - falseAlerts) / alerts), alerts, falseAlerts, perClass, recall: round(detected / planted), ms: Math.round(performance.now() - began) };
}

const round = (value: number) => Math.round(value * 1000) / 1000;

function main(): void {
  const keys = generate(TUNING_SEED);
  const detector = score(keys, robust);
  const baseline = score(keys, fixedThreshold());
  const heldOutKeys = generate(HELD_OUT_SEED);
  const heldOut = { seed: HELD_OUT_SEED, detector: score(heldOutKeys, robust), fixedThreshold: score(heldOutKeys, fixedThreshold()) };
  const goalsOf = (ours: Score, theirs: Score) => ({
    recallAtLeast095: ours.recall >= 0.95,
    precisionAtLeast095: ours.precision >= 0.95,
    atLeastBaselineOnEveryClass: CLASSES.every((kind) => ours.perClass[kind].recall >= theirs.perClass[kind].recall),
  });
  const goals = { ...goalsOf(detector, baseline), heldOut: goalsOf(heldOut.detector, heldOut.fixedThreshold) };
  const results = {
    date: new Date().toISOString(),
    machine: describeMachine(),
    input: { keys: keys.length, perClass: PER_CLASS, clean: CLEAN, weeks: WEEKS, evaluatedHoursPerKey: HOURS - HISTORY_HOURS, matchSlackHours: MATCH_SLACK_HOURS, seed: TUNING_SEED },
    detector,
    fixedThreshold: baseline,
    heldOut,
    goals,
  };
  writeFileSync(join(import.meta.dirname, '..', '..', '..', 'bench', 'anomaly', 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const line = (name: string, item: Score) =>
    `${name.padEnd(16)} precision ${item.precision.toFixed(3)}  recall ${item.recall.toFixed(3)}  alerts ${item.alerts} (${item.falseAlerts} false)  ` +
    CLASSES.map((kind) => `${kind} ${item.perClass[kind].recall.toFixed(2)}/${item.perClass[kind].medianHoursToDetect ?? '-'}h`).join('  ');
  process.stdout.write(`${line('detector', detector)}\n${line('fixed threshold', baseline)}\nheld-out set (seed ${HELD_OUT_SEED}):\n${line('detector', heldOut.detector)}\n${line('fixed threshold', heldOut.fixedThreshold)}\ngoals: ${JSON.stringify(goals)}\n`);
}

main();
