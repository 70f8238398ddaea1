/**
 * Row → domain mapping shared by both dialects. SQLite hands back ISO text and JSON
 * text; PostgreSQL hands back Date objects, parsed JSONB and BIGINT as strings. These
 * helpers accept either.
 */
import { StoreError } from '../../core/errors.js';
import {
  ROTATION_STATE_NAMES,
  type AuditEvent,
  type Consumer,
  type Credential,
  type JournalEntry,
  type Lease,
  type ProviderKind,
  type RotationKind,
  type RotationRecord,
  type RotationStateName,
  type Stage,
  type VersionRecord,
} from '../../core/types.js';

export type Row = Record<string, unknown>;

export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string' || typeof value === 'number') return new Date(value);
  throw new TypeError('expected a stored time');
}

export function toOptionalDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

export function fromJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new TypeError('expected stored bytes');
}

function text(value: unknown): string {
  return String(value);
}

function optionalText(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

export function credentialFromRow(row: Row): Credential {
  return {
    id: text(row.id),
    name: text(row.name),
    provider: text(row.provider) as ProviderKind,
    scope: fromJson(row.scope),
    environment: text(row.environment),
    owner: optionalText(row.owner),
    purpose: optionalText(row.purpose),
    allowedModels: fromJson(row.allowed_models),
    tags: fromJson(row.tags),
    policy: fromJson(row.policy),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

export function versionFromRow(row: Row): VersionRecord {
  return {
    credentialId: text(row.credential_id),
    number: Number(row.number),
    stage: text(row.stage) as Stage,
    providerKeyId: optionalText(row.provider_key_id),
    providerData: fromJson(row.provider_data),
    fingerprint: text(row.fingerprint),
    hint: text(row.hint),
    mintedBy: text(row.minted_by),
    createdAt: toDate(row.created_at),
    stageChangedAt: toDate(row.stage_changed_at),
    shreddedAt: row.shredded_at === null || row.shredded_at === undefined ? null : toDate(row.shredded_at),
    sealed: {
      ciphertext: toBuffer(row.ciphertext),
      wrappedKey: toBuffer(row.wrapped_key),
      masterKeyId: text(row.master_key_id),
    },
  };
}

export function auditEventFromRow(row: Row): AuditEvent {
  return {
    seq: Number(row.seq),
    at: toDate(row.at),
    event: text(row.event),
    actor: text(row.actor),
    credential: optionalText(row.credential),
    fingerprint: optionalText(row.fingerprint),
    outcome: text(row.outcome) as AuditEvent['outcome'],
    detail: fromJson(row.detail),
    prevHash: text(row.prev_hash),
    hash: text(row.hash),
  };
}

export function consumerFromRow(row: Row): Consumer {
  return {
    credentialId: text(row.credential_id),
    name: text(row.name),
    kind: text(row.kind),
    config: fromJson(row.config),
    reload: row.reload === null || row.reload === undefined ? null : fromJson(row.reload),
    createdAt: toDate(row.created_at),
    mac: row.mac === null || row.mac === undefined ? null : text(row.mac),
  };
}

export function rotationFromRow(row: Row): RotationRecord {
  return {
    id: text(row.id),
    credentialId: text(row.credential_id),
    kind: text(row.kind) as RotationKind,
    state: rotationStateOf(row),
    data: fromJson(row.data),
    revision: Number(row.revision),
    error: optionalText(row.error),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    finishedAt: toOptionalDate(row.finished_at),
  };
}

function rotationStateOf(row: Row): RotationStateName {
  const state = text(row.state);
  const known = ROTATION_STATE_NAMES.find((name) => name === state);
  if (known === undefined) throw new StoreError(`rotation ${text(row.id)} is in a state this version of rekey does not know (${state})`);
  return known;
}

export function journalEntryFromRow(row: Row): JournalEntry {
  return {
    rotationId: text(row.rotation_id),
    seq: Number(row.seq),
    at: toDate(row.at),
    step: text(row.step),
    phase: text(row.phase) as JournalEntry['phase'],
    detail: fromJson(row.detail),
  };
}

export function leaseFromRow(row: Row): Lease {
  return { name: text(row.name), holder: text(row.holder), expiresAt: toDate(row.expires_at) };
}
