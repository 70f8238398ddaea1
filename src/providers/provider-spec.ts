/**
 * Provider adapter contract, version 1 (DESIGN.md §3, §8). Adapters depend on this file;
 * it depends on nothing but `core`. Changing a signature here means a new version.
 *
 * Adapters are factories returning plain objects (`createOpenAIProvider(options)`), with
 * an injectable `fetch`. They throw `ProviderError` (with `isRetryable`), never carry a
 * response body in an error, and take and return key values only as `SecretValue`.
 */
import type { SecretValue } from '../core/secret-value.js';
import type { ProviderKind } from '../core/types.js';

export const PROVIDER_SPEC_VERSION = 'v1' as const;

/** What the adapter needs to know about the credential it acts on. */
export interface ProviderCredentialRef {
  name: string;
  /** Provider-side scope, e.g. `{ project: 'proj_abc' }`. */
  scope: Record<string, string>;
  allowedModels: string[];
}

export interface MintRequest {
  credential: ProviderCredentialRef;
  /** Names the provider-side object, so a crash after the call can be reconciled. */
  rotationId: string;
  /** For providers that cannot mint by API (Anthropic, manual): the value a person supplied. */
  suppliedValue?: SecretValue | undefined;
  /**
   * The version this key will replace, when there is one. Providers with fixed slots
   * (Azure key1/key2) need it to mint into the slot that is NOT in use.
   */
  replacing?: { providerKeyId: string | null; providerData: Record<string, string> } | undefined;
  signal?: AbortSignal | undefined;
}

export interface MintedKey {
  value: SecretValue;
  /** The provider's id for the key or its owning object (service account id, key id). */
  providerKeyId: string | null;
  /** Extra provider-side ids needed to revoke later (e.g. `{ serviceAccountId }`). Never a value. */
  providerData: Record<string, string>;
}

/** A provider-side key as listed, without its value. */
export interface ProviderKeyInfo {
  providerKeyId: string;
  name: string | null;
  /** Redacted as the provider shows it. */
  redactedValue: string | null;
  createdAt: Date | null;
  lastUsedAt: Date | null;
  /** `active`, `inactive`, `archived`, `disabled`… as the provider says. */
  status: string;
  providerData: Record<string, string>;
}

export type Liveness = 'live' | 'dead' | 'unknown';

export interface KeyTestRequest {
  credential: ProviderCredentialRef;
  value: SecretValue;
  /** Probe these models with a minimal request (default: the credential's allowed models). */
  models?: string[] | undefined;
  signal?: AbortSignal | undefined;
}

export interface KeyTestResult {
  /** Only an explicit success is `live`; a 401/403 is `dead`; anything else `unknown`. */
  liveness: Liveness;
  /** False when the key works but belongs to another org/project than the credential. Null when not checkable. */
  scopeMatches: boolean | null;
  models: Array<{ model: string; ok: boolean; status: number | null }>;
  /** A short, value-free reason when not live. */
  reason?: string | undefined;
}

export interface RevokeRequest {
  credential: ProviderCredentialRef;
  providerKeyId: string | null;
  providerData: Record<string, string>;
  signal?: AbortSignal | undefined;
}

export interface RevokeResult {
  /** True when the provider said the key was already gone (still a success). */
  alreadyGone: boolean;
}

export interface UsageRequest {
  credential: ProviderCredentialRef;
  providerKeyId: string;
  providerData: Record<string, string>;
  since: Date;
  until?: Date | undefined;
  signal?: AbortSignal | undefined;
}

export interface KeyUsage {
  /** Requests seen on this key in [since, until), when the provider reports them. */
  requests: number | null;
  lastUsedAt: Date | null;
  /** Width of the provider's usage buckets, so callers know how fresh the data can be. */
  resolutionSeconds: number;
}

export interface ProviderCapabilities {
  /** `api`: the adapter mints by itself. `human`: a person must supply the value. */
  mint: 'api' | 'human';
  /** `api`: revoke through the provider. `human`: a person revokes; the adapter can only check. */
  revoke: 'api' | 'human';
  usage: boolean;
  listKeys: boolean;
}

export interface ProviderV1 {
  readonly specificationVersion: typeof PROVIDER_SPEC_VERSION;
  readonly kind: ProviderKind;
  readonly capabilities: ProviderCapabilities;
  mint(request: MintRequest): Promise<MintedKey>;
  /**
   * After a crash between the mint call and saving its result: the key minted for this
   * rotation, if the provider holds one (found by the name derived from the rotation id).
   * Its value cannot be read back, so callers revoke it and mint again.
   */
  findMinted?(request: { credential: ProviderCredentialRef; rotationId: string; signal?: AbortSignal }): Promise<ProviderKeyInfo | undefined>;
  test(request: KeyTestRequest): Promise<KeyTestResult>;
  /** Idempotent: a key that is already gone is a success with `alreadyGone: true`. */
  revoke(request: RevokeRequest): Promise<RevokeResult>;
  usage?(request: UsageRequest): Promise<KeyUsage>;
  listKeys?(request: { credential: ProviderCredentialRef; signal?: AbortSignal }): Promise<ProviderKeyInfo[]>;
}
