/**
 * Two-person approval on a real SQLite store: a covered action becomes a request with its
 * plan; the requester cannot approve it; another person with the approver group and the
 * approve capability does; the approved action runs once, with exactly the approved
 * parameters; a request expires after its TTL; signed links work once; a misconfigured
 * rule refuses (fail closed).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.js';
import { createManualClock } from '../../src/core/clock.js';
import { PolicyError } from '../../src/core/errors.js';
import type { ActionTarget } from '../../src/core/team-types.js';
import { createRowIntegrity } from '../../src/crypto/integrity-keys.js';
import { approvalLinkKey, approvalLinksFor, redeemApprovalLink, signApprovalLink } from '../../src/team/approval-link.js';
import { ApprovalRequiredError, decideApproval, requireApproval, saveApprovalPolicy, type ActionRequest } from '../../src/team/approval-service.js';
import { bindRole, setRoleMfa } from '../../src/team/role-service.js';
import type { TeamDeps } from '../../src/team/team-deps.js';
import { addUser, retagUser } from '../../src/team/user-service.js';
import { openScratchStore, type ScratchStore } from '../helpers/scratch-store.js';

const prod: ActionTarget = { kind: 'credential', credentialId: 'cred_1', name: 'openai/ticketing/prod', environment: 'prod', provider: 'openai', ownerTeam: null };
const staging: ActionTarget = { ...prod, credentialId: 'cred_2', name: 'openai/ticketing/staging', environment: 'staging' };
const rotation = (requester: string, parameters: Record<string, unknown> = { kind: 'manual' }): ActionRequest => ({
  requester, capability: 'rotate', target: prod, parameters, plan: { steps: ['mint', 'test', 'deliver to 2 consumers', 'promote', 'grace 15m', 'revoke v3'] }, reason: 'quarterly',
});

describe('two-person approval', () => {
  let scratch: ScratchStore;
  let deps: TeamDeps;
  let audit: AuditLog;
  const clock = createManualClock(new Date('2026-12-08T01:00:00Z'));
  const linkKey = approvalLinkKey(randomBytes(32));

  beforeEach(async () => {
    scratch = await openScratchStore({ now: () => clock.now() });
    const { store } = scratch;
    audit = createAuditLog({ store, clock });
    deps = { store, clock, audit, actor: 'cli:test' };
    for (const name of ['alice', 'bob', 'carol']) await addUser(deps, { name, password: null, groups: name === 'alice' ? ['platform'] : ['platform', 'security'] });
    await bindRole(deps, { role: 'operator', subjectKind: 'group', subject: 'platform', scope: {} });
    await saveApprovalPolicy(deps, { name: 'prod-rotate', capabilities: ['rotate', 'reveal'], scope: { environment: 'prod' }, approvals: 1, approverGroup: 'security', ttlSeconds: 3600 });
  });
  afterEach(async () => {
    await scratch.close();
  });

  async function requested(action = rotation('alice')): Promise<string> {
    const error = await requireApproval(deps, action).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApprovalRequiredError);
    return (error as ApprovalRequiredError).requestId;
  }

  it('creates a request with its plan; another person approves; the exact action then runs once', async () => {
    expect(await requireApproval(deps, { ...rotation('alice'), target: staging })).toEqual({ approvalId: null });
    const id = await requested();
    const request = await deps.store.getApprovalRequest(id);
    expect(request).toMatchObject({ status: 'pending', requester: 'alice', capability: 'rotate', approvalsRequired: 1, plan: { steps: expect.arrayContaining(['revoke v3']) } });
    await expect(requireApproval(deps, rotation('alice'), id)).rejects.toThrow('is pending, not approved');
    expect(await decideApproval(deps, { requestId: id, approver: 'bob', decision: 'approve', via: 'cli' })).toMatchObject({ status: 'approved' });
    expect(await requireApproval(deps, rotation('alice'), id)).toEqual({ approvalId: id });
    await expect(requireApproval(deps, rotation('alice'), id)).rejects.toThrow('is executed, not approved');
    const events = (await audit.list()).map((event) => `${event.event}:${event.outcome}:${event.actor}`);
    expect(events).toEqual(expect.arrayContaining(['approval-request:ok:user:alice', 'approval-approve:ok:user:bob', 'approval-execute:ok:user:alice', 'approval-execute:error:user:alice']));
  });

  it('refuses the requester approving their own request, and people outside the approver group', async () => {
    await addUser(deps, { name: 'dave', password: null, groups: ['security'] });
    const id = await requested(rotation('bob'));
    await expect(decideApproval(deps, { requestId: id, approver: 'bob', decision: 'approve', via: 'api' })).rejects.toThrow('bob asked for request');
    await expect(decideApproval(deps, { requestId: id, approver: 'alice', decision: 'approve', via: 'api' })).rejects.toThrow('alice may not decide');
    // dave is in the group but holds no approve capability on the credential.
    await expect(decideApproval(deps, { requestId: id, approver: 'dave', decision: 'approve', via: 'api' })).rejects.toThrow('dave may not decide');
    expect((await deps.store.getApprovalRequest(id))?.status).toBe('pending');
    expect(await decideApproval(deps, { requestId: id, approver: 'carol', decision: 'deny', via: 'api', comment: 'not today' })).toMatchObject({ status: 'denied' });
    await expect(requireApproval(deps, rotation('bob'), id)).rejects.toThrow('is denied, not approved');
  });

  it('refuses an approved request whose parameters or target changed, or that someone else runs', async () => {
    const id = await requested();
    await decideApproval(deps, { requestId: id, approver: 'carol', decision: 'approve', via: 'cli' });
    await expect(requireApproval(deps, rotation('alice', { kind: 'emergency' }), id)).rejects.toThrow('differs from what request');
    await expect(requireApproval(deps, { ...rotation('alice'), target: { ...prod, credentialId: 'cred_other' } }, id)).rejects.toThrow('differs from what request');
    await expect(requireApproval(deps, { ...rotation('alice'), capability: 'reveal' }, id)).rejects.toThrow('approves rotate, not reveal');
    await expect(requireApproval(deps, rotation('bob'), id)).rejects.toThrow('was made by alice, not bob');
    expect(await requireApproval(deps, rotation('alice'), id)).toEqual({ approvalId: id });
  });

  it('expires a request after its TTL, pending or approved', async () => {
    const pending = await requested();
    const approved = await requested();
    await decideApproval(deps, { requestId: approved, approver: 'bob', decision: 'approve', via: 'cli' });
    clock.advance(3601_000);
    await expect(decideApproval(deps, { requestId: pending, approver: 'bob', decision: 'approve', via: 'cli' })).rejects.toThrow('expired at 2026-12-08T02:00:00.000Z');
    await expect(requireApproval(deps, rotation('alice'), approved)).rejects.toThrow('expired');
    expect((await deps.store.getApprovalRequest(pending))?.status).toBe('expired');
    expect((await deps.store.getApprovalRequest(approved))?.status).toBe('expired');
  });

  it('needs as many approvals as the policy says, one per person', async () => {
    await saveApprovalPolicy(deps, { name: 'prod-rotate', capabilities: ['rotate'], scope: { environment: 'prod' }, approvals: 2, approverGroup: 'security', ttlSeconds: 3600 });
    const id = await requested();
    expect(await decideApproval(deps, { requestId: id, approver: 'bob', decision: 'approve', via: 'cli' })).toMatchObject({ status: 'pending' });
    await expect(decideApproval(deps, { requestId: id, approver: 'bob', decision: 'approve', via: 'link' })).rejects.toThrow('already decided');
    expect(await decideApproval(deps, { requestId: id, approver: 'carol', decision: 'approve', via: 'cli' })).toMatchObject({ status: 'approved' });
    // Three approvers asked of a group where only two people other than the requester can approve: refused up front.
    await saveApprovalPolicy(deps, { name: 'prod-rotate', capabilities: ['rotate'], scope: { environment: 'prod' }, approvals: 3, approverGroup: 'security', ttlSeconds: 3600 });
    await expect(requireApproval(deps, rotation('alice'))).rejects.toThrow('needs 3 approver(s) other than alice, and only 2 can approve');
  });

  it('fails closed on a misconfigured rule: zero approvers, an unknown role, an empty group', async () => {
    await expect(saveApprovalPolicy(deps, { name: 'zero', capabilities: ['rotate'], scope: {}, approvals: 0, approverGroup: 'security', ttlSeconds: 600 })).rejects.toThrow('from 1 to 10');
    await expect(saveApprovalPolicy(deps, { name: 'ghost', capabilities: ['rotate'], scope: {}, approvals: 1, approverRole: 'ghost', ttlSeconds: 600 })).rejects.toThrow('no role named ghost');
    // A row written around the service (SQL) with zero approvers refuses the action.
    const policy = (await deps.store.listApprovalPolicies())[0];
    if (policy === undefined) throw new Error('no policy');
    await deps.store.saveApprovalPolicy({ ...policy, approvalsRequired: 0 });
    await expect(requireApproval(deps, rotation('alice'))).rejects.toThrow('is refused: approval policy prod-rotate is misconfigured (it requires 0 approvers)');
    await deps.store.saveApprovalPolicy({ ...policy, approverGroup: 'nobody-here' });
    await expect(requireApproval(deps, rotation('alice'))).rejects.toThrow('its approver group nobody-here has no active members');
    await deps.store.saveApprovalPolicy({ ...policy, approverGroup: null, approverRole: 'deleted-role' });
    await expect(requireApproval(deps, rotation('alice'))).rejects.toBeInstanceOf(PolicyError);
    expect((await audit.list()).filter((event) => event.event === 'approval-policy-refuse')).toHaveLength(3);
  });

  it('signed one-time links: work once, are refused when replayed, forged, expired or for the requester', async () => {
    const id = await requested();
    const request = await deps.store.getApprovalRequest(id);
    if (request === undefined) throw new Error('no request');
    const links = approvalLinksFor(linkKey, request, 'bob');
    const linkDeps = { ...deps, linkKey };
    expect(await redeemApprovalLink(linkDeps, links.approve)).toMatchObject({ status: 'approved' });
    await expect(redeemApprovalLink(linkDeps, links.approve)).rejects.toThrow('used already');
    await expect(redeemApprovalLink(linkDeps, links.deny)).rejects.toThrow('is approved, not pending');
    const [payload = ''] = links.approve.split('.');
    await expect(redeemApprovalLink(linkDeps, `${payload}.${randomBytes(32).toString('base64url')}`)).rejects.toThrow('not signed by this install');
    await expect(redeemApprovalLink({ ...linkDeps, linkKey: approvalLinkKey(randomBytes(32)) }, links.deny)).rejects.toThrow('not signed by this install');
    const second = await requested();
    const own = signApprovalLink(linkKey, { requestId: second, approver: 'alice', decision: 'approve', expiresAt: new Date(clock.now().getTime() + 60_000) });
    await expect(redeemApprovalLink(linkDeps, own)).rejects.toThrow('alice asked for request');
    const late = signApprovalLink(linkKey, { requestId: second, approver: 'carol', decision: 'approve', expiresAt: new Date(clock.now().getTime() + 60_000) });
    clock.advance(61_000);
    await expect(redeemApprovalLink(linkDeps, late)).rejects.toThrow('link expired');
    const linkEvents = (await audit.list()).filter((event) => event.event === 'approval-link');
    expect(linkEvents.map((event) => event.outcome)).toEqual(['error', 'error', 'error', 'error']);
  });
  it('does not trust a status or a decision written around the service (row MACs on a sealed install)', async () => {
    const sealed: TeamDeps = { ...deps, integrity: createRowIntegrity(randomBytes(32)) };
    for (const user of await deps.store.listUsers()) await retagUser(sealed, user);
    await setRoleMfa(sealed, 'operator', false);
    await bindRole(sealed, { role: 'operator', subjectKind: 'group', subject: 'platform', scope: {} });
    await saveApprovalPolicy(sealed, { name: 'prod-rotate', capabilities: ['rotate'], scope: { environment: 'prod' }, approvals: 1, approverGroup: 'security', ttlSeconds: 3600 });
    const asked = await requireApproval(sealed, rotation('alice')).catch((caught: unknown) => caught);
    if (!(asked instanceof ApprovalRequiredError)) throw asked;
    const id = asked.requestId;
    // Marked approved directly in the store, with no decision behind it.
    await deps.store.setApprovalStatus(id, ['pending'], 'approved', clock.now());
    await expect(requireApproval(sealed, rotation('alice'), id)).rejects.toThrow('carries 0 valid approval(s) of 1');
    // A decision row without a valid MAC does not count either.
    await deps.store.addApprovalDecision({ requestId: id, approver: 'bob', decision: 'approve', via: 'sql', comment: null, at: clock.now(), mac: null });
    await expect(requireApproval(sealed, rotation('alice'), id)).rejects.toThrow('carries 0 valid approval(s) of 1');
    // A policy row edited by SQL fails its MAC: the action is refused, not let through.
    const policy = (await deps.store.listApprovalPolicies())[0];
    if (policy === undefined) throw new Error('no policy');
    await deps.store.saveApprovalPolicy({ ...policy, approverGroup: 'platform' });
    await expect(requireApproval(sealed, rotation('alice'))).rejects.toThrow('its row fails its integrity check');
  });
});
