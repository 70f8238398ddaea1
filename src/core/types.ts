/** Domain types shared by every layer (DESIGN.md §2). Pure data, no I/O. */

export const STAGES = ['pending', 'current', 'previous', 'revoked', 'discarded'] as const;
export type Stage = (typeof STAGES)[number];
/** The stages that at most one version of a credential may hold at a time. */
export const UNIQUE_STAGES = ['pending', 'current', 'previous'] as const satisfies readonly Stage[];

export const PROVIDER_KINDS = ['openai', 'anthropic', 'openrouter', 'azure-openai', 'manual'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export interface CredentialPolicy {
  /** Rotate this often (scheduled rotation). */
  rotateEveryDays?: number | undefined;
  /** A current version older than this violates policy. */
  maxAgeDays?: number | undefined;
  /** Grace ends once the old key has been quiet this long. */
  graceQuietSeconds?: number | undefined;
  /** Past this, with traffic still on the old key, the rotation holds instead of revoking. */
  graceMaxSeconds?: number | undefined;
  /** What a leak finding of this credential triggers. */
  onLeak?: 'rotate' | 'alert' | undefined;
}

export interface CredentialMetadata {
  provider: ProviderKind;
  /** Provider-side scope, e.g. `{ project: 'proj_abc' }` or `{ workspace: 'wrkspc_1' }`. */
  scope: Record<string, string>;
  environment: string;
  owner: string | null;
  purpose: string | null;
  allowedModels: string[];
  tags: Record<string, string>;
  policy: CredentialPolicy;
}

export interface Credential extends CredentialMetadata {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A value sealed by envelope encryption (see src/crypto). */
export interface SealedValue {
  /** nonce ‖ ciphertext ‖ tag, AES-256-GCM under the data key. */
  ciphertext: Buffer;
  /** The per-version data key, sealed under the master key. */
  wrappedKey: Buffer;
  /** Which master key wrapped it (a short id derived from the master key). */
  masterKeyId: string;
}

export interface VersionRecord {
  credentialId: string;
  /** 1, 2, 3… per credential. */
  number: number;
  stage: Stage;
  /** The provider's id for this key (e.g. `key_abc`, a service account id), when it has one. */
  providerKeyId: string | null;
  /** HMAC-SHA-256 of the value with the per-install salt, hex. Never the raw hash. */
  fingerprint: string;
  /** Redacted hint, e.g. `sk-proj-…Ab3d`. */
  hint: string;
  /** Who or what minted it: `cli:<user>`, `rotation:<id>`. */
  mintedBy: string;
  createdAt: Date;
  stageChangedAt: Date;
  sealed: SealedValue;
}

export interface AuditEvent {
  /** 1, 2, 3… without gaps. */
  seq: number;
  at: Date;
  /** `<noun>-<action>`, e.g. `credential-add`, `version-promote`, `rotation-start`. */
  event: string;
  actor: string;
  credential: string | null;
  /** Version fingerprint when the event concerns one version. Never a value. */
  fingerprint: string | null;
  outcome: 'ok' | 'error';
  detail: Record<string, unknown>;
  /** Hash of the previous event (64 zeros for the first). */
  prevHash: string;
  /** SHA-256 over this event's canonical form including prevHash. */
  hash: string;
}

export interface Consumer {
  credentialId: string;
  /** Unique per credential, e.g. `ticketing-api-env`. */
  name: string;
  /** Sink kind, e.g. `env-file`, `vault-kv`. */
  kind: string;
  /** Sink options (paths, variable names); never a secret. */
  config: Record<string, unknown>;
  /** Optional reload action after delivery. */
  reload: Record<string, unknown> | null;
  createdAt: Date;
}

export type RotationKind = 'manual' | 'scheduled' | 'emergency' | 'drill';

export interface RotationRecord {
  id: string;
  credentialId: string;
  kind: RotationKind;
  /** The state machine's state name (see src/rotation). */
  state: string;
  /** Free-form engine data: version numbers, provider key ids, timings. Never a value. */
  data: Record<string, unknown>;
  /** Increments on every update; used for optimistic concurrency. */
  revision: number;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface JournalEntry {
  rotationId: string;
  seq: number;
  at: Date;
  step: string;
  phase: 'begin' | 'end' | 'error' | 'note';
  detail: Record<string, unknown>;
}

export interface Lease {
  name: string;
  holder: string;
  expiresAt: Date;
}
