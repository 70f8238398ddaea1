/**
 * A small secret that is not a credential version (a person's TOTP secret) sealed with
 * the envelope into one text column: `v1:<master key id>:<wrapped data key>:<ciphertext>`
 * (base64). `context` binds it to its row, as for versions; master-key rotation re-wraps it.
 */
import { CryptoError } from '../core/errors.js';
import { SecretValue } from '../core/secret-value.js';
import type { Envelope, SealContext } from './envelope.js';

const FORMAT = 'v1';

export function sealText(envelope: Envelope, value: string, context: SealContext): string {
  const sealed = envelope.seal(new SecretValue(value), context);
  return [FORMAT, sealed.masterKeyId, sealed.wrappedKey.toString('base64'), sealed.ciphertext.toString('base64')].join(':');
}

function parse(text: string, what: string) {
  const [format, masterKeyId, wrappedKey, ciphertext, ...rest] = text.split(':');
  if (format !== FORMAT || masterKeyId === undefined || wrappedKey === undefined || ciphertext === undefined || rest.length > 0) {
    throw new CryptoError(`${what} is not in a format rekey wrote`);
  }
  return { masterKeyId, wrappedKey: Buffer.from(wrappedKey, 'base64'), ciphertext: Buffer.from(ciphertext, 'base64') };
}

export function openText(envelope: Envelope, text: string, context: SealContext, what: string): string {
  return envelope.open(parse(text, what), context).reveal();
}

/** The same value with its data key wrapped by `to` instead of `from`. */
export function rewrapText(text: string, context: SealContext, from: Envelope, to: Envelope, what: string): string {
  const sealed = parse(text, what);
  const wrapped = to.rewrap(sealed, context, from);
  return [FORMAT, wrapped.masterKeyId, wrapped.wrappedKey.toString('base64'), sealed.ciphertext.toString('base64')].join(':');
}

/** The seal context of a person's TOTP secret. */
export function totpSealContext(userId: string): SealContext {
  return { credentialId: `user-totp:${userId}`, version: 0 };
}
