/**
 * The Store contract, team part (src/store/team-store-types.ts, migration 9): users, roles,
 * role bindings, recovery codes and sessions. Registered by `runStoreContract`, so it runs
 * on SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import { BUILTIN_ROLES } from '../../src/core/team-types.js';
import type { Store } from '../../src/store/store.js';
import type { StoreFixture, StoreFixtureFactory } from './store-fixture.js';

const at = new Date('2026-03-01T12:00:00Z');
const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);

function newUser(name: string) {
  return { id: `usr_${name}`, name, displayName: null, passwordHash: 'scrypt$10$8$1$salt$hash', groups: ['platform'], createdAt: at, createdBy: 'cli:test', mac: null };
}

export function runTeamStoreContract(label: string, createFixture: StoreFixtureFactory): void {
  describe(`store contract, team parts ${label}`, () => {
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

    it('creates users with unique names, updates them and lists them by name', async () => {
      const bob = await store.createUser(newUser('bob'));
      expect(bob).toMatchObject({ name: 'bob', status: 'active', groups: ['platform'], totpSealed: null, totpConfirmed: false, totpLastStep: null, disabledAt: null });
      await store.createUser(newUser('alice'));
      await expect(store.createUser({ ...newUser('bob'), id: 'usr_other' })).rejects.toBeInstanceOf(ConflictError);
      const disabled = await store.updateUser(bob.id, { status: 'disabled', disabledAt: later(5), groups: ['a', 'b'], totpSealed: 'sealed', totpConfirmed: true, mac: 'm1' });
      expect(disabled).toMatchObject({ status: 'disabled', groups: ['a', 'b'], totpSealed: 'sealed', totpConfirmed: true, mac: 'm1' });
      expect(disabled.disabledAt?.toISOString()).toBe(later(5).toISOString());
      expect((await store.listUsers()).map((user) => user.name)).toEqual(['alice', 'bob']);
      expect(await store.getUser('nobody')).toBeUndefined();
      await expect(store.updateUser('usr_nobody', { status: 'active' })).rejects.toBeInstanceOf(NotFoundError);
      // The database refuses a status it does not know.
      await expect(fixture.sql("UPDATE users SET status = 'root' WHERE name = 'bob'")).rejects.toThrow();
    });

    it('accepts each TOTP time step once, and forgets the last step when TOTP is withdrawn', async () => {
      const bob = await store.createUser(newUser('bob'));
      expect(await store.advanceTotpStep(bob.id, 100)).toBe(true);
      expect(await store.advanceTotpStep(bob.id, 100)).toBe(false);
      expect(await store.advanceTotpStep(bob.id, 99)).toBe(false);
      expect(await Promise.all([store.advanceTotpStep(bob.id, 101), store.advanceTotpStep(bob.id, 101)])).toEqual(expect.arrayContaining([true, false]));
      expect((await store.getUser('bob'))?.totpLastStep).toBe(101);
      await store.updateUser(bob.id, { totpSealed: null, totpConfirmed: false });
      expect((await store.getUser('bob'))?.totpLastStep).toBeNull();
    });

    it('consumes each recovery code at most once, and replacing them drops the old ones', async () => {
      const bob = await store.createUser(newUser('bob'));
      await store.setRecoveryCodes(bob.id, ['h1', 'h2'], at);
      expect(await store.countRecoveryCodes(bob.id)).toBe(2);
      expect(await store.consumeRecoveryCode(bob.id, 'h1', later(1))).toBe(true);
      expect(await store.consumeRecoveryCode(bob.id, 'h1', later(2))).toBe(false);
      expect(await store.consumeRecoveryCode(bob.id, 'nope', later(2))).toBe(false);
      expect(await store.countRecoveryCodes(bob.id)).toBe(1);
      await store.setRecoveryCodes(bob.id, ['h3'], later(3));
      expect(await store.consumeRecoveryCode(bob.id, 'h2', later(4))).toBe(false);
      expect(await store.countRecoveryCodes(bob.id)).toBe(1);
    });

    it('has the built-in roles from the migration, with capabilities from the code that SQL cannot widen', async () => {
      const roles = await store.listRoles();
      expect(roles.filter((role) => role.builtin).map((role) => role.name).sort()).toEqual(['admin', 'auditor', 'operator', 'viewer']);
      await fixture.sql(`UPDATE roles SET capabilities = '["reveal","manage-users"]' WHERE name = 'viewer'`);
      expect((await store.getRole('viewer'))?.capabilities).toEqual(BUILTIN_ROLES.viewer.capabilities);
      await expect(store.saveRole({ name: 'viewer', description: '', capabilities: ['reveal'], requireMfa: false, mac: null }, at)).rejects.toBeInstanceOf(ConflictError);
      const strict = await store.saveRole({ name: 'operator', description: 'x', capabilities: [...BUILTIN_ROLES.operator.capabilities], requireMfa: true, mac: null }, at);
      expect(strict).toMatchObject({ name: 'operator', builtin: true, requireMfa: true });
      await expect(store.removeRole('admin')).rejects.toBeInstanceOf(ConflictError);
    });

    it('saves custom roles, binds them, and refuses to remove a bound role or bind an unknown one', async () => {
      const role = await store.saveRole({ name: 'revealer', description: 'reveal staging', capabilities: ['reveal', 'read-metadata'], requireMfa: false, mac: 'r1' }, at);
      expect(role).toMatchObject({ name: 'revealer', builtin: false, capabilities: ['reveal', 'read-metadata'], mac: 'r1' });
      const updated = await store.saveRole({ name: 'revealer', description: 'reveal', capabilities: ['reveal'], requireMfa: true, mac: 'r2' }, at);
      expect(updated).toMatchObject({ capabilities: ['reveal'], requireMfa: true, description: 'reveal' });
      const binding = await store.createRoleBinding({ id: 'rb_1', role: 'revealer', subjectKind: 'user', subject: 'bob', scope: { credentials: '*/staging' }, createdAt: at, createdBy: 'cli:test', mac: 'b1' });
      expect(binding).toMatchObject({ id: 'rb_1', scope: { credentials: '*/staging' }, mac: 'b1' });
      await store.createRoleBinding({ id: 'rb_2', role: 'operator', subjectKind: 'group', subject: 'platform', scope: {}, createdAt: later(1), createdBy: 'cli:test', mac: null });
      await expect(store.createRoleBinding({ id: 'rb_3', role: 'ghost', subjectKind: 'user', subject: 'bob', scope: {}, createdAt: at, createdBy: 'cli:test', mac: null })).rejects.toBeInstanceOf(NotFoundError);
      await expect(fixture.sql("INSERT INTO role_bindings (id, role, subject_kind, subject, scope, created_at, created_by) VALUES ('rb_x', 'ghost', 'user', 'bob', '{}', '2026-01-01T00:00:00Z', 'sql')")).rejects.toThrow();
      expect((await store.listRoleBindings({ subjectKind: 'group' })).map((item) => item.id)).toEqual(['rb_2']);
      expect((await store.listRoleBindings()).map((item) => item.id)).toEqual(['rb_1', 'rb_2']);
      await expect(store.removeRole('revealer')).rejects.toBeInstanceOf(ConflictError);
      await store.removeRoleBinding('rb_1');
      await expect(store.removeRoleBinding('rb_1')).rejects.toBeInstanceOf(NotFoundError);
      await store.removeRole('revealer');
      expect(await store.getRole('revealer')).toBeUndefined();
      await expect(store.removeRole('revealer')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('keeps sessions with token hashes only, touches forward, records MFA and revokes one or all', async () => {
      const bob = await store.createUser(newUser('bob'));
      const session = { id: 'ses_1', userId: bob.id, createdAt: at, lastSeenAt: at, expiresAt: later(3600), idleSeconds: 900, mfaAt: null, mfaMethod: null, source: '127.0.0.1', mac: 'mac-1' };
      await store.createSession(session, Buffer.alloc(32, 7));
      await store.createSession({ ...session, id: 'ses_2' }, Buffer.alloc(32, 8));
      const found = await store.findSession('ses_1');
      expect(found?.tokenHash.equals(Buffer.alloc(32, 7))).toBe(true);
      expect(found?.session).toMatchObject({ userId: bob.id, idleSeconds: 900, revokedAt: null, source: '127.0.0.1' });
      await store.touchSession('ses_1', later(60));
      await store.touchSession('ses_1', later(30));
      expect((await store.findSession('ses_1'))?.session.lastSeenAt.toISOString()).toBe(later(60).toISOString());
      await store.recordSessionMfa('ses_1', later(61), 'totp');
      expect((await store.findSession('ses_1'))?.session).toMatchObject({ mfaMethod: 'totp', mfaAt: later(61) });
      await store.revokeSession('ses_1', later(70));
      await expect(store.recordSessionMfa('ses_1', later(71), 'totp')).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.revokeUserSessions(bob.id, later(80))).toBe(1);
      expect(await store.listSessions({ userId: bob.id, live: true })).toEqual([]);
      expect((await store.listSessions({ userId: bob.id })).map((item) => item.id)).toEqual(['ses_1', 'ses_2']);
      expect(await store.findSession('ses_none')).toBeUndefined();
    });

    it('re-MACs a session row it changes with the resealer, row by row, inside the change', async () => {
      const carol = await store.createUser(newUser('carol'));
      const session = { id: 'ses_3', userId: carol.id, createdAt: at, lastSeenAt: at, expiresAt: later(3600), idleSeconds: 900, mfaAt: null, mfaMethod: null, source: null, mac: 'sealed-new' };
      await store.createSession(session, Buffer.alloc(32, 3));
      await store.createSession({ ...session, id: 'ses_4' }, Buffer.alloc(32, 4));
      expect((await store.findSession('ses_3'))?.session.mac).toBe('sealed-new');
      const seen: string[] = [];
      const reseal = (row: { id: string; lastSeenAt: Date; mfaMethod: string | null; revokedAt: Date | null }, hash: Buffer) => {
        seen.push(`${row.id} ${hash[0] ?? 0}`);
        return `${row.id}|${row.lastSeenAt.toISOString()}|${row.mfaMethod ?? '-'}|${row.revokedAt?.toISOString() ?? '-'}`;
      };
      await store.touchSession('ses_3', later(10), reseal);
      expect((await store.findSession('ses_3'))?.session.mac).toBe(`ses_3|${later(10).toISOString()}|-|-`);
      // Not moved back: neither the time nor the MAC changes.
      await store.touchSession('ses_3', later(5), reseal);
      expect((await store.findSession('ses_3'))?.session.mac).toBe(`ses_3|${later(10).toISOString()}|-|-`);
      await store.recordSessionMfa('ses_3', later(11), 'totp', reseal);
      expect((await store.findSession('ses_3'))?.session.mac).toBe(`ses_3|${later(10).toISOString()}|totp|-`);
      expect(await store.revokeUserSessions(carol.id, later(20), reseal)).toBe(2);
      expect((await store.findSession('ses_4'))?.session.mac).toBe(`ses_4|${at.toISOString()}|-|${later(20).toISOString()}`);
      expect(seen).toEqual(['ses_3 3', 'ses_3 3', 'ses_3 3', 'ses_4 4']);
      // Without a resealer the MAC stays as it was (a sealed row changed that way fails its check).
      await store.touchSession('ses_4', later(30));
      expect((await store.findSession('ses_4'))?.session.mac).toBe(`ses_4|${at.toISOString()}|-|${later(20).toISOString()}`);
    });
  });
}
