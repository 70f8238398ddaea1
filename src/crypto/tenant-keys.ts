/**
 * Bring-your-own-key sealing (issue 20). Each tenant has one random 256-bit data key,
 * wrapped by the master key with AES-256-GCM under AAD `rekey:byok-tenant:v1:<tenant>`.
 * Every end-user key of that tenant is sealed with AES-256-GCM under the tenant's data key,
 * with AAD = tenant + user + provider + key id, so a ciphertext moved to another row, user,
 * provider or tenant does not open. Destroying a tenant's wrapped data key makes every one
 * of its values unreadable at once (crypto-shredding).
 *
 * The tenant's fingerprint salt (for the scanner's own-key matching) is derived from its
 * data key: one tenant's fingerprints say nothing about another's, and after a purge they
 * cannot be recomputed at all.
 *
 * Blob layout: format byte (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { CryptoError, IntegrityError } from '../core/errors.js';
import { SecretValue } from '../core/secret-value.js';
import { deriveKey } from './integrity-keys.js';
import { masterKeyIdOf } from './envelope.js';

const FORMAT = 0x21;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** What a BYOK value is bound to: its ciphertext opens only in this exact row. */
export interface TenantValueContext {
  tenant: string;
  userRef: string;
  provider: string;
  keyId: string;
}

function field(value: string): string {
  // Length-prefixed so that no two different contexts share an AAD ("a:b" + "c" vs "a" + "b:c").
  return `${Buffer.byteLength(value, 'utf8')}:${value}`;
}

function valueAad(context: TenantValueContext): Buffer {
  return Buffer.from(`rekey:byok-value:v1|${field(context.tenant)}|${field(context.userRef)}|${field(context.provider)}|${field(context.keyId)}`, 'utf8');
}

function wrapAad(tenant: string): Buffer {
  return Buffer.from(`rekey:byok-tenant:v1|${field(tenant)}`, 'utf8');
}

function secretAad(tenant: string, purpose: string): Buffer {
  return Buffer.from(`rekey:byok-secret:v1|${field(tenant)}|${field(purpose)}`, 'utf8');
}

function encrypt(key: Buffer, plaintext: Buffer, additionalData: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(additionalData);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT]), nonce, body, cipher.getAuthTag()]);
}

