/**
 * The integrity keys of a sealed install (issue 11). One random 256-bit integrity root,
 * kept in the store wrapped under a key that HKDF derives from the master key
 * (`src/vault/integrity-root.ts`), yields three keys by HKDF-SHA-256, one info label each:
 *
 * - the row-MAC key: HMAC-SHA-256 tags on the rows that grant power (tokens, consumers,
 *   policies, users, roles, role bindings), so a row written by SQL alone is refused;
 * - the audit key: the keyed audit chain (HMAC-SHA-256 instead of SHA-256);
 * - the checkpoint key: an Ed25519 key pair whose signed checkpoints of the chain head can
 *   be kept where the database admin cannot write.
 *
 * The root, not the master key, is the input so that `master-key rotate` re-wraps it and
 * the checkpoint public key and the keyed chain survive a master-key rotation.
 */
import { createHmac, createPrivateKey, createPublicKey, hkdfSync, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import { CryptoError } from '../core/errors.js';

const KEY_BYTES = 32;
const SALT = Buffer.from('rekey integrity v1', 'utf8');

/** HKDF-SHA-256 of `input` with one of rekey's info labels. */
export function deriveKey(input: Buffer, info: string): Buffer {
  if (input.length !== KEY_BYTES) throw new CryptoError(`key derivation needs ${KEY_BYTES} bytes of input, got ${input.length}`);
  return Buffer.from(hkdfSync('sha256', input, SALT, Buffer.from(info, 'utf8'), KEY_BYTES));
}

export const INFO_LABELS = {
  rootWrap: 'rekey integrity-root wrap v1',
  rowMac: 'rekey row-mac v1',
  auditChain: 'rekey audit-chain v1',
  checkpoint: 'rekey audit-checkpoint ed25519 v1',
} as const;

export interface RowIntegrity {
  /** The MAC of a row's power-granting fields (`v1.` + base64url HMAC-SHA-256). */
  tag(table: string, fields: Record<string, unknown>): string;
  /** False when `mac` is missing or is not the MAC of these fields. */
  check(table: string, fields: Record<string, unknown>, mac: string | null | undefined): boolean;
}

export function createRowIntegrity(key: Buffer): RowIntegrity {
  const macKey = Buffer.from(key);
  const tag = (table: string, fields: Record<string, unknown>) =>
    'v1.' + createHmac('sha256', macKey).update(`${table}\n${canonicalJson(fields)}`, 'utf8').digest('base64url');
  return {
    tag,
    check(table, fields, mac) {
      if (typeof mac !== 'string') return false;
      const expected = Buffer.from(tag(table, fields), 'utf8');
      const actual = Buffer.from(mac, 'utf8');
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
}

/** An Ed25519 signer whose public key is printed as `ed25519:<base64url of the 32 raw bytes>`. */
export interface CheckpointSigner {
  readonly publicKey: string;
  sign(payload: Record<string, unknown>): string;
}

// PKCS#8 and SPKI prefixes of an Ed25519 key (RFC 8410): the DER around the 32 raw bytes.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function createCheckpointSigner(seed: Buffer): CheckpointSigner {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const raw = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  return {
    publicKey: `ed25519:${Buffer.from(raw).toString('base64url')}`,
    sign: (payload) => sign(null, Buffer.from(canonicalJson(payload), 'utf8'), privateKey).toString('base64url'),
  };
}

function publicKeyObject(text: string): KeyObject | undefined {
  const match = /^ed25519:([A-Za-z0-9_-]{43})$/.exec(text.trim());
  if (match === null) return undefined;
  const raw = Buffer.from(match[1] as string, 'base64url');
  if (raw.length !== 32) return undefined;
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function isCheckpointPublicKey(text: string): boolean {
  return publicKeyObject(text) !== undefined;
}

/** True when `signature` is `publicKey`'s Ed25519 signature of the canonical JSON of `payload`. */
export function verifyCheckpointSignature(publicKey: string, payload: Record<string, unknown>, signature: string): boolean {
  const key = publicKeyObject(publicKey);
  if (key === undefined || !/^[A-Za-z0-9_-]{86}$/.test(signature)) return false;
  return verify(null, Buffer.from(canonicalJson(payload), 'utf8'), key, Buffer.from(signature, 'base64url'));
}
