import { describe, expect, it } from 'vitest';
import { detectModelAnomalies, detectSeriesAnomalies, median, medianAbsoluteDeviation, modifiedZScore, type SeriesPoint } from './anomaly-detector.js';

const HOUR = 3_600_000;
const START = Date.parse('2026-01-05T00:00:00Z');

/** Four weeks of a flat weekly pattern: 100 an hour in the day, 5 at night. */
function history(weeks = 4, value: (hour: number) => number = (hour) => (new Date(START + hour * HOUR).getUTCHours() >= 8 && new Date(START + hour * HOUR).getUTCHours() < 19 ? 100 : 5)): SeriesPoint[] {
  return Array.from({ length: weeks * 168 }, (_, hour) => ({ at: new Date(START + hour * HOUR), value: value(hour) }));
}

describe('anomaly detector', () => {
  it('median, MAD and the modified z-score with its floor when the MAD is 0', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(medianAbsoluteDeviation([1, 2, 3, 4, 100])).toBe(1);
    // MAD 0: the floor (Poisson level √median) keeps one extra request from scoring infinity.
    expect(modifiedZScore(101, 100, 0, 1)).toBeCloseTo(0.1, 5);
    expect(Number.isFinite(modifiedZScore(5, 0, 0, 1))).toBe(true);
  });

  it('a night-time burst is a spike that says what was expected, what was seen and since when', () => {
    const series = history();
    const burstHour = 4 * 168 + 2; // Monday 02:00 of week 5
    series.push(...Array.from({ length: 3 }, (_, index) => ({ at: new Date(START + (4 * 168 + index) * HOUR), value: index === 2 ? 400 : 5 })));
    const [anomaly] = detectSeriesAnomalies(series, new Date(START + (burstHour + 1) * HOUR));
    expect(anomaly).toMatchObject({ kind: 'spike', since: new Date(START + burstHour * HOUR) });
    expect(anomaly?.expected).toBe('median 5 (MAD 0) at Mon 02:00 UTC over 4 weeks');
    expect(anomaly?.seen).toContain('400 requests in the hour');
  });

  it('a drop during the day, but not on a quiet key (minimum volume)', () => {
    const series = history();
    series.push(...Array.from({ length: 11 }, (_, index) => ({ at: new Date(START + (4 * 168 + index) * HOUR), value: index < 8 ? 5 : index === 10 ? 2 : 100 })));
    expect(detectSeriesAnomalies(series, new Date(START + (4 * 168 + 11) * HOUR))[0]?.kind).toBe('drop');
    const quiet = history(4, () => 3);
    quiet.push({ at: new Date(START + 4 * 168 * HOUR), value: 0 });
    expect(detectSeriesAnomalies(quiet, new Date(START + (4 * 168 + 1) * HOUR))).toEqual([]);
  });

  it('an EWMA level shift that no single hour shows, and silence without enough history', () => {
    const series = history(4, () => 100);
    for (let hour = 0; hour < 30; hour += 1) series.push({ at: new Date(START + (4 * 168 + hour) * HOUR), value: 150 });
    const anomalies = detectSeriesAnomalies(series, new Date(START + (4 * 168 + 30) * HOUR), 'requests', { spikeZ: 100 });
    expect(anomalies.map((anomaly) => anomaly.kind)).toEqual(['level-shift']);
    expect(anomalies[0]?.seen).toMatch(/^×1\.\d the seasonal median/);
    expect(detectSeriesAnomalies(history(2), new Date(START + 2 * 168 * HOUR))).toEqual([]);
  });

  it('a model outside the allowed list is always an anomaly; an empty list allows all', () => {
    const used = [{ model: 'gpt-4o-mini', firstSeen: new Date(START), requests: 900 }, { model: 'o3-pro', firstSeen: new Date(START + HOUR), requests: 1 }];
    expect(detectModelAnomalies(used, ['gpt-4o-mini'])).toEqual([{ kind: 'model-not-allowed', metric: 'models', expected: 'only gpt-4o-mini', seen: 'o3-pro (1 request)', since: new Date(START + HOUR), score: 0 }]);
    expect(detectModelAnomalies(used, [])).toEqual([]);
  });
});
