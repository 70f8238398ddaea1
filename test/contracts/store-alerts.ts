/**
 * The alert part of the store contract (src/store/alert-store-types.ts), run inside
 * `runStoreContract` on both dialects: alerts saved compare-and-set together with their
 * outbox messages, dedup by message id, claims that one worker holds at a time and that a
 * killed worker loses on expiry, per-alert ordering, backoff, dead letters.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { ConflictError } from '../../src/core/errors.js';
import type { AlertDraft, NewOutboxMessage } from '../../src/store/alert-store-types.js';
import type { Store } from '../../src/store/store.js';
import type { StoreFixture } from './store-fixture.js';

interface Context {
  store: Store;
  fixture: StoreFixture;
  clock: Clock & { advance(milliseconds: number): void };
}

function draft(key: string, at: Date, overrides: Partial<AlertDraft> = {}): AlertDraft {
  return {
    key,
    kind: 'rotation-held',
    severity: 'error',
    state: 'open',
    event: { title: `held ${key}` },
    channels: ['ops'],
    occurrences: 1,
    round: 1,
    reminders: 0,
    firstSeenAt: at,
    lastSeenAt: at,
    lastNotifiedAt: at,
    resolvedAt: null,
    by: null,
    ...overrides,
  };
}

function message(alertKey: string, action: string, at: Date, channel = 'ops'): NewOutboxMessage {
  const messageId = `msg-${alertKey}-${action}`;
  return { id: `${messageId}@${channel}`, messageId, alertKey, channel, action, message: { action, alertKey }, createdAt: at };
}

export function runAlertStoreContract(context: () => Context): void {
  describe('alerts and outbox', () => {
    it('saves an alert compare-and-set with its messages in one transaction; a lost race enqueues nothing', async () => {
      const { store, clock } = context();
      await store.migrate();
      const at = clock.now();
      const saved = await store.saveAlert(draft('a1', at), null, [message('a1', 'trigger', at), message('a1', 'trigger', at, 'pager')]);
      expect(saved).toMatchObject({ key: 'a1', state: 'open', revision: 1, channels: ['ops'], event: { title: 'held a1' } });
      await expect(store.saveAlert(draft('a1', at), null, [message('a1', 'other', at)])).rejects.toBeInstanceOf(ConflictError);
      await expect(store.saveAlert(draft('a1', at, { occurrences: 2 }), 7, [message('a1', 'remind', at)])).rejects.toBeInstanceOf(ConflictError);
      const updated = await store.saveAlert(draft('a1', at, { occurrences: 5, state: 'resolved', resolvedAt: at }), 1, [message('a1', 'resolve', at), message('a1', 'trigger', at)]);
      expect(updated).toMatchObject({ revision: 2, occurrences: 5, state: 'resolved' });
      const outbox = await store.listOutbox({ alertKey: 'a1' });
      // The repeated trigger id was enqueued once; the lost races added nothing.
      expect(outbox.map((item) => `${item.action}@${item.channel}:${item.position}`).sort()).toEqual(['resolve@ops:2', 'trigger@ops:1', 'trigger@pager:1']);
      expect(await store.listAlerts({ states: ['open'] })).toEqual([]);
      expect((await store.getAlert('a1'))?.resolvedAt?.toISOString()).toBe(at.toISOString());
    });

    it('a claim belongs to one worker until it expires; then another takes it and the first cannot settle', async () => {
      const { store, clock, fixture } = context();
      await store.migrate();
      const at = clock.now();
      await store.saveAlert(draft('a2', at), null, [message('a2', 'trigger', at)]);
      const other = await fixture.openAnother();
      try {
        const [mine, theirs] = await Promise.all([
          store.claimOutbox({ holder: 'worker-a', now: at, limit: 10, leaseMs: 30_000 }),
          other.claimOutbox({ holder: 'worker-b', now: at, limit: 10, leaseMs: 30_000 }),
        ]);
        expect(mine.length + theirs.length).toBe(1);
        const first = mine.length === 1 ? 'worker-a' : 'worker-b';
        const second = first === 'worker-a' ? 'worker-b' : 'worker-a';
        expect([...mine, ...theirs][0]).toMatchObject({ state: 'delivering', attempts: 1, claimedBy: first });
        expect(await store.claimOutbox({ holder: second, now: new Date(at.getTime() + 29_000), limit: 10, leaseMs: 30_000 })).toEqual([]);
        // The first worker was killed: its claim expires and the message is claimed again.
        const later = new Date(at.getTime() + 31_000);
        const [again] = await store.claimOutbox({ holder: second, now: later, limit: 10, leaseMs: 30_000 });
        expect(again).toMatchObject({ attempts: 2, claimedBy: second });
        expect(await store.settleOutbox(again?.id ?? '', first, { state: 'delivered', at: later })).toBe(false);
        expect(await store.settleOutbox(again?.id ?? '', second, { state: 'delivered', at: later })).toBe(true);
        expect(await store.claimOutbox({ holder: first, now: new Date(later.getTime() + 3_600_000), limit: 10, leaseMs: 1 })).toEqual([]);
        expect((await store.listOutbox({ states: ['delivered'] })).map((item) => item.deliveredAt?.toISOString())).toEqual([later.toISOString()]);
      } finally {
        await other.close();
      }
    });

    it('keeps order per alert and channel, backs off, dead-letters and retries', async () => {
      const { store, clock } = context();
      await store.migrate();
      const at = clock.now();
      const saved = await store.saveAlert(draft('a3', at), null, [message('a3', 'trigger', at)]);
      await store.saveAlert(draft('a3', at, { state: 'resolved', resolvedAt: at }), saved.revision, [message('a3', 'resolve', new Date(at.getTime() + 1))]);
      const [trigger, ...rest] = await store.claimOutbox({ holder: 'w', now: at, limit: 10, leaseMs: 60_000 });
      // The resolve waits behind its trigger.
      expect(trigger?.action).toBe('trigger');
      expect(rest).toEqual([]);
      const retryAt = new Date(at.getTime() + 10_000);
      expect(await store.settleOutbox(trigger?.id ?? '', 'w', { state: 'pending', nextAttemptAt: retryAt, error: 'HTTP 503' })).toBe(true);
      expect(await store.claimOutbox({ holder: 'w', now: new Date(at.getTime() + 9_000), limit: 10, leaseMs: 60_000 })).toEqual([]);
      const [retried] = await store.claimOutbox({ holder: 'w', now: retryAt, limit: 10, leaseMs: 60_000 });
      expect(retried).toMatchObject({ action: 'trigger', attempts: 2, lastError: 'HTTP 503' });
      await store.settleOutbox(retried?.id ?? '', 'w', { state: 'dead', at: retryAt, error: 'HTTP 410' });
      // A dead trigger does not hold back the resolve forever.
      const [resolve] = await store.claimOutbox({ holder: 'w', now: retryAt, limit: 10, leaseMs: 60_000 });
      expect(resolve?.action).toBe('resolve');
      await store.settleOutbox(resolve?.id ?? '', 'w', { state: 'delivered', at: retryAt });
      expect((await store.listOutbox({ states: ['dead'] })).map((item) => item.lastError)).toEqual(['HTTP 410']);
      const back = await store.retryOutbox(retried?.id ?? '', retryAt);
      expect(back).toMatchObject({ state: 'pending', attempts: 0, lastError: null });
      await expect(store.retryOutbox(retried?.id ?? '', retryAt)).rejects.toBeInstanceOf(ConflictError);
    });

    it('migration 6: heartbeats keep their first beat and never move back; auth failures add up per source and minute', async () => {
      const { store, clock } = context();
      await store.migrate();
      const at = clock.now();
      expect(await store.getHeartbeat('scheduler')).toBeUndefined();
      await store.recordHeartbeat('scheduler', 'host:1', at);
      await store.recordHeartbeat('scheduler', 'host:2', new Date(at.getTime() + 60_000));
      await store.recordHeartbeat('scheduler', 'host:3', new Date(at.getTime() + 30_000));
      expect(await store.getHeartbeat('scheduler')).toEqual({ name: 'scheduler', holder: 'host:3', beatAt: new Date(at.getTime() + 60_000), firstBeatAt: at });

      const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
      await store.recordAuthFailures('serve', new Date(minute.getTime() + 5_000), 3);
      await store.recordAuthFailures('serve', new Date(minute.getTime() + 50_000), 4);
      await store.recordAuthFailures('proxy', new Date(minute.getTime() + 60_000), 2);
      await store.recordAuthFailures('proxy', new Date(minute.getTime() - 600_000), 100);
      await store.recordAuthFailures('proxy', minute, 0);
      expect(await store.countAuthFailures(minute)).toEqual([{ source: 'proxy', failures: 2 }, { source: 'serve', failures: 7 }]);
      expect(await store.countAuthFailures(new Date(minute.getTime() + 60_000))).toEqual([{ source: 'proxy', failures: 2 }]);
    });

    it('lists usage per minute of a credential over its versions, sources and consumers', async () => {
      const { store } = context();
      await store.migrate();
      const base = new Date('2026-05-01T10:00:00Z');
      const report = (minutes: number, overrides: Record<string, unknown> = {}) => ({
        credentialId: 'cred-series', versionNumber: 1, source: 'proxy' as const, consumer: 'app', at: new Date(base.getTime() + minutes * 60_000 + 7_000),
        requests: 2, status2xx: 2, status4xx: 0, status5xx: 0, inputTokens: 10, outputTokens: 5, ...overrides,
      });
      await store.recordUsage([report(0), report(0, { versionNumber: 2, consumer: 'other', requests: 3, status4xx: 1 }), report(1, { source: 'sdk', status2xx: 0 }), report(5), report(0, { credentialId: 'cred-else' })]);
      const minutes = await store.listUsageMinutes('cred-series', base, new Date(base.getTime() + 5 * 60_000));
      expect(minutes).toEqual([
        { at: base, requests: 5, status4xx: 1, status5xx: 0, inputTokens: 20, outputTokens: 10 },
        { at: new Date(base.getTime() + 60_000), requests: 2, status4xx: 0, status5xx: 0, inputTokens: 10, outputTokens: 5 },
      ]);
    });
  });
}
