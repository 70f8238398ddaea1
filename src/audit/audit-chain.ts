/**
 * The audit hash chain. Each event's hash is SHA-256 (hex) over the canonical JSON of its
 * content together with its seq and the previous event's hash, so changing, removing,
 * inserting or reordering any stored row breaks the chain at that row. The first event
 * links to 64 zeros.
 *
 * Keyed chain (issue 11): once an install is sealed, events from `keyedFrom` on are
 * HMAC-SHA-256 under the audit key (derived from the master key) instead of SHA-256, so
 * someone who can write to the database but lacks the master key can no longer recompute
 * the chain after changing a row. Events before the switch point verify as before; the
 * switch point is kept inside the sealed integrity root, not in a table.
 *
 * Canonical JSON: object keys sorted, no whitespace, Dates as ISO-8601 UTC strings, and
 * otherwise exactly what JSON.stringify keeps (undefined dropped, non-finite numbers as
 * null). Parsing it back and canonicalising again yields the same text, which is what lets
 * a verifier recompute a hash from a stored row (PostgreSQL JSONB reorders keys freely).
 */
import { createHash, createHmac } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import type { AuditEvent } from '../core/types.js';
import { AUDIT_GENESIS_HASH, type AuditDraft, type AuditHasher } from '../store/store.js';

export function parseAuditHead(value: string | undefined): { seq: number; hash: string } | undefined {
  const match = value === undefined ? null : /^(\d+):([0-9a-f]{64})$/.exec(value);
  return match === null ? undefined : { seq: Number(match[1]), hash: match[2] as string };
}

export { canonicalJson };

/** The exact text that is hashed for one event. */
export function canonicalAuditEvent(draft: AuditDraft, seq: number, prevHash: string): string {
  return canonicalJson({
    seq,
    prevHash,
    at: draft.at,
    event: draft.event,
    actor: draft.actor,
    credential: draft.credential,
    fingerprint: draft.fingerprint,
    outcome: draft.outcome,
    detail: draft.detail,
  });
}

export const hashAuditEvent: AuditHasher = (draft, seq, prevHash) =>
  createHash('sha256').update(canonicalAuditEvent(draft, seq, prevHash), 'utf8').digest('hex');

/** How events are chained: unkeyed (SHA-256) before `keyedFrom`, HMAC-SHA-256 under `key` from it on. */
export interface AuditChainKey {
  key: Buffer;
  /** The first seq that is keyed. */
  keyedFrom: number;
}

export function auditHasherFor(chain: AuditChainKey | undefined): AuditHasher {
  if (chain === undefined) return hashAuditEvent;
  return (draft, seq, prevHash) =>
    seq < chain.keyedFrom
      ? hashAuditEvent(draft, seq, prevHash)
      : createHmac('sha256', chain.key).update(canonicalAuditEvent(draft, seq, prevHash), 'utf8').digest('hex');
}

export type AuditChainResult = { ok: true; count: number } | { ok: false; seq: number; reason: string };

export interface AuditChainVerifier {
  /** Feeds the next stored event (in seq order); returns the failure once there is one. */
  push(event: AuditEvent): AuditChainResult | undefined;
  result(): AuditChainResult;
}

/** Verifies a chain incrementally, so a long log can be checked page by page. */
export function createAuditChainVerifier(chain?: AuditChainKey): AuditChainVerifier {
  const hasher = auditHasherFor(chain);
  let expectedSeq = 1;
  let previousHash = AUDIT_GENESIS_HASH;
  let failure: AuditChainResult | undefined;

  function check(event: AuditEvent): AuditChainResult | undefined {
    if (event.seq > expectedSeq) {
      return { ok: false, seq: expectedSeq, reason: `event ${expectedSeq} is missing (the next stored event is ${event.seq})` };
    }
    if (event.seq < expectedSeq) {
      return { ok: false, seq: event.seq, reason: `event ${event.seq} is duplicated or out of order (expected ${expectedSeq})` };
    }
    if (event.prevHash !== previousHash) {
      return {
        ok: false,
        seq: event.seq,
        reason: `event ${event.seq} does not link to the event before it (a row was changed, removed, inserted or moved)`,
      };
    }
    if (hasher(event, event.seq, event.prevHash) !== event.hash) {
      const keyed = chain !== undefined && event.seq >= chain.keyedFrom ? ' (keyed: only the master key can compute it)' : '';
      return { ok: false, seq: event.seq, reason: `event ${event.seq} was modified: its content does not match its hash${keyed}` };
    }
    return undefined;
  }

  return {
    push(event) {
      if (failure !== undefined) return failure;
      failure = check(event);
      if (failure === undefined) {
        expectedSeq += 1;
        previousHash = event.hash;
      }
      return failure;
    },
    result() {
      return failure ?? { ok: true, count: expectedSeq - 1 };
    },
  };
}

/** Checks a whole chain, in seq order as stored, and names the first bad event. */
export function verifyAuditChain(events: readonly AuditEvent[], chain?: AuditChainKey): AuditChainResult {
  const verifier = createAuditChainVerifier(chain);
  for (const event of events) {
    if (verifier.push(event) !== undefined) break;
  }
  return verifier.result();
}
