/**
 * The Store contract: every implementation runs this suite (DESIGN.md §5, STYLE.md §2).
 * A fixture is a store on a fresh, empty (unmigrated) database plus raw SQL access to the
 * same database, so that the suite can check what the database itself refuses.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashAuditEvent, verifyAuditChain } from '../../src/audit/audit-chain.js';
import { createManualClock } from '../../src/core/clock.js';
import { ConflictError, CryptoError, NotFoundError, StoreError, UsageError } from '../../src/core/errors.js';
import type { Credential } from '../../src/core/types.js';
import type { AuditDraft, Store } from '../../src/store/store.js';
import { runAlertStoreContract } from './store-alerts.js';
import { runApprovalStoreContract } from './store-approvals.js';
import { runOidcStoreContract } from './store-oidc.js';
import { runAccessStoreContract } from './store-access.js';
import { runByokStoreContract } from './store-byok.js';
import { runRotationRecordStoreContract } from './store-rotation-records.js';
import { runTeamStoreContract } from './store-team.js';
import { runPasskeyStoreContract } from './store-passkeys.js';
import { auditDraft, newCredential, newVersion, type StoreFixture, type StoreFixtureFactory } from './store-fixture.js';

async function stagesOf(store: Store, credentialId: string): Promise<Record<number, string>> {
  const versions = await store.listVersions(credentialId);
  return Object.fromEntries(versions.map((version) => [version.number, version.stage]));
}

/** Registers the whole contract for one implementation; `label` is `[sqlite]` or `[postgres]`. */
export function runStoreContract(label: string, createFixture: StoreFixtureFactory): void {
  runAccessStoreContract(label, createFixture);
  runTeamStoreContract(label, createFixture);
  runPasskeyStoreContract(label, createFixture);
  runRotationRecordStoreContract(label, createFixture);
  runApprovalStoreContract(label, createFixture);
  runByokStoreContract(label, createFixture);
  runOidcStoreContract(label, createFixture);
  describe(`store contract ${label}`, () => {
    let fixture: StoreFixture;
    let store: Store;
    const clock = createManualClock(new Date('2026-03-01T12:00:00Z'));

    beforeEach(async () => {
      fixture = await createFixture({ now: () => clock.now() });
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    async function migrated(): Promise<Credential> {
      await store.migrate();
      return store.createCredential(newCredential('openai/ticketing/prod'));
    }

    describe('migrations', () => {
      it('reports every migration pending on a fresh database and refuses data calls with a clear error', async () => {
        const fresh = await store.migrationStatus();
        expect(fresh.applied).toEqual([]);
        // Versions ascend from 1; engineers own numbers, so gaps are allowed (both dialects release the same list).
        expect(fresh.pending[0]).toBe(1);
        expect(fresh.pending).toEqual([...new Set(fresh.pending)].sort((a, b) => a - b));
        const calls: Array<() => Promise<unknown>> = [
          () => store.getSetting('x'),
          () => store.createCredential(newCredential('openai/a/prod')),
          () => store.listCredentials(),
          () => store.addVersion(newVersion('nope', 'pending')),
          () => store.promote('nope', 1, { expectedCurrent: null }),
          () => store.appendAudit(auditDraft('credential-add'), hashAuditEvent),
          () => store.listAudit(),
          () => store.listConsumers('nope'),
          () => store.listRotations(),
          () => store.acquireLease('l', 'h', 1000, clock.now()),
          () => store.listAlerts(),
          () => store.claimOutbox({ holder: 'h', now: clock.now(), limit: 1, leaseMs: 1000 }),
          () => store.listAccessTokens(),
          () => store.recordUsage([]),
          () => store.listConsumerUsage('nope', 1, clock.now()),
          () => store.watchKeyChanges(() => undefined),
        ];
        for (const call of calls) {
          const error = await call().then(
            () => undefined,
            (caught: unknown) => caught,
          );
          expect(error).toBeInstanceOf(StoreError);
          expect((error as Error).message).toMatch(/not initialised; run rekey init \/ rekey doctor/);
        }
      });

      it('applies migrations once, records them, and is idempotent', async () => {
        const { pending: all } = await store.migrationStatus();
        await store.migrate();
        await store.migrate();
        expect(await store.migrationStatus()).toEqual({ applied: all, pending: [] });
        const rows = await fixture.sql('SELECT version FROM schema_migrations ORDER BY version');
        expect(rows.map((row) => Number(row.version))).toEqual(all);
      });

      it('lets two connections migrate at the same moment', async () => {
        const { pending: all } = await store.migrationStatus();
        const other = await fixture.openAnother();
        await Promise.all([store.migrate(), other.migrate(), store.migrate()]);
        expect(await other.migrationStatus()).toEqual({ applied: all, pending: [] });
        expect(await fixture.sql('SELECT version FROM schema_migrations')).toHaveLength(all.length);
        await other.createCredential(newCredential('openai/a/prod'));
        expect(await store.getCredential('openai/a/prod')).toBeDefined();
      });

      it('fails every call once closed', async () => {
        await store.migrate();
        await store.close();
        await expect(store.listCredentials()).rejects.toBeInstanceOf(StoreError);
        await expect(store.migrate()).rejects.toBeInstanceOf(StoreError);
      });
    });

    describe('settings', () => {
      it('keeps the first value for setSettingIfAbsent and overwrites with setSetting', async () => {
        await store.migrate();
        expect(await store.getSetting('salt-id')).toBeUndefined();
        expect(await store.setSettingIfAbsent('salt-id', 'one')).toBe('one');
        expect(await store.setSettingIfAbsent('salt-id', 'two')).toBe('one');
        await store.setSetting('salt-id', 'three');
        expect(await store.getSetting('salt-id')).toBe('three');
      });
    });

    describe('credentials', () => {
      it('creates, reads by name and id, lists with filters, updates and removes', async () => {
        const created = await migrated();
        expect(created).toMatchObject({ ...newCredential('openai/ticketing/prod'), createdAt: clock.now(), updatedAt: clock.now() });
        expect(created.id).toMatch(/.+/);
        expect(await store.getCredential('openai/ticketing/prod')).toEqual(created);
        expect(await store.getCredentialById(created.id)).toEqual(created);
        expect(await store.getCredential('openai/none/prod')).toBeUndefined();
        expect(await store.getCredentialById('none')).toBeUndefined();

        await store.createCredential(newCredential('anthropic/support/dev', { provider: 'anthropic', environment: 'dev' }));
        await store.createCredential(newCredential('openai/billing/dev', { environment: 'dev' }));
        expect((await store.listCredentials()).map((item) => item.name)).toEqual([
          'anthropic/support/dev',
          'openai/billing/dev',
          'openai/ticketing/prod',
        ]);
        expect((await store.listCredentials({ provider: 'openai' })).map((item) => item.name)).toEqual(['openai/billing/dev', 'openai/ticketing/prod']);
        expect((await store.listCredentials({ provider: 'openai', environment: 'dev' })).map((item) => item.name)).toEqual(['openai/billing/dev']);

        clock.advance(60_000);
        const updated = await store.updateCredential('openai/ticketing/prod', { owner: null, tags: { team: 'core' }, allowedModels: [] });
        expect(updated).toMatchObject({ owner: null, tags: { team: 'core' }, allowedModels: [], purpose: 'ticketing', createdAt: created.createdAt });
        expect(updated.updatedAt).toEqual(clock.now());
        await expect(store.updateCredential('openai/none/prod', { owner: 'x' })).rejects.toBeInstanceOf(NotFoundError);

        await store.removeCredential('openai/ticketing/prod');
        expect(await store.getCredential('openai/ticketing/prod')).toBeUndefined();
        await expect(store.removeCredential('openai/ticketing/prod')).rejects.toBeInstanceOf(NotFoundError);
      });

      it('refuses a duplicate name, an invalid name and an unknown provider', async () => {
        await migrated();
        await expect(store.createCredential(newCredential('openai/ticketing/prod'))).rejects.toThrow(ConflictError);
        await expect(store.createCredential(newCredential('Not A Name'))).rejects.toBeInstanceOf(UsageError);
        await expect(store.createCredential(newCredential('x/y/z', { provider: 'nope' as 'openai' }))).rejects.toBeInstanceOf(UsageError);
      });

      it('removes a credential with its versions, consumers, rotations and journal', async () => {
        const credential = await migrated();
        await store.addVersion(newVersion(credential.id, 'current'));
        await store.addConsumer({ credentialId: credential.id, name: 'env', kind: 'env-file', config: {}, reload: null });
        await store.createRotation({ id: 'rot_1', credentialId: credential.id, kind: 'manual', state: 'lock', data: {} });
        await store.appendJournal({ rotationId: 'rot_1', at: clock.now(), step: 'lock', phase: 'begin', detail: {} });
        await store.removeCredential(credential.name);
        for (const table of ['versions', 'consumers', 'rotations', 'rotation_journal']) {
          expect(await fixture.sql(`SELECT * FROM ${table}`), table).toEqual([]);
        }
      });
    });

    describe('versions', () => {
      it('numbers versions, seals with the chosen number and reads them back every way', async () => {
        const credential = await migrated();
        const seen: number[] = [];
        const first = await store.addVersion({ ...newVersion(credential.id, 'current', 'a'), seal: (number) => (seen.push(number), newVersion('', 'current', 'a').seal(number)) });
        const second = await store.addVersion(newVersion(credential.id, 'pending', 'b'));
        expect(seen).toEqual([1]);
        expect(first).toMatchObject({ number: 1, stage: 'current', providerKeyId: 'key_a', hint: 'sk-proj-…a', mintedBy: 'cli:test', createdAt: clock.now() });
        expect(first.sealed.ciphertext.equals(Buffer.from('sealed-a-1'))).toBe(true);
        expect(first.sealed.wrappedKey.equals(Buffer.from([1, 2, 1]))).toBe(true);
        expect(second.number).toBe(2);
        expect(await store.getVersion(credential.id, 2)).toEqual(second);
        expect(await store.getVersion(credential.id, 3)).toBeUndefined();
        expect(await store.getVersionByStage(credential.id, 'current')).toEqual(first);
        expect(await store.getVersionByStage(credential.id, 'previous')).toBeUndefined();
        expect((await store.listVersions(credential.id)).map((version) => version.number)).toEqual([1, 2]);
        expect(await store.findVersionsByFingerprint('b'.padEnd(64, '0'))).toEqual([second]);
      });

      it("records and clears one version's provider key id in place", async () => {
        const credential = await migrated();
        await store.addVersion(newVersion(credential.id, 'current', 'a'));
        expect(await store.setVersionProviderKeyId(credential.id, 1, 'key_fixed')).toMatchObject({ number: 1, stage: 'current', providerKeyId: 'key_fixed' });
        expect((await store.getVersion(credential.id, 1))?.providerKeyId).toBe('key_fixed');
        expect((await store.setVersionProviderKeyId(credential.id, 1, null)).providerKeyId).toBeNull();
        await expect(store.setVersionProviderKeyId(credential.id, 9, 'key_x')).rejects.toBeInstanceOf(NotFoundError);
      });

      it('refuses a second pending or current version, an unknown credential, and stores nothing when sealing fails', async () => {
        const credential = await migrated();
        await store.addVersion(newVersion(credential.id, 'current'));
        await store.addVersion(newVersion(credential.id, 'pending'));
        await expect(store.addVersion(newVersion(credential.id, 'current'))).rejects.toBeInstanceOf(ConflictError);
        await expect(store.addVersion(newVersion(credential.id, 'pending'))).rejects.toBeInstanceOf(ConflictError);
        await expect(store.addVersion(newVersion('no-such-id', 'pending'))).rejects.toBeInstanceOf(NotFoundError);
        await store.setVersionStage(credential.id, 2, 'pending', 'discarded');
        const sealError = new CryptoError('seal failed');
        const failing = { ...newVersion(credential.id, 'pending'), seal: () => { throw sealError; } };
        await expect(store.addVersion(failing)).rejects.toBe(sealError);
        expect(await store.listVersions(credential.id)).toHaveLength(2);
      });

      it('has the database refuse a second version in a live stage (direct SQL)', async () => {
        const credential = await migrated();
        await store.addVersion(newVersion(credential.id, 'current'));
        const insert = `INSERT INTO versions (credential_id, number, stage, provider_key_id, fingerprint, hint, minted_by, ciphertext, wrapped_key, master_key_id, created_at, stage_changed_at)
          VALUES (?, ?, ?, NULL, 'f', 'h', 'sql', ?, ?, 'mk', ?, ?)`;
        const at = store.dialect === 'sqlite' ? clock.now().toISOString() : clock.now();
        const row = (number: number, stage: string) => [credential.id, number, stage, Buffer.from('c'), Buffer.from('w'), at, at];
        await expect(fixture.sql(insert, row(2, 'current'))).rejects.toThrow(/unique|duplicate/i);
        await fixture.sql(insert, row(2, 'previous'));
        await expect(fixture.sql(insert, row(3, 'previous'))).rejects.toThrow(/unique|duplicate/i);
        await fixture.sql(insert, row(3, 'revoked'));
        await fixture.sql(insert, row(4, 'revoked'));
        await expect(fixture.sql('UPDATE versions SET stage = ? WHERE number = ?', ['current', 3])).rejects.toThrow(/unique|duplicate/i);
        expect(await stagesOf(store, credential.id)).toEqual({ 1: 'current', 2: 'previous', 3: 'revoked', 4: 'revoked' });
      });

      it('compares and sets one stage', async () => {
        const credential = await migrated();
        await store.addVersion(newVersion(credential.id, 'current'));
        await store.addVersion(newVersion(credential.id, 'pending'));
        clock.advance(1000);
        const moved = await store.setVersionStage(credential.id, 2, 'pending', 'discarded');
        expect(moved).toMatchObject({ number: 2, stage: 'discarded', stageChangedAt: clock.now() });
        await expect(store.setVersionStage(credential.id, 2, 'pending', 'discarded')).rejects.toThrow(/version 2 is discarded, expected pending/);
        await expect(store.setVersionStage(credential.id, 9, 'pending', 'discarded')).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.setVersionStage(credential.id, 2, 'discarded', 'current')).rejects.toBeInstanceOf(ConflictError);
        expect(await stagesOf(store, credential.id)).toEqual({ 1: 'current', 2: 'discarded' });
      });
    });

    describe('promote and rollback', () => {
      it('promotes pending to current and current to previous, refusing to drop a live previous', async () => {
        const credential = await migrated();
        await store.addVersion(newVersion(credential.id, 'pending', 'a'));
        await store.promote(credential.id, 1, { expectedCurrent: null });
        await store.addVersion(newVersion(credential.id, 'pending', 'b'));
        await store.promote(credential.id, 2, { expectedCurrent: 1 });
        expect(await stagesOf(store, credential.id)).toEqual({ 1: 'previous', 2: 'current' });

        await store.addVersion(newVersion(credential.id, 'pending', 'c'));
        await expect(store.promote(credential.id, 3, { expectedCurrent: 2 })).rejects.toThrow(/previous version \(version 1\)/);
        expect(await stagesOf(store, credential.id)).toEqual({ 1: 'previous', 2: 'current', 3: 'pending' });
        await store.promote(credential.id, 3, { expectedCurrent: 2, existingPrevious: 'revoked' });
        expect(await stagesOf(store, credential.id)).toEqual({ 1: 'revoked', 2: 'previous', 3: 'current' });
      });

      it('refuses a stale expectedCurrent, a version that is not pending and an unknown version', async () => {
        const credential = await migrated();
        await store.addVersion(newVersion(credential.id, 'current'));
        await store.addVersion(newVersion(credential.id, 'pending'));
        await expect(store.promote(credential.id, 2, { expectedCurrent: null })).rejects.toThrow(/version 1 is current, expected none/);
        await expect(store.promote(credential.id, 2, { expectedCurrent: 7 })).rejects.toThrow(/version 1 is current, expected version 7/);
        await expect(store.promote(credential.id, 1, { expectedCurrent: 1 })).rejects.toThrow(/version 1 is current, expected pending/);
        await expect(store.promote(credential.id, 5, { expectedCurrent: 1 })).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.promote('no-such-id', 2, { expectedCurrent: 1 })).rejects.toBeInstanceOf(NotFoundError);
        expect(await stagesOf(store, credential.id)).toEqual({ 1: 'current', 2: 'pending' });
      });

      it('lets exactly one of two racing promotes win', async () => {
        const credential = await migrated();
        await store.addVersion(newVersion(credential.id, 'current'));
        await store.addVersion(newVersion(credential.id, 'pending'));
        const other = await fixture.openAnother();
        const results = await Promise.allSettled([
          store.promote(credential.id, 2, { expectedCurrent: 1 }),
          other.promote(credential.id, 2, { expectedCurrent: 1 }),
        ]);
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((result) => result.status === 'rejected');
        expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(ConflictError);
        expect(await stagesOf(store, credential.id)).toEqual({ 1: 'previous', 2: 'current' });
      });

      it('rolls back: current to discarded, previous to current, with the expectedCurrent check', async () => {
        const credential = await migrated();
        await store.addVersion(newVersion(credential.id, 'current'));
        await expect(store.rollback(credential.id, { expectedCurrent: 1 })).rejects.toThrow(/no previous version/);
        await store.addVersion(newVersion(credential.id, 'pending'));
        await store.promote(credential.id, 2, { expectedCurrent: 1 });
        await expect(store.rollback(credential.id, { expectedCurrent: 1 })).rejects.toThrow(/version 2 is current, expected version 1/);
        expect(await store.rollback(credential.id, { expectedCurrent: 2 })).toBe(1);
        expect(await stagesOf(store, credential.id)).toEqual({ 1: 'current', 2: 'discarded' });
      });
    });

    describe('master-key rewrap', () => {
      it('lists every sealed value and rewraps all or nothing', async () => {
        const credential = await migrated();
        await store.addVersion(newVersion(credential.id, 'current', 'a'));
        await store.addVersion(newVersion(credential.id, 'pending', 'b'));
        const sealed = await store.listSealed();
        expect(sealed.map((item) => [item.number, item.sealed.ciphertext.toString()])).toEqual([
          [1, 'sealed-a-1'],
          [2, 'sealed-b-2'],
        ]);
        const item = (number: number) => ({ credentialId: credential.id, number, wrappedKey: Buffer.from(`new-${number}`), masterKeyId: 'mk_new' });
        await expect(store.rewrap([item(1), item(9)])).rejects.toBeInstanceOf(NotFoundError);
        expect((await store.listSealed()).map((entry) => entry.sealed.masterKeyId)).toEqual(['mk_test', 'mk_test']);
        await store.rewrap([item(1), item(2)]);
        const after = await store.listSealed();
        expect(after.map((entry) => [entry.sealed.masterKeyId, entry.sealed.wrappedKey.toString()])).toEqual([
          ['mk_new', 'new-1'],
          ['mk_new', 'new-2'],
        ]);
        expect(after[0]?.sealed.ciphertext.toString()).toBe('sealed-a-1');
      });
    });

    describe('retention (shredding)', () => {
      it('lists revoked and discarded versions past a cutoff, oldest first, and never live or shredded ones', async () => {
        const credential = await migrated();
        await store.addVersion(newVersion(credential.id, 'current', 'a'));
        await store.addVersion(newVersion(credential.id, 'pending', 'b'));
        await store.promote(credential.id, 2, { expectedCurrent: 1 });
        await store.addVersion(newVersion(credential.id, 'pending', 'c'));
        clock.advance(1000);
        const discardedAt = clock.now();
        await store.setVersionStage(credential.id, 3, 'pending', 'discarded');
        clock.advance(1000);
        await store.addVersion(newVersion(credential.id, 'pending', 'd'));
        await store.promote(credential.id, 4, { expectedCurrent: 2, existingPrevious: 'revoked' });
        expect(await stagesOf(store, credential.id)).toEqual({ 1: 'revoked', 2: 'previous', 3: 'discarded', 4: 'current' });

        expect(await store.listShreddable(new Date(discardedAt.getTime() - 1))).toEqual([]);
        expect((await store.listShreddable(discardedAt)).map((version) => version.number)).toEqual([3]);
        expect((await store.listShreddable(clock.now())).map((version) => version.number)).toEqual([3, 1]);
        await store.shredVersion(credential.id, 3);
        expect((await store.listShreddable(clock.now())).map((version) => version.number)).toEqual([1]);
      });

      it('destroys the data key and ciphertext, keeps metadata and fingerprint, is idempotent and refuses live versions', async () => {
        const credential = await migrated();
        await store.addVersion(newVersion(credential.id, 'current', 'a'));
        await store.addVersion(newVersion(credential.id, 'pending', 'b'));
        await store.setVersionStage(credential.id, 2, 'pending', 'discarded');
        const before = await store.getVersion(credential.id, 2);
        expect(before?.shreddedAt).toBeNull();
        clock.advance(5000);

        const { version, shredded } = await store.shredVersion(credential.id, 2);
        expect(shredded).toBe(true);
        expect(version).toMatchObject({ number: 2, stage: 'discarded', fingerprint: before?.fingerprint, hint: before?.hint, providerKeyId: 'key_b', shreddedAt: clock.now() });
        expect(version.sealed.wrappedKey.length).toBe(0);
        expect(version.sealed.ciphertext.length).toBe(0);
        expect(await store.getVersion(credential.id, 2)).toEqual(version);
        // The bytes are gone from the row itself, not only from what the store returns.
        const rows = await fixture.sql('SELECT ciphertext, wrapped_key FROM versions WHERE credential_id = ? AND number = 2', [credential.id]);
        expect(rows.map((row) => [Buffer.from(row.ciphertext as Uint8Array).length, Buffer.from(row.wrapped_key as Uint8Array).length])).toEqual([[0, 0]]);
        expect(await store.findVersionsByFingerprint(before?.fingerprint ?? '')).toEqual([version]);
        expect((await store.listSealed()).map((item) => item.number)).toEqual([1]);

        clock.advance(5000);
        expect(await store.shredVersion(credential.id, 2)).toEqual({ version, shredded: false });
        await expect(store.shredVersion(credential.id, 1)).rejects.toThrow(/version 1 of openai\/ticketing\/prod is current; only revoked and discarded/);
        await expect(store.shredVersion(credential.id, 9)).rejects.toBeInstanceOf(NotFoundError);
        expect((await store.getVersion(credential.id, 1))?.sealed.wrappedKey.length).toBeGreaterThan(0);

        // Revoked ↔ discarded is allowed, a live stage never.
        await store.setVersionStage(credential.id, 2, 'discarded', 'revoked');
        await expect(store.setVersionStage(credential.id, 2, 'revoked', 'pending')).rejects.toThrow(/version 2 was shredded by the retention policy and cannot become pending/);
        expect((await store.getVersion(credential.id, 2))?.stage).toBe('revoked');
      });
    });

    describe('audit events', () => {
      it('appends a hash chain, lists with filters and keeps detail', async () => {
        await store.migrate();
        const first = await store.appendAudit(auditDraft('credential-add', { tags: { b: 1, a: [true, null] } }), hashAuditEvent);
        const secondDraft: AuditDraft = { ...auditDraft('version-promote'), credential: 'openai/other/prod', outcome: 'error' };
        const second = await store.appendAudit(secondDraft, hashAuditEvent);
        expect(first).toMatchObject({ seq: 1, prevHash: '0'.repeat(64), event: 'credential-add', detail: { tags: { b: 1, a: [true, null] } } });
        expect(second).toMatchObject({ seq: 2, prevHash: first.hash, outcome: 'error' });
        expect(second.hash).toBe(hashAuditEvent(secondDraft, 2, first.hash));
        const all = await store.listAudit();
        expect(all).toEqual([first, second]);
        expect(verifyAuditChain(all)).toEqual({ ok: true, count: 2 });
        expect(await store.listAudit({ afterSeq: 1 })).toEqual([second]);
        expect(await store.listAudit({ limit: 1 })).toEqual([first]);
        expect(await store.listAudit({ credential: 'openai/other/prod' })).toEqual([second]);
      });

      it('keeps the sequence gap-free under concurrent appends from two connections', async () => {
        await store.migrate();
        const other = await fixture.openAnother();
        const appends = Array.from({ length: 30 }, (_, index) =>
          (index % 2 === 0 ? store : other).appendAudit(auditDraft('credential-show', { index }), hashAuditEvent),
        );
        const events = await Promise.all(appends);
        expect(events.map((event) => event.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, index) => index + 1));
        expect(verifyAuditChain(await store.listAudit())).toEqual({ ok: true, count: 30 });
      });

      it('has the database refuse updates and deletes of audit rows', async () => {
        await store.migrate();
        await store.appendAudit(auditDraft('credential-add'), hashAuditEvent);
        await expect(fixture.sql("UPDATE audit_events SET actor = 'mallory'")).rejects.toThrow(/append-only/);
        await expect(fixture.sql('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
        expect(await store.listAudit()).toHaveLength(1);
      });
    });

    describe('consumers', () => {
      it('adds, lists, refuses duplicates and unknown credentials, and removes', async () => {
        const credential = await migrated();
        const added = await store.addConsumer({ credentialId: credential.id, name: 'web-env', kind: 'env-file', config: { path: '/srv/.env' }, reload: { command: 'reload' } });
        expect(added).toEqual({ credentialId: credential.id, name: 'web-env', kind: 'env-file', config: { path: '/srv/.env' }, reload: { command: 'reload' }, createdAt: clock.now(), mac: null });
        await store.addConsumer({ credentialId: credential.id, name: 'api-vault', kind: 'vault-kv', config: {}, reload: null });
        await expect(store.addConsumer({ credentialId: credential.id, name: 'web-env', kind: 'env-file', config: {}, reload: null })).rejects.toBeInstanceOf(ConflictError);
        await expect(store.addConsumer({ credentialId: 'no-such-id', name: 'x', kind: 'env-file', config: {}, reload: null })).rejects.toBeInstanceOf(NotFoundError);
        expect((await store.listConsumers(credential.id)).map((consumer) => [consumer.name, consumer.reload])).toEqual([
          ['api-vault', null],
          ['web-env', { command: 'reload' }],
        ]);
        const updated = await store.updateConsumer(credential.id, 'web-env', { config: { path: '/srv/web/.env2' }, reload: null });
        expect(updated).toMatchObject({ name: 'web-env', config: { path: '/srv/web/.env2' }, reload: null });
        expect((await store.listConsumers(credential.id)).find((consumer) => consumer.name === 'web-env')?.config).toEqual({ path: '/srv/web/.env2' });
        expect(await store.updateConsumer(credential.id, 'web-env', { reload: { command: 'reload' } })).toMatchObject({ config: { path: '/srv/web/.env2' }, reload: { command: 'reload' } });
        await expect(store.updateConsumer(credential.id, 'no-such', { reload: null })).rejects.toBeInstanceOf(NotFoundError);
        await store.removeConsumer(credential.id, 'web-env');
        await expect(store.removeConsumer(credential.id, 'web-env')).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.listConsumers(credential.id)).toHaveLength(1);
      });
    });

    describe('rotations and journal', () => {
      it('creates, reads, lists and updates rotations with optimistic concurrency', async () => {
        const credential = await migrated();
        const created = await store.createRotation({ id: 'rot_1', credentialId: credential.id, kind: 'manual', state: 'lock', data: { from: 1 } });
        expect(created).toEqual({ id: 'rot_1', credentialId: credential.id, kind: 'manual', state: 'lock', data: { from: 1 }, revision: 1, error: null, createdAt: clock.now(), updatedAt: clock.now(), finishedAt: null });
        await expect(store.createRotation({ id: 'rot_1', credentialId: credential.id, kind: 'manual', state: 'lock', data: {} })).rejects.toBeInstanceOf(ConflictError);
        await expect(store.createRotation({ id: 'rot_x', credentialId: 'no-such-id', kind: 'manual', state: 'lock', data: {} })).rejects.toBeInstanceOf(NotFoundError);
        clock.advance(1000);
        await store.createRotation({ id: 'rot_2', credentialId: credential.id, kind: 'drill', state: 'lock', data: {} });

        clock.advance(1000);
        const updated = await store.updateRotation('rot_1', 1, { state: 'done', data: { from: 1, to: 2 }, error: 'none', finishedAt: clock.now() });
        expect(updated).toMatchObject({ state: 'done', data: { from: 1, to: 2 }, error: 'none', revision: 2, updatedAt: clock.now(), finishedAt: clock.now() });
        await expect(store.updateRotation('rot_1', 1, { state: 'mint' })).rejects.toThrow(/rotation rot_1 is at revision 2, expected 1/);
        await expect(store.updateRotation('rot_9', 1, { state: 'mint' })).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.getRotation('rot_1')).toEqual(updated);
        expect(await store.getRotation('rot_9')).toBeUndefined();

        expect((await store.listRotations()).map((rotation) => rotation.id)).toEqual(['rot_2', 'rot_1']);
        expect((await store.listRotations({ active: true })).map((rotation) => rotation.id)).toEqual(['rot_2']);
        expect((await store.listRotations({ active: false })).map((rotation) => rotation.id)).toEqual(['rot_1']);
        expect((await store.listRotations({ credentialId: credential.id, limit: 1 })).map((rotation) => rotation.id)).toEqual(['rot_2']);
        expect(await store.listRotations({ credentialId: 'other' })).toEqual([]);
      });

      it('lets exactly one of two updates at the same revision win', async () => {
        const credential = await migrated();
        await store.createRotation({ id: 'rot_1', credentialId: credential.id, kind: 'manual', state: 'lock', data: {} });
        const other = await fixture.openAnother();
        const results = await Promise.allSettled([store.updateRotation('rot_1', 1, { state: 'mint' }), other.updateRotation('rot_1', 1, { state: 'test' })]);
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        expect((await store.getRotation('rot_1'))?.revision).toBe(2);
      });

      it('appends journal entries with per-rotation sequence numbers', async () => {
        const credential = await migrated();
        await store.createRotation({ id: 'rot_1', credentialId: credential.id, kind: 'manual', state: 'lock', data: {} });
        const first = await store.appendJournal({ rotationId: 'rot_1', at: clock.now(), step: 'mint', phase: 'begin', detail: { attempt: 1 } });
        const second = await store.appendJournal({ rotationId: 'rot_1', at: clock.now(), step: 'mint', phase: 'end', detail: {} });
        expect(first).toEqual({ rotationId: 'rot_1', seq: 1, at: clock.now(), step: 'mint', phase: 'begin', detail: { attempt: 1 } });
        expect(second.seq).toBe(2);
        expect(await store.listJournal('rot_1')).toEqual([first, second]);
        expect(await store.listJournal('rot_9')).toEqual([]);
        await expect(store.appendJournal({ rotationId: 'rot_9', at: clock.now(), step: 'mint', phase: 'note', detail: {} })).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('leases', () => {
      it('acquires, blocks others until expiry, renews, and releases', async () => {
        await store.migrate();
        const start = new Date('2026-03-01T12:00:00Z');
        const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);
        expect(await store.acquireLease('credential:a', 'worker-1', 30_000, at(0))).toBe(true);
        expect(await store.getLease('credential:a')).toEqual({ name: 'credential:a', holder: 'worker-1', expiresAt: at(30) });
        expect(await store.acquireLease('credential:a', 'worker-2', 30_000, at(29))).toBe(false);
        expect(await store.acquireLease('credential:a', 'worker-1', 30_000, at(10))).toBe(true);
        expect((await store.getLease('credential:a'))?.expiresAt).toEqual(at(40));
        expect(await store.renewLease('credential:a', 'worker-2', 30_000, at(20))).toBe(false);
        expect(await store.renewLease('credential:a', 'worker-1', 30_000, at(20))).toBe(true);
        expect((await store.getLease('credential:a'))?.expiresAt).toEqual(at(50));

        expect(await store.acquireLease('credential:a', 'worker-2', 30_000, at(50))).toBe(true);
        expect(await store.renewLease('credential:a', 'worker-1', 30_000, at(51))).toBe(false);
        await store.releaseLease('credential:a', 'worker-1');
        expect((await store.getLease('credential:a'))?.holder).toBe('worker-2');
        await store.releaseLease('credential:a', 'worker-2');
        expect(await store.getLease('credential:a')).toBeUndefined();
      });

      it('does not renew an expired lease, and lets exactly one of two racers take a free lease', async () => {
        await store.migrate();
        const start = new Date('2026-03-01T12:00:00Z');
        expect(await store.acquireLease('scheduler', 'a', 1000, start)).toBe(true);
        expect(await store.renewLease('scheduler', 'a', 1000, new Date(start.getTime() + 1000))).toBe(false);
        const other = await fixture.openAnother();
        const later = new Date(start.getTime() + 5000);
        const results = await Promise.all([store.acquireLease('scheduler', 'b', 1000, later), other.acquireLease('scheduler', 'c', 1000, later)]);
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    runAlertStoreContract(() => ({ store, fixture, clock }));
  });
}
