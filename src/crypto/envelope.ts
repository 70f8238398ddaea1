/**
 * Envelope encryption (DESIGN.md §6). Each version gets a fresh 256-bit data key; the
 * value is sealed with AES-256-GCM under it, and the data key is sealed under the master
 * key. Both seals bind the credential id and version number as additional authenticated
 * data, so a ciphertext or wrapped key copied to another row fails to open.
 *
 * Layout of both blobs: format byte (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { CryptoError, IntegrityError } from '../core/errors.js';
import { SecretValue } from '../core/secret-value.js';
import type { SealedValue } from '../core/types.js';

const FORMAT = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface SealContext {
  credentialId: string;
  version: number;
}

export interface Envelope {
  /** Short public id of the master key, stored beside each wrapped data key. */
  readonly masterKeyId: string;
  seal(value: SecretValue, context: SealContext): SealedValue;
  open(sealed: SealedValue, context: SealContext): SecretValue;
  /** Re-wrap a data key sealed by `from` under this envelope's master key. The value is untouched. */
  rewrap(sealed: SealedValue, context: SealContext, from: Envelope): Pick<SealedValue, 'wrappedKey' | 'masterKeyId'>;
  /** Unwrap the data key (for `rewrap`); exposed only between envelopes. */
  unwrapDataKey(sealed: SealedValue, context: SealContext): Buffer;
}

export function masterKeyIdOf(masterKey: Buffer): string {
  return createHmac('sha256', masterKey).update('rekey master key id v1').digest('hex').slice(0, 16);
}

function aad(kind: 'value' | 'key', context: SealContext): Buffer {
  return Buffer.from(`rekey:${kind}:v${FORMAT}:${context.credentialId}:${context.version}`, 'utf8');
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
  const nonce = blob.subarray(1, 1 + NONCE_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  const body = blob.subarray(1 + NONCE_BYTES, blob.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(additionalData);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return undefined;
  }
}

function describe(context: SealContext): string {
  return `version ${context.version} of credential ${context.credentialId}`;
}

export function createEnvelope(masterKey: Buffer): Envelope {
  if (masterKey.length !== KEY_BYTES) {
    throw new CryptoError(`the master key must be ${KEY_BYTES} bytes, got ${masterKey.length}`);
  }
  const key = Buffer.from(masterKey);
  const masterKeyId = masterKeyIdOf(key);

  const envelope: Envelope = {
    masterKeyId,

    seal(value, context) {
      const dataKey = randomBytes(KEY_BYTES);
      try {
        return {
          ciphertext: encrypt(dataKey, Buffer.from(value.reveal(), 'utf8'), aad('value', context)),
          wrappedKey: encrypt(key, dataKey, aad('key', context)),
          masterKeyId,
        };
      } finally {
        dataKey.fill(0);
      }
    },

    unwrapDataKey(sealed, context) {
      if (sealed.masterKeyId !== masterKeyId) {
        throw new CryptoError(
          `${describe(context)} is sealed under master key ${sealed.masterKeyId}, but the loaded master key is ${masterKeyId}`,
          { hint: 'check REKEY_MASTER_KEY / the key file, or finish an interrupted `rekey master-key rotate`' },
        );
      }
      const dataKey = decrypt(key, sealed.wrappedKey, aad('key', context));
      if (dataKey === undefined || dataKey.length !== KEY_BYTES) {
        throw new IntegrityError(`the data key of ${describe(context)} does not open: wrong master key or corrupt data`);
      }
      return dataKey;
    },

    open(sealed, context) {
      const dataKey = envelope.unwrapDataKey(sealed, context);
      try {
        const plaintext = decrypt(dataKey, sealed.ciphertext, aad('value', context));
        if (plaintext === undefined) {
          throw new IntegrityError(`the ciphertext of ${describe(context)} does not open: it is corrupt, truncated or was moved from another row`);
        }
        try {
          return new SecretValue(plaintext.toString('utf8'));
        } finally {
          plaintext.fill(0);
        }
      } finally {
        dataKey.fill(0);
      }
    },

    rewrap(sealed, context, from) {
      const dataKey = from.unwrapDataKey(sealed, context);
      try {
        return { wrappedKey: encrypt(key, dataKey, aad('key', context)), masterKeyId };
      } finally {
        dataKey.fill(0);
      }
    },
  };
  return envelope;
}
