/**
 * TOTP enrolment and verification, recovery codes and the step-up gate, on a real SQLite
 * store with real envelope encryption: a code is good once, a recovery code once; the
 * secret is sealed (not in the database file); a dangerous action on a production
 * credential needs an MFA proof from the last five minutes; a role with require-mfa needs
 * an MFA session.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.js';
import { createManualClock } from '../../src/core/clock.js';
import { createEnvelope } from '../../src/crypto/envelope.js';
import type { SessionRecord } from '../../src/store/team-store-types.js';
import { createAccessControl } from '../../src/team/access-control.js';
import { confirmTotp, enrollTotp, mfaStatus, regenerateRecoveryCodes, verifyMfa, type MfaDeps } from '../../src/team/mfa-service.js';
import { bindRole, setRoleMfa } from '../../src/team/role-service.js';
import { gatePersonRequest, stepUpSession } from '../../src/team/step-up.js';
import { totpCode } from '../../src/team/totp.js';
import { addUser } from '../../src/team/user-service.js';
import { openScratchStore, type ScratchStore } from '../helpers/scratch-store.js';

const prod = { kind: 'credential' as const, name: 'openai/ticketing/prod', environment: 'prod', provider: 'openai', ownerTeam: null };
const staging = { ...prod, name: 'openai/ticketing/staging', environment: 'staging' };

describe('MFA: TOTP, recovery codes, step-up', () => {
  let scratch: ScratchStore;
  let deps: MfaDeps;
  let audit: AuditLog;
  const clock = createManualClock(new Date('2026-12-08T00:00:00Z'));

  beforeEach(async () => {
    scratch = await openScratchStore({ now: () => clock.now() });
    const { store } = scratch;
    audit = createAuditLog({ store, clock });
    deps = { store, clock, audit, actor: 'cli:test', envelope: createEnvelope(randomBytes(32)) };
    await addUser(deps, { name: 'alice', password: null });
  });
  afterEach(async () => {
    await scratch.close();
  });

  async function enrolled(): Promise<{ secret: string; recoveryCodes: string[] }> {
    const { secret, uri } = await enrollTotp(deps, 'alice');
    expect(uri).toContain(`secret=${secret}`);
    expect((await mfaStatus(deps, 'alice')).totp).toBe('pending');
    const { recoveryCodes } = await confirmTotp(deps, 'alice', totpCode(secret, clock.now()));
    clock.advance(30_000);
    return { secret, recoveryCodes };
  }

  it('enrols, accepts each code once, spends recovery codes once, and keeps the secret sealed', async () => {
    const { secret, recoveryCodes } = await enrolled();
    expect(await mfaStatus(deps, 'alice')).toEqual({ user: 'alice', totp: 'confirmed', recoveryCodesLeft: 10 });
    const code = totpCode(secret, clock.now());
    expect(await verifyMfa(deps, 'alice', code)).toBe('totp');
    // The same code again, in the same 30 seconds: a replay.
    await expect(verifyMfa(deps, 'alice', code)).rejects.toThrow('already used');
    await expect(verifyMfa(deps, 'alice', '000000' === code ? '111111' : '000000')).rejects.toThrow('wrong');
    const [recovery = ''] = recoveryCodes;
    expect(await verifyMfa(deps, 'alice', recovery.toUpperCase())).toBe('recovery-code');
    await expect(verifyMfa(deps, 'alice', recovery)).rejects.toThrow('unused recovery code');
    expect((await mfaStatus(deps, 'alice')).recoveryCodesLeft).toBe(9);
    // A confirmed enrolment cannot be replaced by whoever holds the session.
    await expect(enrollTotp(deps, 'alice')).rejects.toThrow('already has TOTP enrolled');

    // New recovery codes void the old ones.
    clock.advance(30_000);
    const fresh = await regenerateRecoveryCodes(deps, 'alice', totpCode(secret, clock.now()));
    await expect(verifyMfa(deps, 'alice', recoveryCodes[1] ?? '')).rejects.toThrow();
    expect(await verifyMfa(deps, 'alice', fresh[0] ?? '')).toBe('recovery-code');

    const events = await audit.list();
    const verifications = events.filter((event) => event.event === 'mfa-verify');
    expect(verifications.map((event) => [event.outcome, event.detail.method])).toEqual([
      ['ok', 'totp'], ['error', 'totp'], ['error', 'totp'], ['ok', 'recovery-code'], ['error', 'recovery-code'], ['ok', 'totp'], ['error', 'recovery-code'], ['ok', 'recovery-code'],
    ]);
    const everything = JSON.stringify(events) + readFileSync(scratch.path).toString('latin1');
    for (const planted of [secret, code, ...recoveryCodes, ...fresh]) expect(everything).not.toContain(planted);
  });

  it('refuses a confirmation with a wrong code and leaves the enrolment pending', async () => {
    const { secret } = await enrollTotp(deps, 'alice');
    const wrong = totpCode(secret, new Date(clock.now().getTime() - 120_000));
    await expect(confirmTotp(deps, 'alice', wrong)).rejects.toThrow('wrong, expired or already used');
    expect((await mfaStatus(deps, 'alice')).totp).toBe('pending');
    await expect(verifyMfa(deps, 'alice', totpCode(secret, clock.now()))).rejects.toThrow('no MFA enrolled');
  });

  it('step-up: production reveal and rotate need a proof from the last five minutes; staging does not', async () => {
    const { secret } = await enrolled();
    await bindRole(deps, { role: 'admin', subjectKind: 'user', subject: 'alice', scope: {} });
    const user = await deps.store.getUser('alice');
    if (user === undefined) throw new Error('no alice');
    const now = clock.now();
    const session: SessionRecord = { id: 'ses_1', userId: user.id, createdAt: now, lastSeenAt: now, expiresAt: new Date(now.getTime() + 3_600_000), idleSeconds: 900, mfaAt: null, mfaMethod: null, source: null, revokedAt: null, mac: null };
    await deps.store.createSession(session, randomBytes(32));
    const gate = (capability: 'reveal' | 'rotate' | 'master-key-rotate', target: typeof prod | { kind: 'install' }) =>
      deps.store.findSession('ses_1').then((found) => gatePersonRequest({ accessControl: createAccessControl(deps), clock }, { user, session: found?.session ?? session, capability, target }));

    expect(await gate('rotate', staging)).toMatchObject({ allowed: true, steppedUp: false });
    expect(await gate('reveal', prod)).toMatchObject({ allowed: false, denial: 'step-up-required', reason: 'reveal on openai/ticketing/prod needs a fresh MFA proof (within 5 minutes)' });
    expect(await gate('master-key-rotate', { kind: 'install' })).toMatchObject({ allowed: false, denial: 'step-up-required' });

    await expect(stepUpSession(deps, session, 'alice', '123456' === totpCode(secret, clock.now()) ? '654321' : '123456')).rejects.toThrow('wrong');
    expect(await stepUpSession(deps, session, 'alice', totpCode(secret, clock.now()))).toMatchObject({ method: 'totp' });
    expect(await gate('reveal', prod)).toEqual({ allowed: true, capability: 'reveal', role: 'admin', mfaMethod: 'totp', steppedUp: true });
    clock.advance(299_000);
    expect(await gate('rotate', prod)).toMatchObject({ allowed: true, mfaMethod: 'totp' });
    clock.advance(2_000);
    expect(await gate('rotate', prod)).toMatchObject({ allowed: false, denial: 'step-up-required' });
  });

  it('a role that requires MFA needs a session that passed it; a person without MFA is refused outright', async () => {
    await bindRole(deps, { role: 'operator', subjectKind: 'user', subject: 'alice', scope: { environment: 'staging' } });
    await setRoleMfa(deps, 'operator', true);
    const accessControl = createAccessControl(deps);
    const noMfa = { mfaAt: null, mfaMethod: null };
    const before = await deps.store.getUser('alice');
    if (before === undefined) throw new Error('no alice');
    expect(await gatePersonRequest({ accessControl, clock }, { user: before, session: noMfa, capability: 'rotate', target: staging })).toMatchObject({ allowed: false, denial: 'forbidden', reason: expect.stringContaining('requires MFA') });
    await enrolled();
    const after = await deps.store.getUser('alice');
    if (after === undefined) throw new Error('no alice');
    expect(await gatePersonRequest({ accessControl, clock }, { user: after, session: noMfa, capability: 'rotate', target: staging })).toMatchObject({ allowed: false, denial: 'mfa-required' });
    expect(await gatePersonRequest({ accessControl, clock }, { user: after, session: { mfaAt: clock.now(), mfaMethod: 'totp' }, capability: 'rotate', target: staging })).toMatchObject({ allowed: true, mfaMethod: 'totp' });
  });
});
