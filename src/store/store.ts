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
  AccessToken,
  AccessTokenKind,
  AuditEvent,
  Consumer,
  ConsumerUsage,
  Credential,
  CredentialMetadata,
  JournalEntry,
  Lease,
  RotationKind,
  RotationRecord,
  RotationStateName,
  SealedValue,
  Stage,
  UsageReport,
  VersionRecord,
} from '../core/types.js';
import type { AlertStore } from './alert-store-types.js';
import type { ApprovalStore } from './approval-store-types.js';
import type { ByokStore } from './byok-store-types.js';
import type { IdentityStore, OidcStore } from './identity-store-types.js';
import type { PasskeyStore } from './passkey-store-types.js';
import type { TeamStore } from './team-store-types.js';

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
  /** Further provider-side ids of the key (default none). */
  providerData?: Record<string, string>;
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

/** The previous hash of the first audit event: 64 zeros. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/**
 * The setting that holds `<seq>:<hash>` of the last appended event, written in the same
 * transaction as the event. The chain alone cannot tell that its last rows were cut off;
 * comparing with this head can (unless the same person also rewrote the setting).
 */
export const AUDIT_HEAD_SETTING = 'audit.head';

/** Computes an event's hash from its draft, sequence number and the previous hash (src/audit). */
export type AuditHasher = (draft: AuditDraft, seq: number, prevHash: string) => string;

export interface NewRotation {
  id: string;
  credentialId: string;
  kind: RotationKind;
  state: RotationStateName;
  data: Record<string, unknown>;
}

export interface RotationPatch {
  state?: RotationStateName;
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
  /** The row MAC (src/vault/sealed-store.ts); null or absent when the install is not sealed. */
  mac?: string | null;
}

export interface RewrapItem {
  credentialId: string;
  number: number;
  wrappedKey: Buffer;
  masterKeyId: string;
}

export type NewAccessToken = Omit<AccessToken, 'revokedAt'>;

export interface AccessTokenFilter {
  kind?: AccessTokenKind;
  includeRevoked?: boolean;
}

/** Tells that some credential's live versions changed (a promote, rollback, revoke or new version). */
export type KeyChangeHandler = (credentialId: string | undefined) => void;

export interface KeyChangeWatchOptions {
  /** SQLite polls the version stages this often (default 250 ms); PostgreSQL is told at once by NOTIFY. */
  pollIntervalMilliseconds?: number;
  /** Called with a value-free message when the watch loses its connection or a poll fails. */
  onError?: ((message: string) => void) | undefined;
}

export interface KeyChangeWatch {
  close(): Promise<void>;
}

export interface MigrationStatus {
  applied: number[];
  pending: number[];
}

export interface Store extends AlertStore, TeamStore, ApprovalStore, IdentityStore, ByokStore, OidcStore, PasskeyStore {
  readonly dialect: Dialect;

  /** Apply pending migrations under a lock (safe when several processes start at once). */
  migrate(): Promise<void>;
  migrationStatus(): Promise<MigrationStatus>;
  close(): Promise<void>;

  // Settings: small install-wide values (fingerprint salt id, master key check value).
  getSetting(key: string): Promise<string | undefined>;
  /** Stores the value unless the key exists; returns whichever value is stored. */
  setSettingIfAbsent(key: string, value: string): Promise<string>;
  /** Stores the value and its row MAC (null when none; see the row-integrity group below). */
  setSetting(key: string, value: string, mac?: string | null): Promise<void>;

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
  /** Records (or clears) the provider's id of one version's key, e.g. after `credential add` without `--provider-key-id`. */
  setVersionProviderKeyId(credentialId: string, number: number, providerKeyId: string | null): Promise<VersionRecord>;
  /** Atomically: version `number` (pending) → current, current → previous. */
  promote(credentialId: string, number: number, options: PromoteOptions): Promise<void>;
  /** Atomically: current → discarded, previous → current. Returns the number now current. */
  rollback(credentialId: string, options: { expectedCurrent: number }): Promise<number>;
  /** Every sealed value that was not shredded, for master-key rotation. */
  listSealed(): Promise<Array<{ credentialId: string; number: number; sealed: SealedValue }>>;
  /** Revoked and discarded versions not yet shredded whose stage changed at or before `before`, oldest first. */
  listShreddable(before: Date): Promise<VersionRecord[]>;
  /**
   * Destroys a revoked or discarded version's data key and ciphertext (retention policy),
   * keeping its metadata and fingerprint, and records when. `shredded` is false for a
   * version that was already shredded (returned unchanged); ConflictError for a live
   * version, NotFoundError for none. A shredded version can never become live again.
   */
  shredVersion(credentialId: string, number: number): Promise<{ version: VersionRecord; shredded: boolean }>;
  /** Replace wrapped data keys in one transaction (all or nothing). */
  rewrap(items: RewrapItem[]): Promise<void>;

