/**
 * The Store contract, rotation records: the provider key ids a version keeps (migration 10)
 * and the state names a rotation is read back with. Registered by `runStoreContract`, so
 * it runs on SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import type { Store } from '../../src/store/store.js';
import { newCredential, newVersion, type StoreFixture, type StoreFixtureFactory } from './store-fixture.js';

export function runRotationRecordStoreContract(label: string, createFixture: StoreFixtureFactory): void {
  describe(`store contract, rotation records ${label}`, () => {
    let fixture: StoreFixture;
    let store: Store;

    beforeEach(async () => {
      fixture = await createFixture({ now: () => new Date('2026-03-01T12:00:00Z') });
      store = fixture.store;
      await store.migrate();
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    it("keeps a version's provider data (none unless given) through stage changes", async () => {
      const credential = await store.createCredential(newCredential('openai/keys/prod'));
      const imported = await store.addVersion(newVersion(credential.id, 'current', 'a'));
      const minted = await store.addVersion({ ...newVersion(credential.id, 'pending', 'b'), providerData: { serviceAccountId: 'sa_b', slot: 'key2' } });
      expect(imported.providerData).toEqual({});
      expect(minted.providerData).toEqual({ serviceAccountId: 'sa_b', slot: 'key2' });
      await store.promote(credential.id, minted.number, { expectedCurrent: imported.number });
      expect((await store.getVersionByStage(credential.id, 'current'))?.providerData).toEqual({ serviceAccountId: 'sa_b', slot: 'key2' });
      expect((await store.getVersionByStage(credential.id, 'previous'))?.providerData).toEqual({});
    });

    it('gives versions minted before migration 10 the provider data their rotation recorded', async () => {
      const credential = await store.createCredential(newCredential('openai/old/prod'));
      await store.addVersion({ ...newVersion(credential.id, 'current', 'a'), mintedBy: 'cli:alice' });
      await store.addVersion({ ...newVersion(credential.id, 'pending', 'b'), mintedBy: 'rotation:rot_old' });
      const newKey = { providerKeyId: 'key_b', providerData: { serviceAccountId: 'sa_b' }, fingerprint: 'b'.padEnd(64, '0') };
      await store.createRotation({ id: 'rot_old', credentialId: credential.id, kind: 'manual', state: 'deliver', data: { newKey } });
      await store.createRotation({ id: 'rot_unminted', credentialId: credential.id, kind: 'manual', state: 'failed', data: { newKey: null } });
      // The database as rekey left it before migration 10: no column, migration not applied.
      await fixture.sql('ALTER TABLE versions DROP COLUMN provider_data');
      await fixture.sql('DELETE FROM schema_migrations WHERE version = 10');
      expect((await store.migrationStatus()).pending).toEqual([10]);

      await store.migrate();
      expect((await store.getVersion(credential.id, 2))?.providerData).toEqual({ serviceAccountId: 'sa_b' });
      expect((await store.getVersion(credential.id, 1))?.providerData).toEqual({});
    });

    it('reads a rotation back with its state name, and names a rotation whose stored state it does not know', async () => {
      const credential = await store.createCredential(newCredential('openai/states/prod'));
      await store.createRotation({ id: 'rot_1', credentialId: credential.id, kind: 'manual', state: 'grace', data: {} });
      expect((await store.getRotation('rot_1'))?.state).toBe('grace');
      await fixture.sql("UPDATE rotations SET state = 'paused' WHERE id = 'rot_1'");
      const unknown = store.getRotation('rot_1');
      await expect(unknown).rejects.toBeInstanceOf(StoreError);
      await expect(store.getRotation('rot_1')).rejects.toThrow(/rotation rot_1 is in a state this version of rekey does not know \(paused\)/);
    });
  });
}
