import { describe, expect, it } from 'vitest';
import { decideGrace, forgottenConsumers, type GraceInput, type UsageObservation } from './grace.js';

const start = new Date('2026-03-01T12:00:00Z');
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);

function input(nowSeconds: number, observations: UsageObservation[], extra: Partial<GraceInput> = {}): GraceInput {
  return { now: at(nowSeconds), graceStartedAt: start, quietSeconds: 60, maxSeconds: 600, observations, ...extra };
}

const provider = (lastUsedSeconds: number | null, observedSeconds: number, extra: Partial<UsageObservation> = {}): UsageObservation => ({
  source: 'provider:openai',
  lastUsedAt: lastUsedSeconds === null ? null : at(lastUsedSeconds),
  observedAt: at(observedSeconds),
  ...extra,
});

describe('decideGrace', () => {
  it('waits until the old key has been quiet for the whole window after the grace start', () => {
    expect(decideGrace(input(59, [provider(null, 59)])).action).toBe('wait');
    expect(decideGrace(input(60, [provider(null, 60)]))).toMatchObject({ action: 'end', evidence: 'observed' });
  });

  it('counts quiet from the last observed use, not from the grace start', () => {
    const observations = [provider(100, 130)];
    expect(decideGrace(input(130, observations))).toMatchObject({ action: 'wait', quietSince: at(100) });
    expect(decideGrace(input(160, [provider(100, 160)]))).toMatchObject({ action: 'end', quietSince: at(100) });
  });

  it('ignores use from before the grace began', () => {
    expect(decideGrace(input(60, [provider(-500, 60)])).action).toBe('end');
  });

  it('treats counted requests without a timestamp as use up to the observation', () => {
    const counted = provider(null, 100, { requests: 4, countedSince: at(40) });
    expect(decideGrace(input(100, [counted]))).toMatchObject({ action: 'wait', quietSince: at(100) });
    expect(decideGrace(input(161, [counted, provider(null, 161, { requests: 0 })]))).toMatchObject({ action: 'end' });
  });

  it('does not end before every source covers the window (bucketed data lags)', () => {
    const bucketed = provider(null, 90, { resolutionSeconds: 60 });
    // Quiet for 90 s by the clock, but the data only vouches up to 30 s.
    expect(decideGrace(input(90, [bucketed]))).toMatchObject({ action: 'wait' });
    expect(decideGrace(input(120, [provider(null, 120, { resolutionSeconds: 60 })]))).toMatchObject({ action: 'end' });
  });

  it('a source that could not be read is never quiet', () => {
    const failures = [{ source: 'proxy', reason: 'connection refused' }];
    expect(decideGrace(input(300, [provider(null, 300)], { failures }))).toMatchObject({ action: 'wait', reason: expect.stringContaining('proxy') });
    const held = decideGrace(input(600, [provider(null, 600)], { failures }));
    expect(held).toMatchObject({ action: 'hold', failures });
    expect(held.reason).toContain('proxy (unreadable: connection refused)');
  });

  it('holds past the maximum grace with traffic, naming sources and consumers', () => {
    const observations: UsageObservation[] = [
      provider(590, 600, { requests: 12 }),
      { source: 'proxy', consumer: 'batch-worker', lastUsedAt: at(595), observedAt: at(600) },
      { source: 'sdk', consumer: 'web', lastUsedAt: at(-10), observedAt: at(600) },
    ];
    const decision = decideGrace(input(600, observations));
    expect(decision.action).toBe('hold');
    if (decision.action !== 'hold') throw new Error('unreachable');
    expect(decision.holders.map((holder) => holder.consumer ?? holder.source)).toEqual(['provider:openai', 'batch-worker']);
    expect(decision.reason).toContain('batch-worker (via proxy)');
    expect(decision.reason).toContain('provider:openai: 12 request(s)');
  });

  it('ends on time alone when no source can see usage, and says so', () => {
    expect(decideGrace(input(59, []))).toMatchObject({ action: 'wait' });
    expect(decideGrace(input(60, []))).toMatchObject({ action: 'end', evidence: 'time-only' });
  });

  it('supports windows of seconds', () => {
    const decision = decideGrace({ now: at(2), graceStartedAt: start, quietSeconds: 2, maxSeconds: 10, observations: [provider(null, 2)] });
    expect(decision.action).toBe('end');
  });
});

describe('forgottenConsumers', () => {
  it('names consumers using the key that the consumer list does not know, and unattributed traffic', () => {
    const observations: UsageObservation[] = [
      { source: 'proxy', consumer: 'known-app', lastUsedAt: at(5), observedAt: at(10) },
      { source: 'proxy', consumer: 'cron-job', lastUsedAt: at(6), observedAt: at(10) },
      { source: 'provider:openai', lastUsedAt: at(7), observedAt: at(10) },
      { source: 'sdk', consumer: 'old-thing', lastUsedAt: at(-100), observedAt: at(10) },
    ];
    expect(forgottenConsumers(observations, start, ['known-app'])).toEqual(['cron-job', 'unattributed traffic seen by provider:openai']);
  });
});

describe('decideGrace: honest waiting (issue #12)', () => {
  it('names the source that is behind, how far behind it can be, and when the grace ends', () => {
    // A 3 s quiet window with an SDK source whose data lags 30 s: the grace takes ~33 s, and says so.
    const sdk = (observedSeconds: number): UsageObservation => ({ source: 'sdk', lastUsedAt: null, requests: 0, observedAt: at(observedSeconds), resolutionSeconds: 30 });
    const early = decideGrace(input(1, [provider(null, 1), sdk(1)], { quietSeconds: 3 }));
    expect(early).toMatchObject({ action: 'wait', waitingFor: 'quiet', endsAt: at(33) });
    expect(early.reason).toContain('sdk data can be up to 30s behind');
    const later = decideGrace(input(10, [provider(null, 10), sdk(10)], { quietSeconds: 3 }));
    expect(later).toMatchObject({ action: 'wait', waitingFor: 'coverage:sdk', endsAt: at(33) });
    expect(later.reason).toMatch(/usage data from sdk covers only up to .* \(its data can be up to 30s behind\)/);
    // The same wait on the next poll is the same state: progress prints one line, not one per poll.
    expect(decideGrace(input(12, [provider(null, 12), sdk(12)], { quietSeconds: 3 }))).toMatchObject({ waitingFor: 'coverage:sdk' });
  });

  it('says why a source cannot be read', () => {
    const decision = decideGrace(input(5, [], { failures: [{ source: 'provider:openai', reason: 'HTTP 503' }] }));
    expect(decision).toMatchObject({ action: 'wait', endsAt: null });
    expect(decision.reason).toContain('provider:openai (HTTP 503)');
  });
});
