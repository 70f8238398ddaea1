/**
 * Binds a store to its master key and fingerprint salt. `rekey init` records the master
 * key's id and a random fingerprint salt in the store's settings; every later start checks
 * that the loaded master key is the one the data is wrapped under, and finishes or drops
 * an interrupted master-key rotation (see master-key.ts).
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, CryptoError } from '../core/errors.js';
import { createEnvelope, type Envelope } from '../crypto/envelope.js';
import { commitNextMasterKey, discardNextMasterKey, type MasterKeyCandidates, type MasterKeyMaterial } from '../crypto/master-key.js';
import type { Store } from '../store/store.js';

export const MASTER_KEY_ID_SETTING = 'master-key-id';
export const FINGERPRINT_SALT_SETTING = 'fingerprint-salt';

export interface VaultKeys {
  envelope: Envelope;
  material: MasterKeyMaterial;
  fingerprintSalt: Buffer;
}

/** First use of a store: record the master key id and create the fingerprint salt. */
export async function initializeVaultKeys(store: Store, material: MasterKeyMaterial): Promise<void> {
  const storedId = await store.setSettingIfAbsent(MASTER_KEY_ID_SETTING, material.id);
  if (storedId !== material.id) {
    throw new CryptoError(`this store is already initialised with another master key (id ${storedId}); the loaded key has id ${material.id}`, {
      hint: 'use the original master key (REKEY_MASTER_KEY / key file), or point REKEY_DATABASE_URL at a fresh database',
    });
  }
  await store.setSettingIfAbsent(FINGERPRINT_SALT_SETTING, randomBytes(32).toString('base64'));
}

export async function openVaultKeys(store: Store, home: string, candidates: MasterKeyCandidates): Promise<VaultKeys> {
  const storedId = await store.getSetting(MASTER_KEY_ID_SETTING);
  const saltText = await store.getSetting(FINGERPRINT_SALT_SETTING);
  if (storedId === undefined || saltText === undefined) {
    throw new ConfigError('the store has not been initialised', { hint: 'run `rekey init`' });
  }
  const material = await chooseMaterial(store, home, candidates, storedId);
  return { envelope: createEnvelope(material.key), material, fingerprintSalt: Buffer.from(saltText, 'base64') };
}

async function chooseMaterial(store: Store, home: string, candidates: MasterKeyCandidates, storedId: string): Promise<MasterKeyMaterial> {
  const { primary, next } = candidates;
  if (next !== undefined && next.kind !== 'env') {
    // An interrupted `master-key rotate`: the re-wrap is one transaction, so every row is
    // under one key. Finish the rotation if the rows moved, otherwise drop the staged key.
    const ids = new Set((await store.listSealed()).map((item) => item.sealed.masterKeyId));
    if (ids.size > 0 && [...ids].every((id) => id === next.id)) {
      await store.setSetting(MASTER_KEY_ID_SETTING, next.id);
      await commitNextMasterKey(home, next.kind);
      await store.promoteByokWraps(next.id);
      return next;
    }
    if (storedId === next.id && ids.size === 0) {
      await commitNextMasterKey(home, next.kind);
      await store.promoteByokWraps(next.id);
      return next;
    }
    await discardNextMasterKey(home, next.kind);
  }
  if (primary.id !== storedId) {
    throw new CryptoError(`wrong master key: ${primary.origin} has id ${primary.id}, but this store was initialised with id ${storedId}`, {
      hint: 'use the master key this store was created with',
    });
  }
  return primary;
}