function decrypt(key: Buffer, blob: Buffer, additionalData: Buffer): Buffer | undefined {
  if (blob.length < 1 + NONCE_BYTES + TAG_BYTES || blob[0] !== FORMAT) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 1 + NONCE_BYTES));
    decipher.setAAD(additionalData);
    decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
    return Buffer.concat([decipher.update(blob.subarray(1 + NONCE_BYTES, blob.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** A master key as the tenant wraps need it (the same 32 bytes the envelope holds). */
export interface TenantWrapper {
  readonly masterKeyId: string;
  /** A fresh data key for a new tenant, and its wrap. */
  newTenantKey(tenant: string): { dataKey: TenantDataKey; wrappedKey: Buffer };
  /** Unwraps a tenant's data key; IntegrityError when it does not open (wrong master key, moved or corrupt). */
  unwrap(tenant: string, wrappedKey: Buffer): TenantDataKey;
  /** The same data key wrapped by this master key instead of `from`'s. */
  rewrap(tenant: string, wrappedKey: Buffer, from: TenantWrapper): Buffer;
}

/** One tenant's unwrapped data key. `destroy` zeroes it. */
export interface TenantDataKey {
  readonly tenant: string;
  seal(value: SecretValue, context: Omit<TenantValueContext, 'tenant'>): Buffer;
  /** IntegrityError when the ciphertext does not open in this context. */
  open(ciphertext: Buffer, context: Omit<TenantValueContext, 'tenant'>): SecretValue;
  /** True when the ciphertext opens in this context (for the purge proof; the value is zeroed at once). */
  opens(ciphertext: Buffer, context: Omit<TenantValueContext, 'tenant'>): boolean;
  /** A small tenant secret (the webhook signing secret) sealed under the data key. */
  sealSecret(purpose: string, value: string): Buffer;
  openSecret(purpose: string, sealed: Buffer): string;
  /** HMAC-SHA-256 of a value under the tenant's own fingerprint salt, hex. */
  fingerprint(value: string): string;
  destroy(): void;
}

function tenantDataKey(tenant: string, raw: Buffer): TenantDataKey {
  const key = Buffer.from(raw);
  const salt = deriveKey(key, 'rekey byok fingerprint salt v1');
  const withTenant = (context: Omit<TenantValueContext, 'tenant'>): TenantValueContext => ({ ...context, tenant });
  return {
    tenant,
    seal(value, context) {
      return encrypt(key, Buffer.from(value.reveal(), 'utf8'), valueAad(withTenant(context)));
    },
    open(ciphertext, context) {
      const plaintext = decrypt(key, ciphertext, valueAad(withTenant(context)));
      if (plaintext === undefined) throw new IntegrityError(`BYOK key ${context.keyId} of tenant ${tenant} does not open: it is corrupt or was moved from another row`);
      try {
        return new SecretValue(plaintext.toString('utf8'));
      } finally {
        plaintext.fill(0);
      }
    },
    opens(ciphertext, context) {
      const plaintext = decrypt(key, ciphertext, valueAad(withTenant(context)));
      plaintext?.fill(0);
      return plaintext !== undefined;
    },
    sealSecret(purpose, value) {
      return encrypt(key, Buffer.from(value, 'utf8'), secretAad(tenant, purpose));
    },
    openSecret(purpose, sealed) {
      const plaintext = decrypt(key, sealed, secretAad(tenant, purpose));
      if (plaintext === undefined) throw new IntegrityError(`the ${purpose} of tenant ${tenant} does not open`);
      return plaintext.toString('utf8');
    },
    fingerprint(value) {
      return createHmac('sha256', salt).update(value, 'utf8').digest('hex');
    },
    destroy() {
      key.fill(0);
      salt.fill(0);
    },
  };
}

export function createTenantWrapper(masterKey: Buffer): TenantWrapper {
  if (masterKey.length !== KEY_BYTES) throw new CryptoError(`the master key must be ${KEY_BYTES} bytes, got ${masterKey.length}`);
  // The tenant wraps use their own key derived from the master key, never the master key itself.
  const wrapKey = deriveKey(masterKey, 'rekey byok tenant wrap v1');
  const masterKeyId = masterKeyIdOf(masterKey);
  const unwrapRaw = (tenant: string, wrappedKey: Buffer): Buffer => {
    const raw = decrypt(wrapKey, wrappedKey, wrapAad(tenant));
    if (raw === undefined || raw.length !== KEY_BYTES) {
      throw new IntegrityError(`the data key of BYOK tenant ${tenant} does not open: wrong master key, or the wrap was moved or is corrupt`);
    }
    return raw;
  };
  const wrapper: TenantWrapper = {
    masterKeyId,
    newTenantKey(tenant) {
      const raw = randomBytes(KEY_BYTES);
      try {
        return { dataKey: tenantDataKey(tenant, raw), wrappedKey: encrypt(wrapKey, raw, wrapAad(tenant)) };
      } finally {
        raw.fill(0);
      }
    },
    unwrap(tenant, wrappedKey) {
      const raw = unwrapRaw(tenant, wrappedKey);
      try {
        return tenantDataKey(tenant, raw);
      } finally {
        raw.fill(0);
      }
    },
    rewrap(tenant, wrappedKey, from) {
      const raw = (from as typeof wrapper & { unwrapRaw?: typeof unwrapRaw }).unwrapRaw?.(tenant, wrappedKey);
      if (raw === undefined) throw new CryptoError('re-wrapping needs a tenant wrapper made by createTenantWrapper');
      try {
        return encrypt(wrapKey, raw, wrapAad(tenant));
      } finally {
        raw.fill(0);
      }
    },
  };
  Object.defineProperty(wrapper, 'unwrapRaw', { value: unwrapRaw, enumerable: false });
  return wrapper;
}
