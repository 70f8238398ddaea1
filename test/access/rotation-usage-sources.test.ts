import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRotationUsageSources } from '../../src/access/rotation-usage-sources.js';
import { createManualClock } from '../../src/core/clock.js';
import type { Credential, UsageReport } from '../../src/core/types.js';
import { decideGrace } from '../../src/rotation/grace.js';
import type { Store } from '../../src/store/store.js';
import { openScratchStore, type ScratchStore } from '../helpers/scratch-store.js';

const credential = { id: 'cred-1', name: 'openai/a/prod' } as Credential;
const report = (overrides: Partial<UsageReport>): UsageReport => ({
  credentialId: 'cred-1', versionNumber: 1, source: 'proxy', consumer: 'app', at: new Date('2026-05-01T10:00:00Z'),
  requests: 1, status2xx: 1, status4xx: 0, status5xx: 0, inputTokens: 0, outputTokens: 0, ...overrides,
});

let scratch: ScratchStore;
let reports: Store;
beforeEach(async () => {
  scratch = await openScratchStore();
  reports = scratch.store;
});
afterEach(async () => {
  await scratch.close();
});

describe('usage sources for the rotation grace check', () => {
  it('turns proxy traffic and SDK check-ins on the old version into observations the grace check holds on', async () => {
    const clock = createManualClock(new Date('2026-05-01T10:20:00Z'));
    await reports.recordUsage([
      report({ at: new Date('2026-05-01T10:19:30Z'), requests: 4 }),
      report({ source: 'sdk', consumer: 'worker/pod-1', at: new Date('2026-05-01T10:19:45Z'), requests: 0 }),
      report({ versionNumber: 2, requests: 50 }),
    ]);
    const [proxy, sdk] = createRotationUsageSources({ reports, clock });
    const since = new Date('2026-05-01T10:05:00Z');
    const proxyObservations = await proxy!.observe({ credential, version: 1, fingerprint: 'f', since });
    expect(proxyObservations).toEqual([
      { source: 'proxy', consumer: 'app', lastUsedAt: new Date('2026-05-01T10:19:30Z'), requests: 4, countedSince: since, observedAt: clock.now(), resolutionSeconds: 5 },
    ]);
    const sdkObservations = await sdk!.observe({ credential, version: 1, fingerprint: 'f', since });
    expect(sdkObservations).toEqual([expect.objectContaining({ source: 'sdk', consumer: 'worker/pod-1', lastUsedAt: null, requests: 0 })]);

    const decision = decideGrace({
      now: clock.now(),
      graceStartedAt: new Date('2026-05-01T10:00:00Z'),
      quietSeconds: 900,
      maxSeconds: 1200,
      observations: [...proxyObservations, ...sdkObservations],
    });
    expect(decision.action).toBe('hold');
    expect(JSON.stringify(decision)).toContain('app');
  });

  it('reports "looked, saw nothing" so a quiet source still vouches for the window, and the grace can end', async () => {
    const clock = createManualClock(new Date('2026-05-01T10:20:00Z'));
    await reports.recordUsage([report({ at: new Date('2026-05-01T10:00:05Z'), requests: 9 })]);
    const sources = createRotationUsageSources({ reports, clock });
    const since = new Date('2026-05-01T10:05:00Z');
    const observations = (await Promise.all(sources.map((source) => source.observe({ credential, version: 1, fingerprint: 'f', since })))).flat();
    expect(observations).toEqual([
      { source: 'proxy', consumer: null, lastUsedAt: null, requests: 0, countedSince: since, observedAt: clock.now(), resolutionSeconds: 5 },
      { source: 'sdk', consumer: null, lastUsedAt: null, requests: 0, countedSince: since, observedAt: clock.now(), resolutionSeconds: 30 },
    ]);
    const decision = decideGrace({ now: clock.now(), graceStartedAt: new Date('2026-05-01T10:00:00Z'), quietSeconds: 900, maxSeconds: 3600, observations });
    expect(decision.action).toBe('end');
  });

  it('leaves out a channel no token can reach for this credential, and keeps one that a token (even revoked during the grace) reaches', async () => {
    const clock = createManualClock(new Date('2026-05-01T10:20:00Z'));
    const tokens = reports;
    const since = new Date('2026-05-01T10:05:00Z');
    const grant = (kind: 'read' | 'proxy', name: string, credentials: string[]) =>
      tokens.insertAccessToken(
        { id: name, kind, name, credentials, credentialIds: credentials.map((each) => (each === credential.name ? credential.id : `id-of-${each}`)), expiresAt: null, cidrs: [], allowedModels: [], createdAt: new Date('2026-04-01T00:00:00Z'), createdBy: 'test' },
        Buffer.alloc(32),
      );
    await grant('proxy', 'other-app', ['openai/other/prod']);
    const [proxy, sdk] = createRotationUsageSources({ reports, clock, tokens });
    expect(await proxy!.observe({ credential, version: 1, fingerprint: 'f', since })).toEqual([]);
    expect(await sdk!.observe({ credential, version: 1, fingerprint: 'f', since })).toEqual([]);

    await grant('read', 'worker', ['openai/a/prod']);
    await tokens.revokeAccessToken('worker', new Date('2026-05-01T10:10:00Z'));
    expect(await sdk!.observe({ credential, version: 1, fingerprint: 'f', since })).toEqual([expect.objectContaining({ source: 'sdk', requests: 0 })]);
    expect(await proxy!.observe({ credential, version: 1, fingerprint: 'f', since })).toEqual([]);
  });
});
