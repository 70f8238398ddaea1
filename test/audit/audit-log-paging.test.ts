import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { createManualClock } from '../../src/core/clock.js';
import { createMemoryAuditStore } from './memory-audit-store.js';

describe('audit log over many events', () => {
  it('verifies and exports page by page, and still names a bad event on a later page', async () => {
    const store = createMemoryAuditStore();
    const clock = createManualClock();
    const audit = createAuditLog({ store, clock });
    for (let index = 0; index < 2500; index++) {
      clock.advance(10);
      await audit.record({ event: 'credential-show', actor: 'cli:test', credential: null, fingerprint: null, outcome: 'ok', detail: { index } });
    }
    expect(await audit.verify()).toEqual({ ok: true, count: 2500 });
    expect(store.pageSizes).toEqual([1000, 1000, 500]);
    const exported = JSON.parse(await audit.export('json')) as unknown[];
    expect(exported).toHaveLength(2500);

    store.events[1800] = { ...store.events[1800]!, actor: 'mallory' };
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 1801 });
  });

  it('reports a log that ends before the recorded head', async () => {
    const store = createMemoryAuditStore();
    const audit = createAuditLog({ store, clock: createManualClock() });
    for (let index = 0; index < 3; index++) {
      await audit.record({ event: 'credential-show', actor: 'cli:test', credential: null, fingerprint: null, outcome: 'ok', detail: {} });
    }
    store.events.pop();
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 3, reason: 'event 3 is missing: the log was cut short' });
  });
});
