/**
 * A last-line check that an audit event's detail holds no key value (DESIGN.md §6). It
 * cannot prove a string is not a secret, so it is pragmatic: it rejects any string that
 * carries a known provider-key prefix, and any long token-like string under a field
 * whose name suggests a secret (`value`, `secret`, `key`, `token`, `password`). Hints
 * (`sk-proj-…Ab3d`) and our own 64-hex fingerprints pass.
 */
import { RekeyError } from '../core/errors.js';

const KNOWN_KEY = /(?<![A-Za-z0-9])(sk-(?:proj|svcacct|admin|ant|or)?[-_]?[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,})/;
const SECRET_FIELD = /(value|secret|key|token|password|passphrase)/i;
/** Identifiers, hints and fingerprints of keys (`providerKeyId: apikey_01…`) are not keys. */
const REFERENCE_FIELD = /(Id|Ids|_id|_ids|Hint|_hint|Fingerprint|_fingerprint)$|^(id|ids|hint|fingerprint)$/;
const TOKEN_LIKE = /^[A-Za-z0-9_+=-]{24,}$/;
const FINGERPRINT = /^[0-9a-f]{64}$/;

function looksLikeKey(text: string, underSecretField: boolean): boolean {
  const known = KNOWN_KEY.exec(text)?.[0];
  if (known !== undefined && /[0-9]/.test(known)) return true;
  if (!underSecretField || FINGERPRINT.test(text) || !TOKEN_LIKE.test(text)) return false;
  return /[0-9]/.test(text) && /[A-Za-z]/.test(text);
}

function check(value: unknown, path: string, underSecretField: boolean, depth: number): string | undefined {
  if (depth > 20) return undefined;
  if (typeof value === 'string') return looksLikeKey(value, underSecretField) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = check(item, `${path}[${index}]`, underSecretField, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, item] of Object.entries(value)) {
      const secretField = underSecretField || (SECRET_FIELD.test(key) && !REFERENCE_FIELD.test(key));
      const found = check(item, `${path}.${key}`, secretField, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Throws (naming the field, never the value) when the detail seems to hold a key value. */
export function assertNoSecretInDetail(detail: Record<string, unknown>): void {
  const path = check(detail, 'detail', false, 0);
  if (path !== undefined) {
    throw new RekeyError('internal', `refusing to write an audit event: ${path} looks like a key value`, {
      hint: 'record the fingerprint or hint, never the value',
    });
  }
}
