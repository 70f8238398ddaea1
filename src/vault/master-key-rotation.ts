/**
 * `rekey master-key rotate`: re-wrap every data key under a new master key. Values and
 * ciphertexts are untouched. Crash-safe ordering: stage the new key material (`.next`),
 * re-wrap all rows in one transaction, record the new key id, then make the staged
 * material primary. `openVaultKeys` finishes or drops an interrupted run. The integrity
 * root (row MACs, keyed audit chain, checkpoint key) is wrapped under the new key before the
 * re-wrap and its old wrap dropped after, so the keys it yields stay the same.
 */
import { createEnvelope, type Envelope } from '../crypto/envelope.js';
import { rewrapText, totpSealContext } from '../crypto/sealed-text.js';
import { commitNextMasterKey, writeMasterKeyMaterial, type MasterKeyMaterial } from '../crypto/master-key.js';
import { createTenantWrapper } from '../crypto/tenant-keys.js';
import type { Store } from '../store/store.js';
import { rewrapByokTenants } from './byok-rewrap.js';
import { addIntegrityWrap, dropOtherIntegrityWraps } from './integrity-root.js';
import { MASTER_KEY_ID_SETTING } from './vault-keys.js';

export type NewMasterKeySource =
  | { kind: 'file'; key: Buffer }
  | { kind: 'passphrase'; passphrase: string }
  /** The key lives in REKEY_MASTER_KEY; the operator sets the new value after the run. */
  | { kind: 'env'; key: Buffer };

export interface MasterKeyRotationResult {
  oldKeyId: string;
  newKeyId: string;
  rewrapped: number;
  /** People's TOTP secrets re-wrapped. */
  totpSecrets: number;
  /** Bring-your-own-key tenants whose data key was re-wrapped (streamed in batches). */
  byokTenants: number;
}

export async function rotateMasterKey(
  { store, home, envelope, current }: { store: Store; home: string; envelope: Envelope; current: MasterKeyMaterial },
  source: NewMasterKeySource,
): Promise<MasterKeyRotationResult> {
  const next = source.kind === 'env'
    ? { key: source.key }
    : await writeMasterKeyMaterial(home, source, { asNext: true });
  const nextEnvelope = createEnvelope(next.key);
  await addIntegrityWrap(store, current, { key: next.key, id: nextEnvelope.masterKeyId });
  // BYOK tenants first, beside their current wrap: nothing is lost if the run stops here.
  const byok = await rewrapByokTenants(store, createTenantWrapper(current.key), createTenantWrapper(next.key));
  const sealed = await store.listSealed();
  const items = sealed.map(({ credentialId, number, sealed: value }) => ({
    credentialId,
    number,
    ...nextEnvelope.rewrap(value, { credentialId, version: number }, envelope),
  }));
  await store.rewrap(items);
  // People's sealed TOTP secrets follow (a crash exactly here leaves them under the old key:
  // those people enrol again after rekey user reset-mfa).
  let totpSecrets = 0;
  for (const user of await store.listUsers()) {
    if (user.totpSealed === null) continue;
    const totpSealed = rewrapText(user.totpSealed, totpSealContext(user.id), envelope, nextEnvelope, `the TOTP secret of user ${user.name}`);
    await store.updateUser(user.id, { totpSealed });
    totpSecrets += 1;
  }
  await store.setSetting(MASTER_KEY_ID_SETTING, nextEnvelope.masterKeyId);
  if (source.kind !== 'env') await commitNextMasterKey(home, source.kind);
  await store.promoteByokWraps(nextEnvelope.masterKeyId);
  await dropOtherIntegrityWraps(store, nextEnvelope.masterKeyId);
  return { oldKeyId: current.id, newKeyId: nextEnvelope.masterKeyId, rewrapped: items.length, totpSecrets, byokTenants: byok.tenants };
}
