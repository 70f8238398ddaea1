/**
 * The integrity root of an install (issue 11): 32 random bytes from which the row-MAC,
 * audit-chain and checkpoint keys are derived (`src/crypto/integrity-keys.ts`), stored in
 * the `integrity.root` setting wrapped with AES-256-GCM under a key that HKDF derives from
 * the master key. The wrapped plaintext also holds the audit chain's switch point (the
 * first keyed seq), so nobody without the master key can move it.
 *
 * The setting holds one wrap per master key id: `master-key rotate` adds the new key's wrap
 * before it re-wraps the data keys and drops the old one after, so a crash at any point
 * leaves a wrap that the key in use opens.
 *
 * An install without the setting is *unsealed* (created before issue 11): nothing is
 * checked until `rekey doctor --seal-rows`. A missing setting while built-in roles carry
 * MACs means someone deleted it, and is refused.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConflictError, IntegrityError } from '../core/errors.js';
import type { AuditChainKey } from '../audit/audit-chain.js';
import { createCheckpointSigner, createRowIntegrity, deriveKey, INFO_LABELS, type CheckpointSigner, type RowIntegrity } from '../crypto/integrity-keys.js';
import type { MasterKeyMaterial } from '../crypto/master-key.js';
import type { Store } from '../store/store.js';

export const INTEGRITY_ROOT_SETTING = 'integrity.root';

export interface SealedIntegrity {
  sealed: true;
  rows: RowIntegrity;
  chain: AuditChainKey;
  signer: CheckpointSigner;
  sealedAt: Date;
}

export type Integrity = SealedIntegrity | { sealed: false };

interface RootPlaintext {
  root: string;
  auditKeyedFrom: number;
  sealedAt: string;
}

type IntegrityStore = Pick<Store, 'getSetting' | 'setSettingIfAbsent' | 'setSetting' | 'listRoles'>;

function wrapKeyOf(masterKey: Buffer): Buffer {
  return deriveKey(masterKey, INFO_LABELS.rootWrap);
}

function aadOf(masterKeyId: string): Buffer {
  return Buffer.from(`rekey:integrity-root:v1:${masterKeyId}`, 'utf8');
}

function wrap(plaintext: RootPlaintext, material: Pick<MasterKeyMaterial, 'key' | 'id'>): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', wrapKeyOf(material.key), nonce);
  cipher.setAAD(aadOf(material.id));
  const body = Buffer.concat([cipher.update(JSON.stringify(plaintext), 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
}

function unwrap(text: string, material: Pick<MasterKeyMaterial, 'key' | 'id'>): RootPlaintext | undefined {
  const blob = Buffer.from(text, 'base64');
  if (blob.length < 12 + 16 + 2) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', wrapKeyOf(material.key), blob.subarray(0, 12));
    decipher.setAAD(aadOf(material.id));
    decipher.setAuthTag(blob.subarray(blob.length - 16));
    const plain = Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]).toString('utf8');
    const parsed = JSON.parse(plain) as Partial<RootPlaintext>;
    if (typeof parsed.root !== 'string' || typeof parsed.auditKeyedFrom !== 'number' || typeof parsed.sealedAt !== 'string') return undefined;
    return parsed as RootPlaintext;
  } catch {
    return undefined;
  }
}

function parseWraps(value: string): Record<string, string> {
  try {
    const parsed = JSON.parse(value) as { wraps?: unknown };
    if (typeof parsed.wraps === 'object' && parsed.wraps !== null) return parsed.wraps as Record<string, string>;
  } catch {
    // fall through: an unreadable setting is tampering, reported by the caller
  }
  throw new IntegrityError(`the ${INTEGRITY_ROOT_SETTING} setting is not readable: it was changed outside rekey`);
}

function integrityOf(plaintext: RootPlaintext): SealedIntegrity {
  const root = Buffer.from(plaintext.root, 'base64');
  return {
    sealed: true,
    rows: createRowIntegrity(deriveKey(root, INFO_LABELS.rowMac)),
    chain: { key: deriveKey(root, INFO_LABELS.auditChain), keyedFrom: plaintext.auditKeyedFrom },
    signer: createCheckpointSigner(deriveKey(root, INFO_LABELS.checkpoint)),
    sealedAt: new Date(plaintext.sealedAt),
  };
}

/**
 * Seals an install: a new random root whose audit chain is keyed from `auditKeyedFrom` on
 * (1 for a new install; the seq after the last event for an older one). ConflictError when
 * the install is already sealed.
 */
