/**
 * The bring-your-own-key part of the Store contract (issue 20, migration 24): tenants with
 * their wrapped data key, end users' keys sealed under it, the notices sent to the SaaS
 * application, and the service tokens it uses. The store keeps ciphertexts, wraps and
 * hashes only; sealing and opening is src/byok's (with src/crypto/tenant-keys.ts).
 *
 * Every key read and write names the tenant: a key id of another tenant is as good as absent.
 */

export const BYOK_STATUSES = ['valid', 'invalid', 'no-quota', 'no-model-access', 'unknown'] as const;
export type ByokStatus = (typeof BYOK_STATUSES)[number];

export const BYOK_PROVIDERS = ['openai', 'anthropic', 'openrouter'] as const;
export type ByokProvider = (typeof BYOK_PROVIDERS)[number];

export type ByokFallback = { kind: 'none' } | { kind: 'credential'; credential: string };

export interface ByokTenantSettings {
  /** A notice when a key is older than this (default 90 days). */
  reminderAgeDays: number;
  /** A notice when a key was not used for this many days; null: never. */
  unusedDays: number | null;
  /** The same notice for the same key is sent at most once per this many hours. */
  noticeCadenceHours: number;
  /** Where notices go (the SaaS application's webhook); null: no notices. */
  webhookUrl: string | null;
  /** What the proxy does for a user with no usable key. */
  fallback: ByokFallback;
  /** Models a stored key must reach to be `valid` (empty: any). */
  requiredModels: string[];
}

export interface ByokTenantRecord {
  id: string;
  /** The data key wrapped by the master key; null once the tenant was purged (crypto-shredded). */
  wrappedKey: Buffer | null;
  masterKeyId: string | null;
  /** A wrap under the next master key, written by a master-key rotation before it commits. */
  nextWrappedKey: Buffer | null;
  nextMasterKeyId: string | null;
  /** The webhook signing secret sealed under the tenant's data key. */
  webhookSecretSealed: Buffer | null;
  settings: ByokTenantSettings;
  createdAt: Date;
  purgedAt: Date | null;
}

export interface ByokKeyRecord {
  id: string;
  tenant: string;
  userRef: string;
  provider: ByokProvider;
  label: string;
  ciphertext: Buffer;
  /** A display hint (`sk-…abcd`), never enough to use the key. */
  hint: string;
  /** HMAC of the value under the tenant's fingerprint salt. */
  fingerprint: string;
  status: ByokStatus;
  /** Why (value-free): the provider's error type or HTTP status. */
  statusDetail: string | null;
  createdAt: Date;
  validatedAt: Date | null;
  lastUsedAt: Date | null;
  uses: number;
  lastFailureAt: Date | null;
  /** When the periodic re-validation is due. */
  nextCheckAt: Date;
}

export type NewByokKey = Omit<ByokKeyRecord, 'uses' | 'lastUsedAt' | 'lastFailureAt'>;

export interface ByokStatusUpdate {
  status: ByokStatus;
  statusDetail: string | null;
  validatedAt: Date;
  nextCheckAt: Date;
  failureAt?: Date;
}

export interface ByokTokenRecord {
  id: string;
  name: string;
  /** The tenants this token acts for. */
  tenants: string[];
  expiresAt: Date | null;
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
}

export interface ByokStore {
  /** ConflictError when the tenant exists (or existed and was purged but not yet removed). */
  createByokTenant(tenant: Omit<ByokTenantRecord, 'purgedAt' | 'nextWrappedKey' | 'nextMasterKeyId'>): Promise<ByokTenantRecord>;
  getByokTenant(id: string): Promise<ByokTenantRecord | undefined>;
  /** NotFoundError when absent. */
  updateByokTenant(id: string, patch: { settings?: ByokTenantSettings; webhookSecretSealed?: Buffer | null }): Promise<ByokTenantRecord>;
  /** Tenants in id order after `afterId` (keyset paging, for re-wraps and scans of many tenants). */
  listByokTenants(page?: { afterId?: string; limit?: number }): Promise<ByokTenantRecord[]>;
  /** Records wraps under the next master key, in one transaction (a batch of a master-key rotation). */
  setByokNextWraps(items: ReadonlyArray<{ id: string; wrappedKey: Buffer; masterKeyId: string }>): Promise<void>;
  /** Makes the next wraps under `masterKeyId` the primary ones; returns how many tenants moved. */
  promoteByokWraps(masterKeyId: string): Promise<number>;
  /** Destroys the tenant's wrapped data key (and its next wrap) and marks it purged. NotFoundError when absent. */
  shredByokTenantKey(id: string, at: Date): Promise<ByokTenantRecord>;
  /** Removes the tenant row with its keys and notices; returns how many keys went. */
  removeByokTenant(id: string): Promise<number>;

  /** Inserts, or replaces the key at the same (tenant, user, provider, label) with a new id. */
  putByokKey(key: NewByokKey): Promise<ByokKeyRecord>;
  /** Bulk insert of new keys (benchmarks, imports); one transaction per call. */
  insertByokKeys(keys: readonly NewByokKey[]): Promise<void>;
  getByokKey(tenant: string, id: string): Promise<ByokKeyRecord | undefined>;
  findByokKey(tenant: string, userRef: string, provider: ByokProvider, label: string): Promise<ByokKeyRecord | undefined>;
  /** One tenant's keys in id order (keyset paging), optionally of one user. */
  listByokKeys(tenant: string, page?: { userRef?: string; afterId?: string; limit?: number }): Promise<ByokKeyRecord[]>;
  findByokKeysByFingerprint(tenant: string, fingerprint: string): Promise<ByokKeyRecord[]>;
  /** NotFoundError when absent in that tenant. */
  deleteByokKey(tenant: string, id: string): Promise<void>;
  /** Counts one use; returns the new count. NotFoundError when absent. */
  recordByokUse(tenant: string, id: string, at: Date): Promise<number>;
  setByokStatus(tenant: string, id: string, update: ByokStatusUpdate): Promise<ByokKeyRecord>;
  /** Keys of one provider whose re-validation is due at `now`, earliest first. */
  listByokDue(provider: ByokProvider, now: Date, limit: number): Promise<ByokKeyRecord[]>;
  /** Keys of every tenant in (tenant, id) order, for reminder rounds; keyset paging. */
  listAllByokKeys(page: { after?: { tenant: string; id: string }; limit: number }): Promise<ByokKeyRecord[]>;
  /** How many keys and about how many bytes they occupy (table and indexes). */
  measureByokStorage(): Promise<{ keys: number; bytes: number }>;

  /**
   * Claims the right to send notice `reason` about key `keyId`: true (and records `now`) when
   * none was sent, or the last one was at or before `now - cadenceMs`.
   */
  claimByokNotice(keyId: string, reason: string, now: Date, cadenceMs: number): Promise<boolean>;
  /** Undoes a claim whose delivery failed, so the next round tries again. */
  releaseByokNotice(keyId: string, reason: string, previous: Date | null): Promise<void>;
  lastByokNotice(keyId: string, reason: string): Promise<Date | null>;

  insertByokToken(token: ByokTokenRecord, hash: Buffer, mac: string | null): Promise<ByokTokenRecord>;
  findByokToken(id: string): Promise<{ token: ByokTokenRecord; hash: Buffer; mac: string | null } | undefined>;
  listByokTokens(): Promise<ByokTokenRecord[]>;
  /** NotFoundError when no live token has this id or name. */
  revokeByokToken(idOrName: string, at: Date, reseal?: (token: ByokTokenRecord, hash: Buffer) => string | null): Promise<ByokTokenRecord>;
}
