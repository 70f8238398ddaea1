/**
 * The Store contract, approval part (src/store/approval-store-types.ts, migration 13):
 * policies, requests with compare-and-set status, one decision per approver, single-use
 * link nonces, workload identities. Registered by `runStoreContract`, so it runs on SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import type { Store } from '../../src/store/store.js';
import type { StoreFixture, StoreFixtureFactory } from './store-fixture.js';

const at = new Date('2026-03-01T12:00:00Z');
const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);

const policy = {
  name: 'prod-rotate', capabilities: ['rotate' as const], scope: { environment: 'prod' }, approvalsRequired: 2, approverRole: null, approverGroup: 'security', ttlSeconds: 3600, createdAt: at, createdBy: 'cli:test', mac: 'm',
};

function newRequest(id: string, createdAt = at) {
  return {
    id, policy: 'prod-rotate', capability: 'rotate' as const,
    target: { kind: 'credential' as const, credentialId: 'cred_1', name: 'openai/a/prod', environment: 'prod', provider: 'openai', ownerTeam: null },
    parameters: { kind: 'manual', nested: { list: [1, 2] } }, parametersHash: 'h'.repeat(64), plan: { steps: ['mint', 'revoke'] }, reason: null, requester: 'alice',
    approvalsRequired: 2, createdAt, expiresAt: later(3600), mac: null,
  };
}

export function runApprovalStoreContract(label: string, createFixture: StoreFixtureFactory): void {
  describe(`store contract, approval and workload identity parts ${label}`, () => {
    let fixture: StoreFixture;
    let store: Store;

    beforeEach(async () => {
      fixture = await createFixture({ now: () => at });
      store = fixture.store;
      await store.migrate();
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    it('saves, replaces, lists and removes policies', async () => {
      expect(await store.saveApprovalPolicy(policy)).toMatchObject({ name: 'prod-rotate', capabilities: ['rotate'], scope: { environment: 'prod' }, approvalsRequired: 2, approverGroup: 'security', approverRole: null });
      await store.saveApprovalPolicy({ ...policy, approvalsRequired: 3, approverRole: 'operator', approverGroup: null });
      expect(await store.listApprovalPolicies()).toEqual([expect.objectContaining({ approvalsRequired: 3, approverRole: 'operator', approverGroup: null })]);
      await store.removeApprovalPolicy('prod-rotate');
      await expect(store.removeApprovalPolicy('prod-rotate')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('keeps requests as written, moves status only from the given states, newest first', async () => {
      const created = await store.createApprovalRequest(newRequest('apr_1'));
      expect(created).toMatchObject({ status: 'pending', parameters: { kind: 'manual', nested: { list: [1, 2] } }, target: { credentialId: 'cred_1' }, decidedAt: null, executedAt: null });
      expect(created.expiresAt.toISOString()).toBe(later(3600).toISOString());
      await store.createApprovalRequest(newRequest('apr_2', later(10)));
      expect((await store.listApprovalRequests()).map((request) => request.id)).toEqual(['apr_2', 'apr_1']);
      expect(await Promise.all([store.setApprovalStatus('apr_1', ['pending'], 'approved', later(5)), store.setApprovalStatus('apr_1', ['pending'], 'expired', later(5))])).toEqual(expect.arrayContaining([true, false]));
      const decided = await store.getApprovalRequest('apr_1');
      expect(decided?.decidedAt?.toISOString()).toBe(later(5).toISOString());
      expect(await store.setApprovalStatus('apr_2', [], 'approved', later(6))).toBe(false);
      expect((await store.listApprovalRequests({ status: 'pending' })).map((request) => request.id)).toEqual(['apr_2']);
      await expect(fixture.sql("UPDATE approval_requests SET status = 'granted' WHERE id = 'apr_2'")).rejects.toThrow();
      expect(await store.getApprovalRequest('apr_none')).toBeUndefined();
    });

    it('takes one decision per approver per request', async () => {
      await store.createApprovalRequest(newRequest('apr_1'));
      const decision = { requestId: 'apr_1', approver: 'bob', decision: 'approve' as const, via: 'cli', comment: null, at: later(1), mac: null };
      await store.addApprovalDecision(decision);
      await expect(store.addApprovalDecision({ ...decision, decision: 'deny', at: later(2) })).rejects.toBeInstanceOf(ConflictError);
      await store.addApprovalDecision({ ...decision, approver: 'carol', comment: 'ok', at: later(2) });
      expect((await store.listApprovalDecisions('apr_1')).map((item) => [item.approver, item.decision, item.comment])).toEqual([['bob', 'approve', null], ['carol', 'approve', 'ok']]);
    });

    it('accepts each link nonce once, also under a race', async () => {
      expect(await store.useApprovalLinkNonce('n1', 'apr_1', at)).toBe(true);
      expect(await store.useApprovalLinkNonce('n1', 'apr_1', later(1))).toBe(false);
      expect(await Promise.all([store.useApprovalLinkNonce('n2', 'apr_1', at), store.useApprovalLinkNonce('n2', 'apr_1', at)])).toEqual(expect.arrayContaining([true, false]));
    });
    it('saves, replaces, lists by issuer and removes workload identities', async () => {
      const identity = { name: 'acme-deploy', issuer: 'https://token.ci.example', audience: 'rekey', boundClaims: { repository: 'acme/*' }, groups: ['ci'], createdAt: at, createdBy: 'cli:test', mac: 'm' };
      expect(await store.saveWorkloadIdentity(identity)).toMatchObject({ boundClaims: { repository: 'acme/*' }, groups: ['ci'] });
      await store.saveWorkloadIdentity({ ...identity, boundClaims: { repository: 'acme/app', ref: 'refs/heads/main' } });
      await store.saveWorkloadIdentity({ ...identity, name: 'other', issuer: 'https://other.example' });
      expect((await store.listWorkloadIdentities({ issuer: 'https://token.ci.example' })).map((item) => [item.name, item.boundClaims])).toEqual([['acme-deploy', { repository: 'acme/app', ref: 'refs/heads/main' }]]);
      await store.removeWorkloadIdentity('other');
      await expect(store.removeWorkloadIdentity('other')).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.listWorkloadIdentities()).toHaveLength(1);
    });
  });
}
