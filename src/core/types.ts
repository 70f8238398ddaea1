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
  /** Further provider-side ids needed to revoke or replace this key (e.g. `{ serviceAccountId }`, an Azure `slot`). Never a value. */
  providerData: Record<string, string>;
  /** Who or what minted it: `cli:<user>`, `rotation:<id>`. */
  mintedBy: string;
  createdAt: Date;
  stageChangedAt: Date;
  /**
   * When the retention policy destroyed this (revoked or discarded) version's data key and
   * ciphertext; null while it can still be opened. Metadata and fingerprint are kept.
   */
  shreddedAt: Date | null;
  /** Empty buffers once shredded. */
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
  /** The row's integrity tag as stored (issue 11), set by the store on read; null when unsealed. */
  mac?: string | null;
}

export type RotationKind = 'manual' | 'scheduled' | 'emergency' | 'drill';

/**
 * The rotation state machine's states (its transitions are in src/rotation). Here because
 * the store keeps one per rotation and reads back only these.
 */
export const ROTATION_STATE_NAMES = [
  'lock',
  'emergency-revoke',
  'mint',
  'awaiting-value',
  'test',
  'deliver',
  'promote',
  'grace',
  'revoke',
  'finish',
  'rollback',
  'hold',
  'failed',
  'done',
  'rolled-back',
] as const;
export type RotationStateName = (typeof ROTATION_STATE_NAMES)[number];

export interface RotationRecord {
  id: string;
  credentialId: string;
  kind: RotationKind;
  state: RotationStateName;
  /** The engine's JSON (read by src/rotation/rotation-data.ts through its schema): machine context, provider key ids, timings. Never a value. */
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

/** What an application holds instead of a provider key (src/access/access-tokens.ts). */
export const ACCESS_TOKEN_KINDS = ['read', 'proxy'] as const;
export type AccessTokenKind = (typeof ACCESS_TOKEN_KINDS)[number];

export interface AccessToken {
  id: string;
  kind: AccessTokenKind;
  /** The application's name, unique among live tokens of a kind; it names the consumer in usage reports. */
  name: string;
  /** Credential names this token may use, as they were when it was created (for people and usage reports). */
  credentials: string[];
  /** The ids of those credentials: what the token is scoped by (a credential created again under the same name is not among them). */
  credentialIds: string[];
  /** After this the token is refused; null: no expiry. */
  expiresAt: Date | null;
  /** Source networks the token is accepted from (CIDR, e.g. `10.0.0.0/8`); empty: any. */
  cidrs: string[];
  /** Proxy tokens: models this token may call (empty: whatever the credential allows). */
  allowedModels: string[];
  /**
   * Proxy tokens: endpoint groups granted beyond the default (empty: inference and model
   * listing only; `files`, `stored`, `batches`, `admin` … must be granted by name).
   */
  allowedEndpoints?: string[];
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
}

/** Where a usage report comes from: the proxy's metering or an SDK check-in. */
export type UsageChannel = 'proxy' | 'sdk';

/** One usage report, as the proxy and SDK check-ins send it (the store aggregates per minute). */
export interface UsageReport {
  credentialId: string;
  versionNumber: number;
  source: UsageChannel;
  consumer: string;
  at: Date;
  requests: number;
  /** Responses by class; the proxy fills these, SDK check-ins leave them 0. */
  status2xx: number;
  status4xx: number;
  status5xx: number;
  inputTokens: number;
  outputTokens: number;
}

/** What the store knows about one consumer's use of one key version (summed over the minutes asked for). */
export interface ConsumerUsage {
  source: UsageChannel;
  /** The virtual token's or read token's name, plus `/<instance>` when an SDK instance named itself. */
  consumer: string;
  /** The latest report from this consumer about this version (a check-in may only say it holds the key). */
  lastSeenAt: Date;
  /** When it last used this version (the latest report with requests), or null: it only held the key. */
  lastUsedAt: Date | null;
  /** Requests made with this version since `since` (0 means the consumer only held the key). */
  requests: number;
}

/** Usage is counted per minute: the start (ms since epoch) of the minute that contains `at`. */
export function usageMinuteOf(at: Date): number {
  return Math.floor(at.getTime() / 60_000) * 60_000;
}
