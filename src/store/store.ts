/**
 * The storage contract (DESIGN.md §5). Two implementations — SQLite (`sqlite/`) and
 * PostgreSQL (`postgres/`) — pass the same suite in `test/contracts/store.ts`.
 *
 * Invariants every implementation enforces in the database itself, not only in code:
 * - at most one version per credential in each of `pending`, `current`, `previous`
 *   (a partial unique index);
 * - stage changes are compare-and-set: the caller names the stage it expects, and a
 *   mismatch is a `ConflictError`, so two processes promoting at once cannot both win;
 * - audit events form a gap-free sequence appended under a lock.
 *
 * Errors: `NotFoundError` for unknown names/ids, `ConflictError` for races and unique
 * violations, `StoreError` for anything else. No error message carries a bound parameter.
 */
import type {
  AuditEvent,
  Consumer,
  Credential,
  CredentialMetadata,
  JournalEntry,
  Lease,
  RotationKind,
  RotationRecord,
  SealedValue,
  Stage,
  VersionRecord,
} from '../core/types.js';
import type { AlertStore } from './alert-store-types.js';

export type Dialect = 'sqlite' | 'postgres';

export interface NewCredential extends CredentialMetadata {
  name: string;
}

export type CredentialPatch = Partial<CredentialMetadata>;

export interface NewVersion {
  credentialId: string;
  /** Usually `pending`; `current` is allowed only when the credential has no current version. */
  stage: Extract<Stage, 'pending' | 'current'>;
  providerKeyId: string | null;
  fingerprint: string;
  hint: string;
  mintedBy: string;
  /**
   * Sealing needs the version number (it is bound into the AAD), which the store assigns.
   * The store calls this inside its transaction with the number it chose.
   */
  seal: (versionNumber: number) => SealedValue;
}

export interface PromoteOptions {
  /** The version number the caller believes is current now (null when none). */
  expectedCurrent: number | null;
  /**
   * What to do with an existing `previous` version. Default: refuse with ConflictError,
   * because that key may still be live. `revoked` asserts the caller has revoked it.
   */
  existingPrevious?: 'refuse' | 'revoked';
}

export interface AuditDraft {
  at: Date;
  event: string;
  actor: string;
  credential: string | null;
  fingerprint: string | null;
  outcome: 'ok' | 'error';
  detail: Record<string, unknown>;
}

/** Computes an event's hash from its draft, sequence number and the previous hash (src/audit). */
export type AuditHasher = (draft: AuditDraft, seq: number, prevHash: string) => string;

export interface NewRotation {
  id: string;
  credentialId: string;
  kind: RotationKind;
  state: string;
  data: Record<string, unknown>;
}

export interface RotationPatch {
  state?: string;
  data?: Record<string, unknown>;
  error?: string | null;
  finishedAt?: Date | null;
}

export interface RotationFilter {
  credentialId?: string;
  /** Only rotations whose finishedAt is null. */
  active?: boolean;
  limit?: number;
}

export interface NewConsumer {
  credentialId: string;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  reload: Record<string, unknown> | null;
}

export interface RewrapItem {
  credentialId: string;
  number: number;
  wrappedKey: Buffer;
  masterKeyId: string;
}

export interface MigrationStatus {
  applied: number[];
  pending: number[];
}

export interface Store extends AlertStore {
  readonly dialect: Dialect;

  /** Apply pending migrations under a lock (safe when several processes start at once). */
  migrate(): Promise<void>;
  migrationStatus(): Promise<MigrationStatus>;
  close(): Promise<void>;

  // Settings: small install-wide values (fingerprint salt id, master key check value).
  getSetting(key: string): Promise<string | undefined>;
  /** Stores the value unless the key exists; returns whichever value is stored. */
  setSettingIfAbsent(key: string, value: string): Promise<string>;
  setSetting(key: string, value: string): Promise<void>;

  // Credentials.
  createCredential(input: NewCredential): Promise<Credential>;
  getCredential(name: string): Promise<Credential | undefined>;
  getCredentialById(id: string): Promise<Credential | undefined>;
  listCredentials(filter?: { provider?: string; environment?: string }): Promise<Credential[]>;
  updateCredential(name: string, patch: CredentialPatch): Promise<Credential>;
  /** Removes the credential with its versions, consumers and rotations. */
  removeCredential(name: string): Promise<void>;

  // Versions.
  addVersion(input: NewVersion): Promise<VersionRecord>;
  getVersion(credentialId: string, number: number): Promise<VersionRecord | undefined>;
  getVersionByStage(credentialId: string, stage: Extract<Stage, 'pending' | 'current' | 'previous'>): Promise<VersionRecord | undefined>;
  listVersions(credentialId: string): Promise<VersionRecord[]>;
  findVersionsByFingerprint(fingerprint: string): Promise<VersionRecord[]>;
  /** Compare-and-set one version's stage. ConflictError when it is not in `from`. */
  setVersionStage(credentialId: string, number: number, from: Stage, to: Stage): Promise<VersionRecord>;
  /** Atomically: version `number` (pending) → current, current → previous. */
  promote(credentialId: string, number: number, options: PromoteOptions): Promise<void>;
  /** Atomically: current → discarded, previous → current. Returns the number now current. */
  rollback(credentialId: string, options: { expectedCurrent: number }): Promise<number>;
  /** Every sealed value, for master-key rotation. */
  listSealed(): Promise<Array<{ credentialId: string; number: number; sealed: SealedValue }>>;
  /** Replace wrapped data keys in one transaction (all or nothing). */
  rewrap(items: RewrapItem[]): Promise<void>;

  // Audit log (append-only, hash-chained).
  appendAudit(draft: AuditDraft, hasher: AuditHasher): Promise<AuditEvent>;
  listAudit(filter?: { afterSeq?: number; limit?: number; credential?: string }): Promise<AuditEvent[]>;

  // Consumers.
  addConsumer(input: NewConsumer): Promise<Consumer>;
  listConsumers(credentialId: string): Promise<Consumer[]>;
  removeConsumer(credentialId: string, name: string): Promise<void>;

  // Rotations and their journal.
  createRotation(input: NewRotation): Promise<RotationRecord>;
  getRotation(id: string): Promise<RotationRecord | undefined>;
  listRotations(filter?: RotationFilter): Promise<RotationRecord[]>;
  /** Optimistic update: ConflictError unless the stored revision equals `expectedRevision`. */
  updateRotation(id: string, expectedRevision: number, patch: RotationPatch): Promise<RotationRecord>;
  appendJournal(entry: Omit<JournalEntry, 'seq'>): Promise<JournalEntry>;
  listJournal(rotationId: string): Promise<JournalEntry[]>;

  // Leases: named locks with expiry, so a dead holder's lock frees itself.
  /** True when `holder` now holds the lease (it was free, expired, or already held by `holder`). */
  acquireLease(name: string, holder: string, ttlMilliseconds: number, now: Date): Promise<boolean>;
  /** False when the lease is no longer held by `holder`. */
  renewLease(name: string, holder: string, ttlMilliseconds: number, now: Date): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  getLease(name: string): Promise<Lease | undefined>;
}
