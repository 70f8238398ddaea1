/**
 * The usage anomaly condition on a real store: five weeks of metered usage with a weekly
 * pattern, then a burst at 03:00 UTC. The round after the burst hour raises one alert that
 * says what was expected, what was seen and since when; the round after the next quiet hour
 * resolves it. A key too quiet to judge and a normal night raise nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAlertService } from '../../src/alerts/alert-service.js';
import { hourlySeries, usageAnomalyEvents } from '../../src/alerts/usage-anomalies.js';
import { createManualClock } from '../../src/core/clock.js';
import type { Credential } from '../../src/core/types.js';
import { openScratchStore, type ScratchStore } from '../helpers/scratch-store.js';
import { usualRequests, writeHourlyUsage } from '../helpers/usage-series.js';

const HOUR = 3_600_000;
const BURST = Date.parse('2026-06-09T03:00:00Z'); // a Tuesday night
const HISTORY_FROM = new Date(BURST - 5 * 7 * 24 * HOUR);

describe('usage anomalies from metered usage', () => {
  let scratch: ScratchStore;
  let busy: Credential;
  let quiet: Credential;

  const credential = (name: string) =>
    scratch.store.createCredential({ name, provider: 'openai', scope: { project: 'proj_1' }, environment: 'prod', owner: null, purpose: null, allowedModels: [], tags: {}, policy: {} });

  beforeEach(async () => {
    scratch = await openScratchStore();
    busy = await credential('openai/batch/prod');
    quiet = await credential('openai/quiet/prod');
    const until = new Date(BURST + 12 * HOUR);
    await writeHourlyUsage(scratch.store, { credentialId: busy.id, from: HISTORY_FROM, until, requests: (hour) => (hour === BURST ? 400 : usualRequests(hour, 150)) });
    // Peaks at 6 an hour: a burst to 18 is below the minimum volume and must not page.
    await writeHourlyUsage(scratch.store, { credentialId: quiet.id, from: HISTORY_FROM, until, requests: (hour) => (hour === BURST ? 18 : usualRequests(hour, 6)), seed: 7 });
  });
  afterEach(async () => {
    await scratch.close();
  });

  it('sums minutes into hours', () => {
    const at = (minute: number) => new Date(BURST + minute * 60_000);
    const row = { status4xx: 0, status5xx: 0, inputTokens: 0, outputTokens: 0 };
    expect(hourlySeries([{ at: at(1), requests: 2, ...row }, { at: at(59), requests: 3, ...row }, { at: at(61), requests: 4, ...row }], (minute) => minute.requests)).toEqual([
      { at: new Date(BURST), value: 5 },
      { at: new Date(BURST + HOUR), value: 4 },
    ]);
  });

  it('a night burst is one alert with expected, seen and since, resolved the hour after it ends', async () => {
    const clock = createManualClock(new Date(BURST - HOUR + 5 * 60_000));
    const service = createAlertService({ store: scratch.store, clock, rules: [] });
    const round = async () => service.sync(['usage-anomaly'], await usageAnomalyEvents({ store: scratch.store, clock }));

    // 02:05: the 01:00 hour was a normal night.
    expect(await usageAnomalyEvents({ store: scratch.store, clock })).toEqual([]);
    clock.advance(2 * HOUR); // 04:05, the 03:00 hour is complete
    const [event, ...others] = await usageAnomalyEvents({ store: scratch.store, clock });
    expect(others).toEqual([]);
    expect(event).toMatchObject({ kind: 'usage-anomaly', severity: 'error', key: 'usage-anomaly:openai/batch/prod:requests', credential: 'openai/batch/prod', since: new Date(BURST) });
    expect(event?.title).toBe('Unusual requests on openai/batch/prod: spike since 2026-06-09 03:00 UTC');
    const facts = Object.fromEntries((event?.facts ?? []).map((fact) => [fact.label, fact.value]));
    expect(facts['expected']).toMatch(/^median 1\d(\.\d)? \(MAD \d+(\.\d)?\) at Tue 03:00 UTC over 4 weeks$/);
    expect(facts['seen']).toMatch(/^\d{3} requests in the hour \(modified z \d+\)$/);
    expect((await round()).map((change) => change.sent)).toEqual(['trigger']);

    clock.advance(HOUR); // 05:05: the 04:00 hour was normal again
    expect(await usageAnomalyEvents({ store: scratch.store, clock })).toEqual([]);
    expect((await round()).map((change) => change.sent)).toEqual(['resolve']);
  });
});
