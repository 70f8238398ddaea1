/**
 * The audit hash chain. Each event's hash is SHA-256 (hex) over the canonical JSON of its
 * content together with its seq and the previous event's hash, so changing, removing,
 * inserting or reordering any stored row breaks the chain at that row. The first event
 * links to 64 zeros.
 *
 * Canonical JSON: object keys sorted, no whitespace, Dates as ISO-8601 UTC strings, and
 * otherwise exactly what JSON.stringify keeps (undefined dropped, non-finite numbers as
 * null). Parsing it back and canonicalising again yields the same text, which is what lets
 * a verifier recompute a hash from a stored row (PostgreSQL JSONB reorders keys freely).
 */
import { createHash } from 'node:crypto';
import type { AuditEvent } from '../core/types.js';
import { AUDIT_GENESIS_HASH, type AuditDraft, type AuditHasher } from '../store/store.js';

export function parseAuditHead(value: string | undefined): { seq: number; hash: string } | undefined {
  const match = value === undefined ? null : /^(\d+):([0-9a-f]{64})$/.exec(value);
  return match === null ? undefined : { seq: Number(match[1]), hash: match[2] as string };
}

export function canonicalJson(value: unknown): string {
  const text = canonicalPart(value);
  if (text === undefined) throw new TypeError('cannot serialise an undefined value');
  return text;
}

function canonicalPart(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      throw new TypeError('cannot serialise a bigint in an audit event');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  const object = value as { toJSON?: () => unknown };
  if (typeof object.toJSON === 'function') return canonicalPart(object.toJSON());
  if (Array.isArray(value)) return `[${value.map((item) => canonicalPart(item) ?? 'null').join(',')}]`;
  const entries: string[] = [];
  for (const key of Object.keys(value as object).sort()) {
    const part = canonicalPart((value as Record<string, unknown>)[key]);
    if (part !== undefined) entries.push(`${JSON.stringify(key)}:${part}`);
  }
  return `{${entries.join(',')}}`;
}

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

export type AuditChainResult = { ok: true; count: number } | { ok: false; seq: number; reason: string };

export interface AuditChainVerifier {
  /** Feeds the next stored event (in seq order); returns the failure once there is one. */
  push(event: AuditEvent): AuditChainResult | undefined;
  result(): AuditChainResult;
}

/** Verifies a chain incrementally, so a long log can be checked page by page. */
export function createAuditChainVerifier(): AuditChainVerifier {
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
    if (hashAuditEvent(event, event.seq, event.prevHash) !== event.hash) {
      return { ok: false, seq: event.seq, reason: `event ${event.seq} was modified: its content does not match its hash` };
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
export function verifyAuditChain(events: readonly AuditEvent[]): AuditChainResult {
  const verifier = createAuditChainVerifier();
  for (const event of events) {
    if (verifier.push(event) !== undefined) break;
  }
  return verifier.result();
}
