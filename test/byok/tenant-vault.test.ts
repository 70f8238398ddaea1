/**
 * The tenant vault under attack, on SQLite and PostgreSQL (issue 20): tenant A never reads
 * tenant B's key — not through the API, not with a ciphertext moved between rows or tenants,
 * not with a forged id, not with a data-key wrap copied from another tenant; after a purge
 * nothing of the tenant decrypts (and the database holds no wrap of its data key); a
 * master-key rotation re-wraps every tenant in batches and skips none, and a run cut off
 * before it committed loses nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTenantVault, type TenantVault } from '../../src/byok/tenant-vault.js';
import { IntegrityError, NotFoundError } from '../../src/core/errors.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { generateMasterKey, loadMasterKey, writeMasterKeyMaterial } from '../../src/crypto/master-key.js';
import { createTenantWrapper } from '../../src/crypto/tenant-keys.js';
import type { Store } from '../../src/store/store.js';
import { rewrapByokTenants } from '../../src/vault/byok-rewrap.js';
import { rotateMasterKey } from '../../src/vault/master-key-rotation.js';
import { initializeVaultKeys, openVaultKeys } from '../../src/vault/vault-keys.js';
import type { StoreFixture, StoreFixtureFactory } from '../contracts/store-fixture.js';
import { createPostgresFixture, withPostgresDatabase } from '../store/postgres-fixture.js';
import { createSqliteFixture } from '../store/sqlite-fixture.js';

const A_VALUE = 'sk-proj-BYOKtenantAvalue0123456789abcdefghijklmnop';
const B_VALUE = 'sk-proj-BYOKtenantBvalue0123456789abcdefghijklmnop';

function put(vault: TenantVault, tenant: string, userRef: string, value: string, label = 'default') {
  return vault.putSealed({ tenant, userRef, provider: 'openai', label, value: new SecretValue(value), status: 'valid', statusDetail: null, validatedAt: new Date(), nextCheckAt: new Date() });
}

function suite(label: string, createFixture: StoreFixtureFactory): void {
  describe(`tenant vault attacks ${label}`, () => {
    let fixture: StoreFixture;
    let store: Store;
    let home: string;
    let vault: TenantVault;

    beforeEach(async () => {
      fixture = await createFixture({ now: () => new Date() });
      store = fixture.store;
      await store.migrate();
      home = mkdtempSync(join(tmpdir(), 'rekey-byok-'));
      const material = await writeMasterKeyMaterial(home, { kind: 'file', key: generateMasterKey() }, { asNext: false });
      await initializeVaultKeys(store, material);
      vault = createTenantVault({ store, wrapper: createTenantWrapper(material.key) });
      await vault.createTenant('tenant-a');
      await vault.createTenant('tenant-b');
    });
    afterEach(async () => fixture.dispose());

    it('opens a key only in its own tenant: another tenant id, a forged id and the API path all fail', async () => {
      const a = await put(vault, 'tenant-a', 'alice', A_VALUE);
      const b = await put(vault, 'tenant-b', 'bob', B_VALUE);
      expect((await vault.open('tenant-a', a.id)).value.reveal()).toBe(A_VALUE);
      await expect(vault.open('tenant-a', b.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(vault.open('tenant-a', `${a.id.slice(0, -1)}x`)).rejects.toBeInstanceOf(NotFoundError);
      expect((await vault.list('tenant-a')).map((key) => key.userRef)).toEqual(['alice']);
      // metadata never carries the value nor the ciphertext
      expect(JSON.stringify(await vault.list('tenant-a'))).not.toContain(A_VALUE.slice(8, 30));
      expect(Object.keys((await vault.list('tenant-a'))[0] ?? {})).not.toContain('ciphertext');
    });

    it('refuses a ciphertext moved into another tenant, another user, another provider or another id (AAD)', async () => {
      const a = await put(vault, 'tenant-a', 'alice', A_VALUE);
      const b = await put(vault, 'tenant-b', 'bob', B_VALUE);
      const a2 = await put(vault, 'tenant-a', 'carol', 'sk-proj-other0123456789abcdefghijklmnopqrstuvw');
      const [row] = await fixture.sql('SELECT ciphertext FROM byok_keys WHERE id = ?', [b.id]);
      // B's ciphertext written over A's row (same tenant's slot, other tenant's data key)
      await fixture.sql('UPDATE byok_keys SET ciphertext = ? WHERE id = ?', [row?.ciphertext, a.id]);
      await expect(vault.open('tenant-a', a.id)).rejects.toBeInstanceOf(IntegrityError);
      // A's own ciphertext of carol copied to alice's row: same data key, wrong AAD (user and id)
      const [carol] = await fixture.sql('SELECT ciphertext FROM byok_keys WHERE id = ?', [a2.id]);
      await fixture.sql('UPDATE byok_keys SET ciphertext = ? WHERE id = ?', [carol?.ciphertext, a.id]);
      await expect(vault.open('tenant-a', a.id)).rejects.toBeInstanceOf(IntegrityError);
      // B's whole row re-labelled as tenant A's (tenant column moved)
      await fixture.sql("UPDATE byok_keys SET tenant = 'tenant-a', user_ref = 'mallory' WHERE id = ?", [b.id]);
      await expect(vault.open('tenant-a', b.id)).rejects.toBeInstanceOf(IntegrityError);
      // the provider column changed
      await fixture.sql("UPDATE byok_keys SET provider = 'anthropic' WHERE id = ?", [a2.id]);
      await expect(vault.open('tenant-a', a2.id)).rejects.toBeInstanceOf(IntegrityError);
    });

    it("refuses tenant B's data-key wrap copied into tenant A's row", async () => {
      const a = await put(vault, 'tenant-a', 'alice', A_VALUE);
      const [wrap] = await fixture.sql("SELECT wrapped_key FROM byok_tenants WHERE id = 'tenant-b'");
      await fixture.sql("UPDATE byok_tenants SET wrapped_key = ? WHERE id = 'tenant-a'", [wrap?.wrapped_key]);
      await expect(vault.open('tenant-a', a.id)).rejects.toBeInstanceOf(IntegrityError);
    });

    it('gives each tenant its own fingerprint salt', async () => {
      const [a, b] = await Promise.all([vault.getTenant('tenant-a'), vault.getTenant('tenant-b')]);
      expect(vault.fingerprintIn(a, A_VALUE)).not.toBe(vault.fingerprintIn(b, A_VALUE));
      const stored = await put(vault, 'tenant-a', 'alice', A_VALUE);
      expect(stored.fingerprint).toBe(vault.fingerprintIn(a, A_VALUE));
    });

    it('purges a tenant: the data key is destroyed, every ciphertext is tried and fails, the other tenant is untouched', async () => {
      for (let index = 0; index < 5; index += 1) await put(vault, 'tenant-a', `user-${index}`, `${A_VALUE}${index}`);
      const b = await put(vault, 'tenant-b', 'bob', B_VALUE);
      const [before] = await fixture.sql("SELECT wrapped_key FROM byok_tenants WHERE id = 'tenant-a'");
      const ciphertexts = await fixture.sql("SELECT id, user_ref, ciphertext FROM byok_keys WHERE tenant = 'tenant-a'");
      const report = await vault.purgeTenant('tenant-a', new Date('2026-12-08T00:00:00Z'));
      expect(report).toMatchObject({ tenant: 'tenant-a', keys: 5, unreadable: 5, readable: 0, dataKeyDestroyed: true });
      expect(await fixture.sql("SELECT id FROM byok_tenants WHERE id = 'tenant-a'")).toEqual([]);
      expect(await fixture.sql("SELECT id FROM byok_keys WHERE tenant = 'tenant-a'")).toEqual([]);
      await expect(vault.open('tenant-a', String(ciphertexts[0]?.id))).rejects.toBeInstanceOf(NotFoundError);
      // Someone who kept the ciphertexts and restores the rows without the wrap gets nothing.
      await vault.createTenant('tenant-a');
      for (const row of ciphertexts) {
        await fixture.sql("INSERT INTO byok_keys (tenant, id, user_ref, provider, label, ciphertext, hint, fingerprint, status, created_at, next_check_at) VALUES ('tenant-a', ?, ?, 'openai', 'default', ?, 'h', 'f', 'valid', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')", [row.id, row.user_ref, row.ciphertext]);
        await expect(vault.open('tenant-a', String(row.id))).rejects.toBeInstanceOf(IntegrityError);
      }
      expect(before?.wrapped_key).not.toBeNull();
      expect((await vault.open('tenant-b', b.id)).value.reveal()).toBe(B_VALUE);
    });

    it('re-wraps every tenant on master-key rotation in batches (none skipped) and values still open', async () => {
      for (let index = 0; index < 23; index += 1) await vault.createTenant(`bulk-${String(index).padStart(2, '0')}`);
      const a = await put(vault, 'tenant-a', 'alice', A_VALUE);
      const b = await put(vault, 'tenant-b', 'bob', B_VALUE);
      const before = await fixture.sql('SELECT id, master_key_id FROM byok_tenants');
      const current = await openVaultKeys(store, home, await loadMasterKey(home, {}));
      const result = await rotateMasterKey({ store, home, envelope: current.envelope, current: current.material }, { kind: 'file', key: generateMasterKey() });
      expect(result.byokTenants).toBe(25);
      const next = await openVaultKeys(store, home, await loadMasterKey(home, {}));
      const after = await fixture.sql('SELECT id, master_key_id, next_wrapped_key FROM byok_tenants');
      expect(after.length).toBe(before.length);
      expect(after.every((row) => row.master_key_id === next.material.id && row.next_wrapped_key === null)).toBe(true);
      const rotated = createTenantVault({ store, wrapper: createTenantWrapper(next.material.key) });
      expect((await rotated.open('tenant-a', a.id)).value.reveal()).toBe(A_VALUE);
      expect((await rotated.open('tenant-b', b.id)).value.reveal()).toBe(B_VALUE);
      // the old master key no longer opens any tenant
      await expect(vault.open('tenant-a', a.id)).rejects.toThrow(/wrapped under master key/);
    });

    it('loses nothing when a rotation stops after the BYOK batches: old and new master key both open', async () => {
      const a = await put(vault, 'tenant-a', 'alice', A_VALUE);
      const current = await openVaultKeys(store, home, await loadMasterKey(home, {}));
      const nextKey = generateMasterKey();
      const batches = await rewrapByokTenants(store, createTenantWrapper(current.material.key), createTenantWrapper(nextKey), { batchSize: 1 });
      expect(batches).toMatchObject({ tenants: 2, batches: 2 });
      expect((await vault.open('tenant-a', a.id)).value.reveal()).toBe(A_VALUE);
      const staged = createTenantVault({ store, wrapper: createTenantWrapper(nextKey) });
      expect((await staged.open('tenant-a', a.id)).value.reveal()).toBe(A_VALUE);
    });
  });
}

suite('[sqlite]', createSqliteFixture);
withPostgresDatabase('tenant vault attacks [postgres]', (database) => {
  suite('[postgres]', (options) => createPostgresFixture(database(), options));
});
