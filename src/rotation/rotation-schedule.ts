/**
 * Scheduled rotation: which credentials are due by their policy's `rotateEveryDays`
 * (age of the current version), and running them one after another for cron or CI
 * (`rekey rotate --due`). A credential with an active rotation is reported, not started.
 */
import type { Clock } from '../core/clock.js';
import type { Store } from '../store/store.js';
import { reasonOf } from './rotation-reason.js';
import type { RotationExecutor, RotationOutcome } from './rotation-executor.js';

const DAY_MS = 86_400_000;

/** A credential tag holding an ISO time: rotate at the next scheduled run if the current version is older. */
export const ROTATION_REQUESTED_TAG = 'rotation-requested-at';

export interface DueCredential {
  credential: string;
  version: number;
  ageDays: number;
  rotateEveryDays: number;
  dueSince: Date;
  /** An unfinished rotation that blocks a new one. */
  activeRotation: { id: string; state: string } | null;
}

export async function findDue(store: Pick<Store, 'listCredentials' | 'getVersionByStage' | 'listRotations'>, clock: Clock): Promise<DueCredential[]> {
  const now = clock.now().getTime();
  const due: DueCredential[] = [];
  for (const credential of await store.listCredentials()) {
    const every = credential.policy.rotateEveryDays;
    // `rekey offboard --rotate next-window` asks for a rotation at the next scheduled run.
    const requested = Date.parse(credential.tags[ROTATION_REQUESTED_TAG] ?? '');
    if ((every === undefined || every <= 0) && Number.isNaN(requested)) continue;
    const current = await store.getVersionByStage(credential.id, 'current');
    if (current === undefined) continue;
    const byPolicy = every === undefined || every <= 0 ? Number.POSITIVE_INFINITY : current.createdAt.getTime() + every * DAY_MS;
    const byRequest = !Number.isNaN(requested) && current.createdAt.getTime() <= requested ? requested : Number.POSITIVE_INFINITY;
    const dueSince = Math.min(byPolicy, byRequest);
    if (dueSince > now) continue;
    const [active] = await store.listRotations({ credentialId: credential.id, active: true, limit: 1 });
    due.push({
      credential: credential.name,
      version: current.number,
      ageDays: Math.floor((now - current.createdAt.getTime()) / DAY_MS),
      rotateEveryDays: every ?? 0,
      dueSince: new Date(dueSince),
      activeRotation: active === undefined ? null : { id: active.id, state: active.state },
    });
  }
  return due.sort((left, right) => left.dueSince.getTime() - right.dueSince.getTime());
}

export interface DueRunResult {
  credential: string;
  outcome: RotationOutcome | null;
  /** Value-free; set when the rotation could not start or threw. */
  error: string | null;
  skipped: boolean;
}

/** Rotate every due credential, oldest first; one failure does not stop the others. */
export async function runDue(
  deps: { store: Pick<Store, 'listCredentials' | 'getVersionByStage' | 'listRotations'>; executor: Pick<RotationExecutor, 'start'>; clock: Clock },
  options: { actor: string; graceQuietSeconds?: number | undefined; graceMaxSeconds?: number | undefined },
): Promise<DueRunResult[]> {
  const results: DueRunResult[] = [];
  for (const item of await findDue(deps.store, deps.clock)) {
    if (item.activeRotation !== null) {
      results.push({ credential: item.credential, outcome: null, error: `rotation ${item.activeRotation.id} is still ${item.activeRotation.state}`, skipped: true });
      continue;
    }
    try {
      const outcome = await deps.executor.start({
        credential: item.credential,
        kind: 'scheduled',
        actor: options.actor,
        graceQuietSeconds: options.graceQuietSeconds,
        graceMaxSeconds: options.graceMaxSeconds,
      });
      results.push({ credential: item.credential, outcome, error: outcome.state === 'done' ? null : (outcome.failure ?? outcome.hold?.reason ?? null), skipped: false });
    } catch (error) {
      results.push({ credential: item.credential, outcome: null, error: reasonOf(error), skipped: false });
    }
  }
  return results;
}
