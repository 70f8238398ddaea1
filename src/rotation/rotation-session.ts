/**
 * One worker's hold on one rotation: the lease (renewed while it runs), the journal, the
 * record's revision, audit and progress. Steps receive a session and nothing else.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ConflictError } from '../core/errors.js';
import type { Credential, JournalEntry, RotationRecord, RotationStateName } from '../core/types.js';
import type { ProviderCredentialRef, ProviderV1 } from '../providers/provider-spec.js';
import { isHolderGone } from './lease-holder.js';
import { DEFAULT_ROTATION_SETTINGS, silentLogger, type RotationDeps, type RotationLogger, type RotationSettings } from './rotation-deps.js';
import { readRotationData, toRecordData, type RotationData } from './rotation-data.js';

export interface ResolvedDeps extends RotationDeps {
  logger: RotationLogger;
  settings: RotationSettings;
  workerId: string;
}

export function resolveDeps(deps: RotationDeps): ResolvedDeps {
  return {
    ...deps,
    logger: deps.logger ?? silentLogger,
    settings: { ...DEFAULT_ROTATION_SETTINGS, ...deps.settings },
    workerId: deps.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
  };
}

export function leaseNameFor(credentialId: string): string {
  return `rotation:${credentialId}`;
}

/** The lease on a credential's rotations, renewed in the background while held. */
export interface RotationLease {
  readonly name: string;
  readonly holder: string;
  /** Aborted when the lease is lost: steps stop, nothing more is persisted. */
  readonly signal: AbortSignal;
  renew(): Promise<void>;
  release(): Promise<void>;
}

export async function acquireRotationLease(deps: ResolvedDeps, credentialId: string, waitMs: number): Promise<RotationLease | undefined> {
  const { store, clock, settings } = deps;
  const name = leaseNameFor(credentialId);
  // Unique per acquisition: two runs in one process must not share a lock.
  const holder = `${deps.workerId}/${randomUUID().slice(0, 8)}`;
  const started = clock.now().getTime();
  let takeovers = 0;
  while (!(await store.acquireLease(name, holder, settings.leaseTtlMs, clock.now()))) {
    // A holder on this host whose process exited (Ctrl+C, kill, crash) frees its lock at once.
    const held = await store.getLease(name);
    if (held !== undefined && takeovers < 3 && isHolderGone(held.holder)) {
      takeovers += 1;
      await store.releaseLease(name, held.holder);
      continue;
    }
    if (clock.now().getTime() - started >= waitMs) return undefined;
    await clock.sleep(Math.min(1000, settings.leaseTtlMs / 4));
  }
  const controller = new AbortController();
  let released = false;
  const renew = async () => {
    if (released || controller.signal.aborted) throw new ConflictError(`lost the rotation lock ${name}`);
    const held = await store.renewLease(name, holder, settings.leaseTtlMs, clock.now()).catch(() => false);
    if (!held) {
      controller.abort(new ConflictError(`lost the rotation lock ${name}`));
      throw new ConflictError(`lost the rotation lock ${name}: another worker may have taken over`);
    }
  };
  // Background renewal for long provider or sink calls; steps also renew between polls.
  const timer = settings.backgroundLeaseRenewal ? setInterval(() => void renew().catch(() => undefined), Math.max(250, settings.leaseTtlMs / 3)) : undefined;
  timer?.unref();
  return {
    name,
    holder,
    signal: controller.signal,
    renew,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await store.releaseLease(name, holder).catch(() => undefined);
    },
  };
}

export interface RotationSession {
  readonly deps: ResolvedDeps;
  readonly credential: Credential;
  readonly provider: ProviderV1;
  readonly lease: RotationLease;
  readonly rotationId: string;
  readonly data: RotationData;
  readonly revision: number;
  credentialRef(): ProviderCredentialRef;
  /** Merge into the record's data and persist now (optimistic on the revision). */
  save(patch: Partial<RotationData>): Promise<void>;
  /** Persist a machine transition. */
  persist(patch: { state: RotationStateName; data: RotationData; error?: string | null; finishedAt?: Date | null }): Promise<RotationRecord>;
  journal(step: string, phase: JournalEntry['phase'], detail: Record<string, unknown>): Promise<void>;
  audit(event: string, outcome: 'ok' | 'error', fingerprint: string | null, detail: Record<string, unknown>): Promise<void>;
  progress(step: string, phase: 'begin' | 'end' | 'wait' | 'note', message: string, until?: Date | null): void;
  note(message: string): void;
  /** Sleep through the injected clock in slices, renewing the lease so it never lapses while waiting. */
  sleep(milliseconds: number): Promise<void>;
}

export function createRotationSession(
  deps: ResolvedDeps,
  record: RotationRecord,
  credential: Credential,
  provider: ProviderV1,
  lease: RotationLease,
): RotationSession {
  let data = readRotationData(record);
  let revision = record.revision;
  const rotationId = record.id;

  const update = async (patch: { state?: RotationStateName; data: RotationData; error?: string | null; finishedAt?: Date | null }) => {
    if (lease.signal.aborted) throw new ConflictError(`rotation ${rotationId}: the lock was lost; stopping without saving`);
    const updated = await deps.store.updateRotation(rotationId, revision, { ...patch, data: toRecordData(patch.data) });
    revision = updated.revision;
    data = patch.data;
    return updated;
  };

  return {
    deps,
    credential,
    provider,
    lease,
    rotationId,
    get data() {
      return data;
    },
    get revision() {
      return revision;
    },
    credentialRef: () => ({ name: credential.name, scope: credential.scope, allowedModels: credential.allowedModels }),
    async save(patch) {
      await update({ data: { ...data, ...patch } });
    },
    persist: (patch) => update(patch),
    async journal(step, phase, detail) {
      await deps.store.appendJournal({ rotationId, at: deps.clock.now(), step, phase, detail });
    },
    async audit(event, outcome, fingerprint, detail) {
      await deps.audit.record({
        event,
        actor: data.options.actor,
        credential: credential.name,
        fingerprint,
        outcome,
        detail: { rotation: rotationId, ...detail },
      });
    },
    progress(step, phase, message, until) {
      deps.onProgress?.({ rotationId, credential: credential.name, step, phase, message, ...(until === undefined || until === null ? {} : { until: until.toISOString() }) });
    },
    async sleep(milliseconds) {
      const slice = Math.max(1, Math.floor(deps.settings.leaseTtlMs / 3));
      let remaining = milliseconds;
      while (remaining > 0) {
        await lease.renew();
        const step = Math.min(slice, remaining);
        await deps.clock.sleep(step);
        remaining -= step;
      }
      await lease.renew();
    },
    note(message) {
      deps.logger.info(message, { rotation: rotationId, credential: credential.name });
      deps.onProgress?.({ rotationId, credential: credential.name, step: 'note', phase: 'note', message });
    },
  };
}
