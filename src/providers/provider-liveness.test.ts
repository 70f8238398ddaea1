import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { SecretValue } from '../core/secret-value.js';
import { livenessFromStatus, matchesRedacted, waitUntilDead, waitUntilLive } from './provider-liveness.js';
import type { KeyTestResult, Liveness } from './provider-spec.js';

const request = { credential: { name: 'openai/a/b', scope: {}, allowedModels: [] }, value: new SecretValue('sk-proj-abcdefghijklmnop') };

function scripted(answers: Liveness[]) {
  const calls: number[] = [];
  const clock = createManualClock();
  return {
    clock,
    calls,
    provider: {
      async test(): Promise<KeyTestResult> {
        calls.push(clock.now().getTime());
        return { liveness: answers.shift() ?? 'dead', scopeMatches: null, models: [] };
      },
    },
  };
}

describe('liveness helpers', () => {
  it('maps statuses: only 2xx is live, only 401/403 is dead', () => {
    expect([200, 204, 401, 403, 404, 429, 500].map((status) => livenessFromStatus(status))).toEqual(['live', 'live', 'dead', 'dead', 'unknown', 'unknown', 'unknown']);
    expect(livenessFromStatus(403, [401])).toBe('unknown');
  });

  it('waits out an activation delay with growing pauses, on an injected clock', async () => {
    const { clock, calls, provider } = scripted(['dead', 'unknown', 'dead', 'live']);
    const result = await waitUntilLive({ provider, request, timeoutMs: 10_000, intervalMs: 100, sleep: clock.sleep, now: () => clock.now().getTime() });
    expect(result).toMatchObject({ reached: true, attempts: 4, elapsedMs: 700 });
    expect(calls.map((at) => at - (calls[0] ?? 0))).toEqual([0, 100, 300, 700]);
  });

  it('gives up at the bound and reports the last answer', async () => {
    const { clock, provider } = scripted([]);
    const result = await waitUntilLive({ provider, request, timeoutMs: 1_000, intervalMs: 100, sleep: clock.sleep, now: () => clock.now().getTime() });
    expect(result.reached).toBe(false);
    expect(result.last.liveness).toBe('dead');
    expect(result.elapsedMs).toBeLessThanOrEqual(1_000);
  });

  it('waits for dead and does not take "unknown" for dead', async () => {
    const { clock, provider } = scripted(['live', 'unknown', 'unknown', 'dead']);
    const result = await waitUntilDead({ provider, request, timeoutMs: 10_000, intervalMs: 50, sleep: clock.sleep, now: () => clock.now().getTime() });
    expect(result).toMatchObject({ reached: true, attempts: 4 });
  });

  it('matches a value against redacted forms, and says when a form cannot be read', () => {
    const value = 'sk-proj-R2D2xxxxxxxxxxxxxxxxxxxxxxxxxxxxigAA';
    expect(matchesRedacted(value, 'sk-proj-...igAA')).toBe(true);
    expect(matchesRedacted(value, 'sk-proj-R2D…igAA')).toBe(true);
    expect(matchesRedacted(value, 'sk-proj-********igAA')).toBe(true);
    expect(matchesRedacted(value, 'sk-proj-...igAB')).toBe(false);
    expect(matchesRedacted(value, 'sk-svcacct-...igAA')).toBe(false);
    expect(matchesRedacted(value, 'opaque')).toBeUndefined();
    expect(matchesRedacted(value, '...A')).toBeUndefined();
  });
});
