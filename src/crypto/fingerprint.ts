import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A version's fingerprint: HMAC-SHA-256 of the key value under a per-install salt, hex.
 * Never the raw hash: a bare SHA-256 of a key would let anyone holding a leaked list of
 * hashes confirm a guessed key offline. The scanner fingerprints findings the same way
 * to recognise our own keys. `fingerprintLabel` gives a short form for display.
 */
export function fingerprint(salt: Buffer, value: string): string {
  if (salt.length < 16) throw new RangeError('fingerprint salt must be at least 16 bytes');
  return createHmac('sha256', salt).update(value, 'utf8').digest('hex');
}

export function fingerprintsEqual(left: string, right: string): boolean {
  const a = Buffer.from(left, 'hex');
  const b = Buffer.from(right, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/** `fp:3f9a1c2b` — enough to tell versions apart in a table. */
export function fingerprintLabel(value: string): string {
  return `fp:${value.slice(0, 12)}`;
}