  // Audit log (append-only, hash-chained).
  appendAudit(draft: AuditDraft, hasher: AuditHasher): Promise<AuditEvent>;
  listAudit(filter?: { afterSeq?: number; limit?: number; credential?: string }): Promise<AuditEvent[]>;

  // Consumers.
  addConsumer(input: NewConsumer): Promise<Consumer>;
  listConsumers(credentialId: string): Promise<Consumer[]>;
  removeConsumer(credentialId: string, name: string): Promise<void>;
  /** Replaces a consumer's sink options and/or reload action in place (its name and kind stay). NotFoundError when absent. */
  updateConsumer(credentialId: string, name: string, patch: { config?: Record<string, unknown>; reload?: Record<string, unknown> | null; mac?: string | null }): Promise<Consumer>;

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

  // Access tokens: only the SHA-256 hash of a token is stored, never the token.
  /** ConflictError when a live token of the same kind already has this name. */
  insertAccessToken(token: NewAccessToken, hash: Buffer, mac?: string | null): Promise<AccessToken>;
  findAccessToken(id: string): Promise<{ token: AccessToken; hash: Buffer; mac: string | null } | undefined>;
  /** Live tokens (and revoked ones when asked), oldest first. */
  listAccessTokens(filter?: AccessTokenFilter): Promise<AccessToken[]>;
  /** Revokes the live token with this id or name; NotFoundError when there is none, ConflictError when the name is ambiguous. */
  revokeAccessToken(idOrName: string, at: Date, reseal?: RowResealer<AccessToken>): Promise<AccessToken>;

  // Usage reports, aggregated per minute, credential, version, source and consumer.
  /**
   * Adds the counts to their minute. Once a minute has requests, only reports with
   * requests move its time, so `lastSeenAt` of a used minute is the last use.
   */
  recordUsage(reports: readonly UsageReport[]): Promise<void>;
  /** One entry per (source, consumer) from the minute that contains `since` onwards, most recent first. */
  listConsumerUsage(credentialId: string, versionNumber: number, since: Date): Promise<ConsumerUsage[]>;

  // Key changes, for processes that hold keys in memory (rekey serve, rekey proxy).
  /**
   * Calls `onChange` (with the credential id when known) soon after any process changes a
   * version's stage: LISTEN/NOTIFY on PostgreSQL, a poll of the stages on SQLite. After a
   * lost connection it reports `undefined` (changes may have been missed).
   */
  watchKeyChanges(onChange: KeyChangeHandler, options?: KeyChangeWatchOptions): Promise<KeyChangeWatch>;

  // Row integrity and key deliveries (issue 11, migration 11). The store keeps the MACs that
  // src/vault/sealed-store.ts computes; it never checks them (it has no key).
  getSettingRow(key: string): Promise<{ value: string; mac: string | null } | undefined>;
  /** Replaces one row's MAC (sealing an older install's rows); NotFoundError when the row is absent. */
  setRowMac(table: SealedTable, key: SealedRowKey, mac: string | null): Promise<void>;
  /** Counts one delivery of a key version to a token; `first` is true for the first one ever. */
  recordKeyDelivery(delivery: KeyDelivery): Promise<{ first: boolean; deliveries: number }>;
}

/** The tables whose rows carry a MAC. */
export const SEALED_TABLES = [
  'access_tokens', 'consumers', 'settings', 'users', 'roles', 'role_bindings',
  'approval_policies', 'approval_requests', 'approval_decisions', 'workload_identities', 'sessions', 'webauthn_credentials',
] as const;
export type SealedTable = (typeof SEALED_TABLES)[number];

/** A row's primary key: `[credentialId, name]` for consumers, `[requestId, approver]` for approval decisions, the id (or key, or role name) otherwise. */
export type SealedRowKey = string | readonly [string, string];

/** Called inside the transaction that changes a row, with the row as it will be, to compute its new MAC. */
export type RowResealer<T> = (row: T, hash: Buffer) => string | null;

export interface KeyDelivery {
  tokenId: string;
  credentialId: string;
  version: number;
  at: Date;
}
