/**
 * Step-up MFA and two-person approval through the management API (in process, real store,
 * real rotation engine over the fake provider): a production rotation needs a fresh MFA
 * proof and another person's approval, runs once with exactly the approved body, and the
 * audit log names both people; a signed link is shown without being spent, then works once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiWorld, PASSWORD, type ApiWorld } from '../../../test/helpers/api-world.js';
import { approvalLinksFor } from '../../team/approval-link.js';
import { saveApprovalPolicy } from '../../team/approval-service.js';
import { totpCode } from '../../team/totp.js';
import { setUserGroups } from '../../team/user-service.js';

const PROD = 'openai/ticketing/prod';
let world: ApiWorld;

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

/** Enrols TOTP through the API and signs in again with a code; returns the secret and the MFA session. */
async function enrolAndLogIn(name: string): Promise<{ secret: string; token: string }> {
  const plain = await world.login(name);
  const { secret } = await json<{ secret: string }>(await world.call('POST', '/v1/mfa/totp', plain), 201);
  await json(await world.call('POST', '/v1/mfa/totp/confirm', plain, { totp: totpCode(secret, world.clock.now()) }), 200);
  world.clock.advance(30_000);
  const refused = await world.call('POST', '/v1/auth/login', undefined, { user: name, password: PASSWORD });
  expect(refused.status).toBe(401);
  const { token } = await json<{ token: string }>(await world.call('POST', '/v1/auth/login', undefined, { user: name, password: PASSWORD, mfa: { totp: totpCode(secret, world.clock.now()) } }), 201);
  world.clock.advance(30_000);
  return { secret, token };
}

beforeEach(async () => {
  world = await createApiWorld({ team: true });
  await world.addCredential(PROD);
  await world.addPerson('alice', [{ role: 'operator', scope: {} }]);
  await world.addPerson('bob', [{ role: 'operator', scope: {} }]);
  const team = { store: world.store, audit: world.audit, clock: world.clock, actor: 'test:setup' };
  await setUserGroups(team, 'bob', ['security']);
  await saveApprovalPolicy(team, { name: 'prod-rotate', capabilities: ['rotate', 'emergency-rotate'], scope: { environment: 'prod' }, approvals: 1, approverGroup: 'security', ttlSeconds: 3600 });
});
afterEach(() => world.close());

describe('step-up and two-person approval over the API', () => {
  it('a production rotation runs only after step-up MFA and a second person, exactly as approved, once', async () => {
    const alice = await enrolAndLogIn('alice');
    world.clock.advance(6 * 60_000);
    const body = { credential: PROD, graceQuietSeconds: 0 };
    const stale = await json<{ error: { code: string; message: string } }>(await world.call('POST', '/v1/rotations', alice.token, body), 403);
    expect(stale.error).toMatchObject({ code: 'step-up-required', message: 'rotate on openai/ticketing/prod needs a fresh MFA proof (within 5 minutes)' });
    await json(await world.call('POST', '/v1/auth/step-up', alice.token, { totp: '000000' === totpCode(alice.secret, world.clock.now()) ? '111111' : '000000' }), 400);
    const stepped = await json<{ method: string }>(await world.call('POST', '/v1/auth/step-up', alice.token, { totp: totpCode(alice.secret, world.clock.now()) }), 200);
    expect(stepped.method).toBe('totp');

    const asked = await json<{ error: { code: string; approval: string } }>(await world.call('POST', '/v1/rotations', alice.token, body), 403);
    expect(asked.error.code).toBe('approval-required');
    const id = asked.error.approval;
    const own = await world.call('POST', `/v1/approvals/${id}/approve`, alice.token, {});
    expect(own.status).toBe(422);
    expect(await own.text()).toContain('alice asked for request');

    const plainBob = await world.login('bob');
    const shown = await json<{ plan: { operation: string; input: { body: { credential: string } } }; requester: string; status: string }>(await world.call('GET', `/v1/approvals/${id}`, plainBob), 200);
    expect(shown).toMatchObject({ requester: 'alice', status: 'pending', plan: { operation: 'rotation-start', input: { body: { credential: PROD } } } });
    // Approving is the approver's own production act: it needs bob's fresh MFA proof too.
    const unproved = await json<{ error: { code: string; message: string } }>(await world.call('POST', `/v1/approvals/${id}/approve`, plainBob, {}), 403);
    expect(unproved.error).toMatchObject({ code: 'step-up-required', message: expect.stringContaining('needs a fresh MFA proof from bob') });
    const bobMfa = await enrolAndLogIn('bob');
    await json(await world.call('POST', '/v1/auth/step-up', bobMfa.token, { totp: totpCode(bobMfa.secret, world.clock.now()) }), 200);
    const bob = bobMfa.token;
    expect(await json<{ status: string }>(await world.call('POST', `/v1/approvals/${id}/approve`, bob, { comment: 'ok' }), 200)).toMatchObject({ status: 'approved' });

    const withApproval = (payload: unknown) => world.app.request('/v1/rotations', {
      method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json', 'x-rekey-approval': id }, body: JSON.stringify(payload),
    });
    const changed = await json<{ error: { code: string; message: string } }>(await withApproval({ ...body, graceQuietSeconds: 60 }), 403);
    expect(changed.error).toMatchObject({ code: 'approval-refused', message: expect.stringContaining('differs from what request') });
    const emergency = await json<{ error: { code: string; message: string } }>(await withApproval({ ...body, emergency: true }), 403);
    expect(emergency.error.message).toContain('approves rotate, not emergency-rotate');
    const ran = await json<{ state: string; to: number }>(await withApproval(body), 201);
    expect(ran).toMatchObject({ state: 'done', to: 2 });
    const again = await json<{ error: { code: string } }>(await withApproval(body), 403);
    expect(again.error.code).toBe('approval-refused');

    const events = await world.audit.list();
    expect(events.find((event) => event.event === 'approval-approve' && event.outcome === 'ok')).toMatchObject({ actor: 'user:bob' });
    const rotationEvents = events.filter((event) => event.event.startsWith('rotation-'));
    expect(rotationEvents.length).toBeGreaterThan(1);
    for (const event of rotationEvents) expect(event).toMatchObject({ actor: 'user:alice', detail: { via: { approval: id, mfa: 'totp' } } });
  });

  it('a signed link is shown without being spent, then works once', async () => {
    const alice = await enrolAndLogIn('alice');
    const asked = await json<{ error: { approval: string } }>(await world.call('POST', '/v1/rotations', alice.token, { credential: PROD }), 403);
    const request = await world.store.getApprovalRequest(asked.error.approval);
    if (request === undefined || world.services.team === undefined) throw new Error('no request');
    const links = approvalLinksFor(world.services.team.linkKey, request, 'bob');
    const path = `/v1/approvals/links/${links.approve}`;
    expect(await json(await world.call('GET', path), 200)).toMatchObject({ approver: 'bob', decision: 'approve', approval: { status: 'pending' } });
    expect(await json(await world.call('GET', path), 200)).toMatchObject({ approval: { status: 'pending' } });
    expect(await json(await world.call('POST', path), 200)).toMatchObject({ status: 'approved', decisions: [{ approver: 'bob', via: 'link' }] });
    expect((await json<{ error: { message: string } }>(await world.call('POST', path), 422)).error.message).toContain('used already');
  });
});
