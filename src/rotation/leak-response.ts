/**
 * What to do when one of our keys is found leaked (the scanner's `onOwnKeyFound`): make
 * the leaked key dead as fast as is safe, whatever stage it is in, and say how long it
 * took from the finding.
 *
 * - current: an emergency rotation (after aborting a rotation that has not promoted yet,
 *   or finishing one whose grace was running for the new key);
 * - previous (the old key of a rotation in grace): end that grace now, so it is revoked;
 * - pending (the new key of a rotation not yet promoted): abort that rotation, which
 *   discards and revokes it;
 * - revoked or discarded: nothing to do.
 *
 * A credential whose policy says `onLeak: alert` is only reported unless forced.
 */
import type { Clock } from '../core/clock.js';
import { ConflictError } from '../core/errors.js';
import type { RotationRecord, RotationStateName, Stage } from '../core/types.js';
import type { Store } from '../store/store.js';
import { readRotationData } from './rotation-data.js';
import type { AuditRecorder } from './rotation-deps.js';
import type { RotationExecutor } from './rotation-executor.js';
import { reasonOf } from './rotation-reason.js';
import { leaseNameFor } from './rotation-session.js';

export interface LeakReport {
  /** The vault fingerprint of the leaked value. */
  fingerprint: string;
  /** When it was found: starts the finding-to-dead clock. */
  foundAt: Date;
  actor: string;
  /** Where it was found, value-free (a path and line, a log name). */
  where?: string | undefined;
  /** Rotate even when the credential's policy says `onLeak: alert`. */
  force?: boolean | undefined;
  /** How long to wait for a rotation running elsewhere to revoke the key. Default 120 s. */
  waitMs?: number | undefined;
}

export type LeakAction = 'emergency-rotation' | 'grace-ended' | 'pending-discarded' | 'already-dead' | 'alert-only' | 'failed';

export interface LeakResponse {
  credential: string;
  version: number;
  stage: Stage;
  action: LeakAction;
  rotationId: string | null;
  oldKeyDeadAt: Date | null;
  secondsFromFindingToDead: number | null;
  reason: string | null;
}

export interface LeakResponseDeps {
  store: Pick<Store, 'findVersionsByFingerprint' | 'getCredentialById' | 'listRotations' | 'getRotation' | 'getLease'>;
  executor: Pick<RotationExecutor, 'start' | 'decide' | 'request'>;
  audit: AuditRecorder;
  clock: Clock;
}

const GRACE_STATES: readonly RotationStateName[] = ['grace', 'revoke', 'finish'];

export async function respondToLeak(deps: LeakResponseDeps, report: LeakReport): Promise<LeakResponse[]> {
  const responses: LeakResponse[] = [];
  for (const version of await deps.store.findVersionsByFingerprint(report.fingerprint)) {
    const credential = await deps.store.getCredentialById(version.credentialId);
    if (credential === undefined) continue;
    const base = { credential: credential.name, version: version.number, stage: version.stage };
    let response: LeakResponse;
    try {
      response = { ...base, ...(await respondFor(deps, report, credential, version.number, version.stage)) };
    } catch (error) {
      response = { ...base, action: 'failed', rotationId: null, oldKeyDeadAt: null, secondsFromFindingToDead: null, reason: reasonOf(error) };
    }
    await deps.audit.record({
      event: 'leak-response',
      actor: report.actor,
      credential: credential.name,
      fingerprint: report.fingerprint,
      outcome: response.action === 'failed' ? 'error' : 'ok',
      detail: {
        version: version.number,
        stage: version.stage,
        action: response.action,
        rotation: response.rotationId,
        secondsFromFindingToDead: response.secondsFromFindingToDead,
        ...(report.where === undefined ? {} : { where: report.where }),
        ...(response.reason === null ? {} : { reason: response.reason }),
      },
    });
    responses.push(response);
  }
  return responses;
}

type ResponseBody = Omit<LeakResponse, 'credential' | 'version' | 'stage'>;

