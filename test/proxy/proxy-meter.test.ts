import { describe, expect, it } from 'vitest';
import { createProxyMeter } from '../../src/proxy/proxy-meter.js';
import type { UsageReport } from '../../src/core/types.js';
import type { Store } from '../../src/store/store.js';

const key = { credentialId: 'cred-1', credential: 'openai/a/prod', version: 1, token: 'app' };

describe('proxy meter', () => {
  it('flushes deltas per credential, version and token with status classes and tokens', async () => {
    let now = new Date('2026-05-01T10:00:00Z');
    const recorded: UsageReport[] = [];
    const usage: Pick<Store, 'recordUsage'> = {
      async recordUsage(reports) {
        recorded.push(...reports);
      },
    };
    const meter = createProxyMeter({ usage, now: () => now, flushIntervalMilliseconds: 3_600_000 });
    meter.request(key, 200);
    meter.request(key, 429);
    meter.tokens(key, 10, 5);
    now = new Date('2026-05-01T10:00:20Z');
    meter.request({ ...key, version: 2 }, 200);
    await meter.flush();
    await meter.flush(); // nothing new: no second report
    expect(recorded).toEqual([
      { credentialId: 'cred-1', versionNumber: 1, source: 'proxy', consumer: 'app', at: new Date('2026-05-01T10:00:00Z'), requests: 2, status2xx: 1, status4xx: 1, status5xx: 0, inputTokens: 10, outputTokens: 5 },
      { credentialId: 'cred-1', versionNumber: 2, source: 'proxy', consumer: 'app', at: new Date('2026-05-01T10:00:20Z'), requests: 1, status2xx: 1, status4xx: 0, status5xx: 0, inputTokens: 0, outputTokens: 0 },
    ]);
    expect(meter.totals().find((total) => total.version === 1)?.statuses).toEqual({ '200': 1, '429': 1 });
    await meter.close();
  });

  it('keeps counts and their time when a flush fails, so old traffic never looks recent', async () => {
    let now = new Date('2026-05-01T10:00:00Z');
    const recorded: UsageReport[] = [];
    let failing = true;
    const usage: Pick<Store, 'recordUsage'> = {
      async recordUsage(reports) {
        if (failing) throw new Error('database is locked');
        recorded.push(...reports);
      },
    };
    const errors: string[] = [];
    const meter = createProxyMeter({ usage, now: () => now, flushIntervalMilliseconds: 3_600_000, onError: (message) => errors.push(message) });
    meter.request(key, 200);
    now = new Date('2026-05-01T10:02:00Z');
    await meter.flush(); // fails two minutes after the traffic
    now = new Date('2026-05-01T10:05:00Z');
    failing = false;
    await meter.flush();
    expect(errors).toEqual(['usage flush failed: Error']);
    expect(recorded).toEqual([expect.objectContaining({ versionNumber: 1, requests: 1, at: new Date('2026-05-01T10:00:00Z') })]);
    await meter.close();
  });
});
