/** `rekey status`'s report on a real SQLite store with an injected clock (no sleeping for days). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashAuditEvent } from '../../src/audit/audit-chain.js';
import { createManualClock } from '../../src/core/clock.js';
import { buildStatusReport } from '../../src/rotation/credential-status.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { newCredential, newVersion } from '../contracts/store-fixture.js';

const DAY_MS = 86_400_000;
let directory: string;
let store: Store;
const clock = createManualClock(new Date('2026-03-01T00:00:00Z'));

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'rekey-status-'));
  store = await openStore({ sqlitePath: join(directory, 'rekey.db'), now: () => clock.now() });
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

describe('credential status', () => {
  it('says when each key is next due, puts the overdue one before a missing cadence, and names consumers never delivered the current version', async () => {
    const monthly = await store.createCredential(newCredential('openai/billing/prod', { policy: { rotateEveryDays: 30 } }));
    const unscheduled = await store.createCredential(newCredential('openai/chat/dev', { policy: {} }));
    await store.addVersion(newVersion(monthly.id, 'current', 'a'));
    await store.addVersion(newVersion(unscheduled.id, 'current', 'b'));
    await store.addConsumer({ credentialId: monthly.id, name: 'billing-env', kind: 'env-file', config: {}, reload: null });
    await store.addConsumer({ credentialId: monthly.id, name: 'billing-vault', kind: 'vault-kv', config: {}, reload: null });
    await store.appendAudit({ at: clock.now(), event: 'sink-write', actor: 'cli:test', credential: monthly.name, fingerprint: null, outcome: 'ok', detail: { version: 1, consumer: 'billing-env' } }, hashAuditEvent);

    const early = await buildStatusReport({ store, clock });
    expect(early.credentials.find((status) => status.credential === monthly.name)).toMatchObject({
      current: { version: 1, ageDays: 0 },
      nextDue: { at: '2026-03-31T00:00:00.000Z', overdue: false },
      consumers: { total: 2, confirmed: ['billing-env'], unconfirmed: ['billing-vault'] },
      rotation: null,
    });
    expect(early.credentials.find((status) => status.credential === unscheduled.name)?.nextDue).toBeNull();
    expect(early.attention.map((item) => item.severity)).toEqual(['low', 'low']);

    clock.advance(31 * DAY_MS);
    const late = await buildStatusReport({ store, clock });
    expect(late.attention[0]).toMatchObject({ severity: 'medium', credential: monthly.name, what: expect.stringContaining('is overdue: the current key (v1) is 31 days old, due since 2026-03-31'), command: `rekey rotate ${monthly.name}` });
    expect(late.attention.find((item) => item.credential === unscheduled.name)?.command).toBe(`rekey credential edit ${unscheduled.name} --rotate-every-days 90`);
  });

  it('an empty store says how to begin', async () => {
    const report = await buildStatusReport({ store, clock });
    expect(report.credentials).toEqual([]);
    expect(report.attention[0]?.command).toContain('rekey quickstart');
  });
});
