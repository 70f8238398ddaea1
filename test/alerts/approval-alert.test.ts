/**
 * Approvals waiting (team mode): a pending request raises one alert naming what is asked,
 * by whom and until when; it resolves once the request is decided, and an expired request
 * is not alerted.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalWaitingEvents } from '../../src/alerts/approval-alerts.js';
import { createAlertService } from '../../src/alerts/alert-service.js';
import { createManualClock } from '../../src/core/clock.js';
import { openScratchStore, type ScratchStore } from '../helpers/scratch-store.js';

const AT = new Date('2026-07-01T10:00:00Z');

describe('approval-waiting alerts', () => {
  let scratch: ScratchStore;
  beforeEach(async () => {
    scratch = await openScratchStore();
  });
  afterEach(async () => {
    await scratch.close();
  });

  const request = (id: string, expiresInMs: number) => ({
    id,
    policy: 'prod-rotate',
    capability: 'rotate' as const,
    target: { kind: 'credential' as const, credentialId: 'cred_1', name: 'openai/billing/prod', environment: 'prod', provider: 'openai', ownerTeam: null },
    parameters: { kind: 'manual' },
    parametersHash: 'h'.repeat(64),
    plan: { steps: ['mint', 'revoke'] },
    reason: 'quarterly rotation',
    requester: 'alice',
    approvalsRequired: 1,
    createdAt: AT,
    expiresAt: new Date(AT.getTime() + expiresInMs),
    mac: null,
  });

  it('one alert per pending request, resolved once it is decided', async () => {
    await scratch.store.createApprovalRequest(request('apr_waiting', 3_600_000));
    await scratch.store.createApprovalRequest(request('apr_expired', 60_000));
    const clock = createManualClock(new Date(AT.getTime() + 5 * 60_000));
    const service = createAlertService({ store: scratch.store, clock, rules: [] });
    const events = await approvalWaitingEvents({ store: scratch.store, clock });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'approval-waiting', key: 'approval-waiting:apr_waiting', credential: 'openai/billing/prod', environment: 'prod', title: 'Approval waiting: rotate on openai/billing/prod, asked by alice' });
    expect(events[0]?.facts).toContainEqual({ label: 'expires', value: '2026-07-01T11:00:00.000Z' });
    expect((await service.sync(['approval-waiting'], events)).map((change) => change.sent)).toEqual(['trigger']);

    expect(await scratch.store.setApprovalStatus('apr_waiting', ['pending'], 'approved', clock.now())).toBe(true);
    expect((await service.sync(['approval-waiting'], await approvalWaitingEvents({ store: scratch.store, clock }))).map((change) => change.sent)).toEqual(['resolve']);
  });
});