export async function createIntegrityRoot(store: IntegrityStore, material: Pick<MasterKeyMaterial, 'key' | 'id'>, auditKeyedFrom: number, now: Date): Promise<SealedIntegrity> {
  const plaintext: RootPlaintext = { root: randomBytes(32).toString('base64'), auditKeyedFrom, sealedAt: now.toISOString() };
  const value = JSON.stringify({ format: 1, wraps: { [material.id]: wrap(plaintext, material) } });
  const stored = await store.setSettingIfAbsent(INTEGRITY_ROOT_SETTING, value);
  if (stored !== value) throw new ConflictError('this install is already sealed (the integrity root exists)');
  return integrityOf(plaintext);
}

/** The install's integrity keys under the master key in use, or `{ sealed: false }` for an install not sealed yet. */
export async function openIntegrity(store: IntegrityStore, material: Pick<MasterKeyMaterial, 'key' | 'id'>): Promise<Integrity> {
  const value = await store.getSetting(INTEGRITY_ROOT_SETTING);
  if (value === undefined) {
    if ((await store.listRoles()).some((role) => role.mac !== null)) {
      throw new IntegrityError(`the ${INTEGRITY_ROOT_SETTING} setting is missing but rows carry MACs: it was deleted outside rekey`, {
        hint: 'restore the database from a backup; rekey refuses to trust its rows',
      });
    }
    return { sealed: false };
  }
  const wrapped = parseWraps(value)[material.id];
  const plaintext = wrapped === undefined ? undefined : unwrap(wrapped, material);
  if (plaintext === undefined) {
    throw new IntegrityError(`the ${INTEGRITY_ROOT_SETTING} setting does not open with master key ${material.id}: it was changed outside rekey`, {
      hint: 'restore the database from a backup; rekey refuses to trust its rows',
    });
  }
  return integrityOf(plaintext);
}

/** Master-key rotation, before the re-wrap: adds the root wrapped under the next master key. */
export async function addIntegrityWrap(store: IntegrityStore, current: Pick<MasterKeyMaterial, 'key' | 'id'>, next: Pick<MasterKeyMaterial, 'key' | 'id'>): Promise<void> {
  const value = await store.getSetting(INTEGRITY_ROOT_SETTING);
  if (value === undefined) return;
  const wraps = parseWraps(value);
  const plaintext = wraps[current.id] === undefined ? undefined : unwrap(wraps[current.id] as string, current);
  if (plaintext === undefined) throw new IntegrityError(`the ${INTEGRITY_ROOT_SETTING} setting does not open with master key ${current.id}`);
  await store.setSetting(INTEGRITY_ROOT_SETTING, JSON.stringify({ format: 1, wraps: { ...wraps, [next.id]: wrap(plaintext, next) } }));
}

/** Master-key rotation, after the new key is committed: drops every wrap but the one under `keep`. */
export async function dropOtherIntegrityWraps(store: IntegrityStore, keep: string): Promise<void> {
  const value = await store.getSetting(INTEGRITY_ROOT_SETTING);
  if (value === undefined) return;
  const kept = parseWraps(value)[keep];
  if (kept !== undefined) await store.setSetting(INTEGRITY_ROOT_SETTING, JSON.stringify({ format: 1, wraps: { [keep]: kept } }));
}