async function respondFor(
  deps: LeakResponseDeps,
  report: LeakReport,
  credential: { id: string; name: string; policy: { onLeak?: 'rotate' | 'alert' | undefined } },
  versionNumber: number,
  stage: Stage,
): Promise<ResponseBody> {
  const done = (action: LeakAction, rotationId: string | null, deadAt: Date | null, reason: string | null = null): ResponseBody => ({
    action,
    rotationId,
    oldKeyDeadAt: deadAt,
    secondsFromFindingToDead: deadAt === null ? null : (deadAt.getTime() - report.foundAt.getTime()) / 1000,
    reason,
  });
  if (stage === 'revoked' || stage === 'discarded') return done('already-dead', null, null, `version ${versionNumber} is already ${stage}`);
  if (credential.policy.onLeak === 'alert' && report.force !== true) return done('alert-only', null, null, 'the credential policy says onLeak: alert');

  const [active] = await deps.store.listRotations({ credentialId: credential.id, active: true, limit: 1 });

  if (stage === 'pending') {
    if (active === undefined) return done('failed', null, null, `version ${versionNumber} is pending but no rotation is active`);
    const aborted = await deps.executor.decide(active.id, 'abort', report.actor);
    if (aborted.state !== 'rolled-back') return done('failed', active.id, null, aborted.hold?.reason ?? aborted.failure ?? aborted.state);
    return done('pending-discarded', active.id, deps.clock.now());
  }

  if (stage === 'previous') {
    if (active === undefined) return done('failed', null, null, `version ${versionNumber} is previous but no rotation is active`);
    const deadAt = await endGraceAndWait(deps, report, active);
    return done('grace-ended', active.id, deadAt);
  }

  // The current key leaked. A rotation under way either has not promoted (its pending key
  // was never used: abort it) or is in grace for the new current key (let it finish now).
  if (active !== undefined) {
    const data = readRotationData(active);
    const inGrace = GRACE_STATES.includes(active.state) || (active.state === 'hold' && data.machine.hold?.resumeTo === 'grace');
    if (inGrace) await endGraceAndWait(deps, report, active);
    else {
      const aborted = await deps.executor.decide(active.id, 'abort', report.actor);
      if (aborted.state !== 'rolled-back') return done('failed', active.id, null, `could not abort rotation ${active.id}: ${aborted.hold?.reason ?? aborted.state}`);
    }
  }
  const outcome = await deps.executor.start({ credential: credential.name, emergency: true, actor: report.actor });
  const deadAt = outcome.data.oldKeyDeadAt === undefined ? null : new Date(outcome.data.oldKeyDeadAt);
  if (outcome.state !== 'done' && deadAt === null) return done('failed', outcome.rotationId, null, outcome.failure ?? outcome.hold?.reason ?? outcome.state);
  return done('emergency-rotation', outcome.rotationId, deadAt, outcome.state === 'done' ? null : (outcome.hold?.reason ?? null));
}

/** End a rotation's grace (now, or by request to the worker running it) and wait until its old key is dead. */
async function endGraceAndWait(deps: LeakResponseDeps, report: LeakReport, rotation: RotationRecord): Promise<Date | null> {
  const lease = await deps.store.getLease(leaseNameFor(rotation.credentialId));
  const running = lease !== undefined && lease.expiresAt > deps.clock.now();
  const held = rotation.state === 'hold' || (rotation.state === 'grace' && !running);
  if (held) {
    const outcome = await deps.executor.decide(rotation.id, 'end-grace', report.actor);
    return outcome.data.oldKeyDeadAt === undefined ? null : new Date(outcome.data.oldKeyDeadAt);
  }
  if (rotation.state === 'grace') {
    await deps.executor.request(rotation.id, 'end-grace', { actor: report.actor, reason: `the old key was found leaked${report.where === undefined ? '' : ` in ${report.where}`}` });
  }
  // The worker running it revokes the key; wait for that, bounded.
  const deadline = deps.clock.now().getTime() + (report.waitMs ?? 120_000);
  for (;;) {
    const current = await deps.store.getRotation(rotation.id);
    const data = current === undefined ? undefined : readRotationData(current);
    if (data?.oldKeyDeadAt !== undefined) return new Date(data.oldKeyDeadAt);
    if (current === undefined || current.finishedAt !== null || current.state === 'hold') {
      throw new ConflictError(`rotation ${rotation.id} stopped (${current?.state ?? 'gone'}) before the leaked key was revoked`);
    }
    if (deps.clock.now().getTime() >= deadline) throw new ConflictError(`rotation ${rotation.id} did not revoke the leaked key in time`, { isRetryable: true });
    await deps.clock.sleep(250);
  }
}
