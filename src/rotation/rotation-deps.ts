/**
 * What the rotation executor needs, as one named object narrowed to the methods it calls
 * (STYLE.md §4). Fakes in tests implement exactly these shapes.
 */
import type { Clock } from '../core/clock.js';
import type { SecretValue } from '../core/secret-value.js';
import type { Consumer, Credential } from '../core/types.js';
import type { ProviderV1 } from '../providers/provider-spec.js';
import type { Sink } from '../sinks/sink-spec.js';
import type { ReloadRequest, ReloadResult } from '../sinks/exec-reload.js';
import type { Store } from '../store/store.js';
import type { Vault } from '../vault/vault.js';
import type { UsageObservation } from './grace.js';

export type RotationStore = Pick<
  Store,
  | 'getCredential'
  | 'getCredentialById'
  | 'listCredentials'
  | 'getVersion'
  | 'getVersionByStage'
  | 'listVersions'
  | 'setVersionStage'
  | 'promote'
  | 'rollback'
  | 'listConsumers'
  | 'createRotation'
  | 'getRotation'
  | 'listRotations'
  | 'updateRotation'
  | 'appendJournal'
  | 'listJournal'
  | 'acquireLease'
  | 'renewLease'
  | 'releaseLease'
  | 'getLease'
>;

export type RotationVault = Pick<Vault, 'putVersion' | 'reveal' | 'fingerprintOf'>;

/** The audit log's `record` (src/audit/audit-log.ts). */
export interface AuditRecorder {
  record(input: {
    event: string;
    actor: string;
    credential: string | null;
    fingerprint: string | null;
    outcome: 'ok' | 'error';
    detail: Record<string, unknown>;
  }): Promise<unknown>;
}

export interface ProviderResolver {
  /** The adapter for this credential's provider (ConfigError when none is configured). */
  resolve(credential: Credential): Promise<ProviderV1> | ProviderV1;
}

export interface Reload {
  describe(): string;
  run(request: ReloadRequest): Promise<ReloadResult>;
}

export interface SinkResolver {
  create(consumer: Consumer): Promise<Sink>;
  /**
   * The reload action for one consumer's reload config. Reloads are grouped per app and
   * run once, after every consumer of the app was delivered (src/sinks/reload-plan.ts).
   */
  reloadAction(consumerName: string, reload: Record<string, unknown>): Promise<Reload> | Reload;
}

/** A non-provider view of who uses a key: the proxy's metering, SDK check-ins. */
export interface UsageSource {
  readonly name: string;
  observe(request: { credential: Credential; version: number; fingerprint: string; since: Date }): Promise<UsageObservation[]>;
}

export interface RotationLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: RotationLogger = { info: () => undefined, warn: () => undefined };

export interface RotationSettings {
  /** Lease time to live; a killed worker's lock frees itself after this. Default 30 s. */
  leaseTtlMs: number;
  /** How long to wait for a dead holder's lease to expire when resuming. Default: one TTL and a bit. */
  leaseWaitMs: number;
  /** Renew the lease on a timer (every TTL/3) during long calls, besides between steps. Default true. */
  backgroundLeaseRenewal: boolean;
  /** Bound on waiting for a new key to answer (activation delay). Default 120 s. */
  testTimeoutMs: number;
  /** Bound on waiting for a revoked key to be refused (revocation delay). Default 120 s. */
  revokeConfirmTimeoutMs: number;
  /** Emergency: mint, test and deliver first only if that fits in this budget. Default 60 s. */
  emergencyBudgetMs: number;
  /** Retries of a retryable sink error before the delivery holds. Default 3. */
  sinkAttempts: number;
  /** Grace polling interval bounds. */
  gracePollMinMs: number;
  gracePollMaxMs: number;
}

export const DEFAULT_ROTATION_SETTINGS: RotationSettings = {
  leaseTtlMs: 30_000,
  leaseWaitMs: 40_000,
  backgroundLeaseRenewal: true,
  testTimeoutMs: 120_000,
  revokeConfirmTimeoutMs: 120_000,
  emergencyBudgetMs: 60_000,
  sinkAttempts: 3,
  gracePollMinMs: 1_000,
  gracePollMaxMs: 30_000,
};

/** Progress for a live display; never carries a value. */
export interface RotationProgress {
  rotationId: string;
  credential: string;
  step: string;
  phase: 'begin' | 'end' | 'wait' | 'note';
  message: string;
  /** For 'wait': when the wait ends if nothing changes (ISO time), when known. */
  until?: string | undefined;
}

/** Who hears that a rotation held (the alert outbox, wired by the CLI). Value-free. */
export interface RotationAlerts {
  held(notice: {
    rotationId: string;
    credential: string;
    environment: string | null;
    reason: string;
    holders: string[];
    resumeTo: string | null;
    oldVersion: number | null;
    newVersion: number | null;
    heldSince: Date;
    graceStartedAt: Date | null;
  }): Promise<void>;
}

export interface RotationDeps {
  store: RotationStore;
  vault: RotationVault;
  audit: AuditRecorder;
  providers: ProviderResolver;
  sinks: SinkResolver;
  clock: Clock;
  logger?: RotationLogger | undefined;
  usageSources?: UsageSource[] | undefined;
  settings?: Partial<RotationSettings> | undefined;
  onProgress?: ((progress: RotationProgress) => void) | undefined;
  /** Told when a rotation holds; its failure is logged and never stops the rotation. */
  alerts?: RotationAlerts | undefined;
  /** Identifies this worker in leases: host, pid and a random part by default. */
  workerId?: string | undefined;
}

/** For providers that cannot mint by API: the value a person supplied for this run only. */
export interface SuppliedValue {
  value: SecretValue;
}
