/**
 * Drives a rotation: runs each effect the machine asks for, journals every step before
 * and after it runs, persists each transition on the record's revision, and stops at a
 * hold, at awaiting-value or at the end. Resuming replays a step whose outcome was
 * journaled but not yet applied, and tells a step that began without ending to reconcile.
 */
import { reasonOf } from './rotation-reason.js';
import type { SecretValue } from '../core/secret-value.js';
import type { JournalEntry } from '../core/types.js';
import {
  entryEffects,
  isStepEffect,
  isTerminal,
  transition,
  type RotationEffect,
  type RotationEvent,
  type RotationState,
  type SideEffect,
  type StepEffect,
} from './rotation-machine.js';
import { runDeliver, runRollback } from './rotation-delivery.js';
import { runWatchGrace } from './rotation-grace-step.js';
import type { RotationSession } from './rotation-session.js';
import { runFinish, runMint, runPromote, runRevokeOld, runTest } from './rotation-steps.js';

export interface DriveOptions {
  /** The outcome of the first step, journaled before a crash: apply it without re-running. */
  replay?: RotationEvent | undefined;
  /** The first step began and never ended (a crash): it must reconcile before acting. */
  resumed?: boolean | undefined;
  suppliedValue?: SecretValue | undefined;
  /** Grace restarts its clock (a person resumed a held grace). */
  restartGrace?: boolean | undefined;
}

async function runStep(session: RotationSession, effect: StepEffect, options: DriveOptions): Promise<RotationEvent> {
  switch (effect.type) {
    case 'acquire-lock':
      return acquireLockStep(session);
    case 'revoke-old':
      return runRevokeOld(session, effect.version, effect.emergency);
    case 'mint':
      return runMint(session, { resumed: options.resumed === true, suppliedValue: options.suppliedValue });
    case 'test':
      return runTest(session, effect.version);
    case 'deliver':
      return runDeliver(session, effect.version);
    case 'promote':
      return runPromote(session, effect.version, effect.expectedCurrent);
    case 'watch-grace':
      return runWatchGrace(session, effect.version, { restart: options.restartGrace === true });
    case 'finish':
      return runFinish(session, effect.oldVersion, effect.newVersion);
    case 'rollback':
      return runRollback(session, effect.oldVersion, effect.newVersion);
  }
}

/** The lease is already held; the lock step confirms this rotation is the only active one. */
async function acquireLockStep(session: RotationSession): Promise<RotationEvent> {
  const active = await session.deps.store.listRotations({ credentialId: session.credential.id, active: true });
  const other = active.find((rotation) => rotation.id !== session.rotationId);
  if (other !== undefined) return { type: 'lock-busy', reason: `rotation ${other.id} of ${session.credential.name} is still active (${other.state})` };
  return { type: 'lock-acquired' };
}

async function runSideEffect(session: RotationSession, effect: SideEffect): Promise<void> {
  if (effect.type === 'alert') {
    session.deps.logger.warn(`rotation held: ${effect.reason}`, { rotation: session.rotationId, credential: session.credential.name, holders: effect.holders });
    await session.audit('rotation-hold', 'error', null, { reason: effect.reason, holders: effect.holders });
    session.progress('hold', 'note', effect.reason);
    if (session.deps.alerts !== undefined) {
      const machine = session.data.machine;
      try {
        await session.deps.alerts.held({
          rotationId: session.rotationId,
          credential: session.credential.name,
          environment: session.credential.environment,
          reason: effect.reason,
          holders: effect.holders,
          resumeTo: machine.hold?.resumeTo ?? null,
          oldVersion: machine.oldVersion,
          newVersion: machine.pendingVersion,
          heldSince: session.deps.clock.now(),
          graceStartedAt: session.data.graceStartedAt === undefined ? null : new Date(session.data.graceStartedAt),
        });
      } catch (error) {
        session.deps.logger.warn(`rotation held, but the alert could not be written: ${reasonOf(error)}`, { rotation: session.rotationId });
      }
    }
  } else if (effect.type === 'request-value') {
    await session.audit('rotation-awaiting-value', 'ok', null, { provider: session.provider.kind });
    session.progress(
      'awaiting-value',
      'note',
      `${session.provider.kind} cannot mint keys by API: create one in its console, then run \`rekey rotations resume ${session.rotationId} --value-from-stdin\``,
    );
  }
  // release-lock: the caller releases the lease when drive() returns.
}

/** What the journal says about the step the state would run: replay its outcome, or reconcile. */
export function journalResumePoint(state: RotationState, revision: number, journal: JournalEntry[]): Pick<DriveOptions, 'replay' | 'resumed'> {
  const step = entryEffects(state).find(isStepEffect);
  const last = journal.at(-1);
  if (step === undefined || last === undefined || last.step !== step.type) return {};
  if (last.phase === 'end' && last.detail['revision'] === revision && typeof last.detail['event'] === 'object') {
    return { replay: last.detail['event'] as RotationEvent };
  }
  if (last.phase === 'begin') return { resumed: true };
  return {};
}

function describeEvent(event: RotationEvent): Record<string, unknown> {
  // Events are value-free by construction; keep them whole for replay.
  return JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
}

export async function drive(session: RotationSession, start: RotationState, effects: RotationEffect[], options: DriveOptions = {}): Promise<RotationState> {
  const { clock } = session.deps;
  let state = start;
  let pending = effects;
  let replay = options.replay;
  let resumed = options.resumed === true;
  let restartGrace = options.restartGrace === true;

  for (;;) {
    let event: RotationEvent | undefined;
    const timings = { ...session.data.timings };
    for (const effect of pending) {
      if (!isStepEffect(effect)) {
        await runSideEffect(session, effect);
        continue;
      }
      if (replay !== undefined) {
        event = replay;
        replay = undefined;
        continue;
      }
      await session.lease.renew();
      const begin = clock.now().toISOString();
      timings[effect.type] = { begin };
      await session.journal(effect.type, 'begin', { effect: { ...effect }, revision: session.revision, resumed });
      session.progress(effect.type, 'begin', `${effect.type}…`);
      event = await runStep(session, effect, { ...options, resumed, restartGrace });
      resumed = false;
      restartGrace = false;
      timings[effect.type] = { begin, end: clock.now().toISOString() };
      await session.journal(effect.type, 'end', { event: describeEvent(event), revision: session.revision });
      session.progress(effect.type, 'end', event.type);
    }
    if (event === undefined) return state;

    const next = transition(state, event);
    const terminal = isTerminal(next.state.name);
    const context = next.state.context;
    await session.persist({
      state: next.state.name,
      data: { ...session.data, machine: context, timings },
      error: next.state.name === 'hold' ? (context.hold?.reason ?? null) : next.state.name === 'failed' ? context.failure : null,
      finishedAt: terminal ? clock.now() : null,
    });
    if (next.state.name === 'failed' || next.state.name === 'rolled-back') {
      await session.audit('rotation-end', next.state.name === 'failed' ? 'error' : 'ok', null, {
        state: next.state.name,
        ...(context.failure === null ? {} : { reason: context.failure }),
      });
    }
    state = next.state;
    pending = next.effects;
  }
}
