/**
 * The rotation protocol (DESIGN.md §3) as a pure state machine (its vocabulary is in
 * rotation-machine-types.ts): `transition(state, event)`
 * returns the next state and the effects the executor must run. No I/O, no clock, no
 * randomness: the executor feeds back one event per step effect. See README.md for the
 * invariants this file guarantees.
 */
import { ConflictError } from '../core/errors.js';
import type { RotationStateName } from '../core/types.js';

export * from './rotation-machine-types.js';
import {
  TERMINAL_STATES,
  type EmergencyPath,
  type HoldInfo,
  type ResumableStateName,
  type RotationContext,
  type RotationEffect,
  type RotationEvent,
  type RotationEventType,
  type RotationMode,
  type RotationState,
  type StepEffect,
  type TransitionResult,
} from './rotation-machine-types.js';

export class IllegalTransitionError extends ConflictError {
  readonly from: RotationStateName;
  readonly eventType: RotationEventType;

  constructor(from: RotationStateName, eventType: RotationEventType, context?: RotationContext) {
    super(`event "${eventType}" is not allowed while a rotation is in state "${from}"`, {
      hint: allowedHint(from, context),
    });
    this.from = from;
    this.eventType = eventType;
  }
}

function allowedHint(from: RotationStateName, context?: RotationContext): string {
  if (isTerminal(from)) return `the rotation has ended (${from})`;
  if (from === 'hold') {
    const resumeTo = context?.hold?.resumeTo;
    // Say only what this hold allows (see the 'hold' case of transition()).
    if (resumeTo === 'rollback') return 'its rollback failed: fix the cause, then resume it (`rekey rotations resume <id>`)';
    if (resumeTo === 'revoke' || resumeTo === 'finish' || context?.oldRevoked === true) {
      return 'the old key may already be revoked, so there is no way back: fix the cause, then `rekey rotations resume <id>`';
    }
    if (resumeTo === 'grace') return 'a rotation held in grace can be resumed, rolled back, or ended with `rekey rotations end-grace <id>`';
    return 'a held rotation can be resumed or rolled back';
  }
  return `the rotation is running step "${from}"`;
}

export function isTerminal(name: RotationStateName): boolean {
  return (TERMINAL_STATES as readonly string[]).includes(name);
}

export function isStepEffect(effect: RotationEffect): effect is StepEffect {
  return effect.type !== 'request-value' && effect.type !== 'alert' && effect.type !== 'release-lock';
}

export interface StartOptions {
  mode: RotationMode;
  /** Required for emergency mode; ignored otherwise. */
  emergencyPath?: EmergencyPath | undefined;
  oldVersion: number;
}

export function startRotation(options: StartOptions): TransitionResult {
  const context: RotationContext = {
    mode: options.mode,
    emergencyPath: options.mode === 'emergency' ? (options.emergencyPath ?? 'revoke-first') : null,
    oldVersion: options.oldVersion,
    pendingVersion: null,
    promoteStarted: false,
    oldRevoked: false,
    hold: null,
    rollbackOutcome: null,
    afterEmergencyRevoke: null,
    failure: null,
  };
  return enter('lock', context);
}

/** The effects to (re)run for a state, e.g. when resuming after a crash. Steps are idempotent. */
export function entryEffects(state: RotationState): RotationEffect[] {
  const { context } = state;
  switch (state.name) {
    case 'lock':
      return [{ type: 'acquire-lock' }];
    case 'emergency-revoke':
      return [{ type: 'revoke-old', version: context.oldVersion, emergency: true }];
    case 'mint':
      return [{ type: 'mint' }];
    case 'awaiting-value':
      return [{ type: 'request-value' }, { type: 'release-lock' }];
    case 'test':
      return [{ type: 'test', version: requirePending(state) }];
    case 'deliver':
      return [{ type: 'deliver', version: requirePending(state) }];
    case 'promote':
      return [{ type: 'promote', version: requirePending(state), expectedCurrent: context.oldVersion }];
    case 'grace':
      return [{ type: 'watch-grace', version: context.oldVersion }];
    case 'revoke':
      return [{ type: 'revoke-old', version: context.oldVersion, emergency: context.mode === 'emergency' }];
    case 'finish':
      return [{ type: 'finish', oldVersion: context.oldVersion, newVersion: requirePending(state) }];
    case 'rollback':
      return [{ type: 'rollback', oldVersion: context.oldVersion, newVersion: context.pendingVersion }];
    case 'hold': {
      const hold = context.hold;
      return [
        { type: 'alert', reason: hold?.reason ?? 'rotation held', holders: hold?.holders ?? [] },
        { type: 'release-lock' },
      ];
    }
    case 'failed':
    case 'done':
    case 'rolled-back':
      return [{ type: 'release-lock' }];
  }
}

function requirePending(state: RotationState): number {
  if (state.context.pendingVersion === null) {
    throw new ConflictError(`rotation state "${state.name}" has no pending version`);
  }
  return state.context.pendingVersion;
}

function enter(name: RotationStateName, context: RotationContext): TransitionResult {
  const state = { name, context };
  return { state, effects: entryEffects(state) };
}

function hold(context: RotationContext, info: HoldInfo): TransitionResult {
  return enter('hold', { ...context, hold: info });
}

/** Before promote and before anything was revoked, a rollback only discards the pending key. */
function canRollBack(context: RotationContext): boolean {
  return !context.oldRevoked;
}

/** Abort is rollback restricted to before promote (after promote, say rollback explicitly). */
function canAbort(context: RotationContext): boolean {
  return !context.oldRevoked && !context.promoteStarted;
}

function startRollback(context: RotationContext, outcome: 'rolled-back' | 'failed', failure: string | null): TransitionResult {
  return enter('rollback', { ...context, hold: null, rollbackOutcome: outcome, failure: failure ?? context.failure });
}

/**
 * Emergency: a step failed before the leaked key was revoked. Revoke it now (the leak
 * costs more than an outage), then hold at the failed step for a person.
 */
function emergencyFailure(context: RotationContext, failedAt: ResumableStateName, reason: string, holders: string[]): TransitionResult {
  const info: HoldInfo = { reason, resumeTo: failedAt, holders };
  if (context.oldRevoked) return hold({ ...context, failure: reason }, info);
  return enter('emergency-revoke', { ...context, afterEmergencyRevoke: info, failure: reason });
}

function personEvent(state: RotationState, event: RotationEvent): TransitionResult | undefined {
  const { context } = state;
  if (event.type === 'rollback' && canRollBack(context)) return startRollback(context, 'rolled-back', null);
  if (event.type === 'abort' && canAbort(context)) return startRollback(context, 'rolled-back', null);
  return undefined;
}

/** The pure transition function. Throws `IllegalTransitionError` for anything not listed. */
export function transition(state: RotationState, event: RotationEvent): TransitionResult {
  const result = next(state, event);
  if (result === undefined) throw new IllegalTransitionError(state.name, event.type, state.context);
  return result;
}

function next(state: RotationState, event: RotationEvent): TransitionResult | undefined {
  const { context } = state;
  const emergency = context.mode === 'emergency';
  switch (state.name) {
    case 'lock':
      if (event.type === 'lock-acquired') {
        return enter(emergency && context.emergencyPath === 'revoke-first' ? 'emergency-revoke' : 'mint', context);
      }
      if (event.type === 'lock-busy') return enter('failed', { ...context, failure: event.reason });
      if (event.type === 'abort' || event.type === 'rollback') return enter('rolled-back', context);
      return undefined;

    case 'emergency-revoke':
      if (event.type === 'old-revoked') {
        const revoked = { ...context, oldRevoked: true, afterEmergencyRevoke: null };
        if (context.afterEmergencyRevoke !== null) return hold(revoked, context.afterEmergencyRevoke);
        // Only the revoke-first path (and failures before promote) come through here.
        return enter('mint', revoked);
      }
      if (event.type === 'revoke-failed') {
        return hold(context, {
          reason: `the leaked key could not be revoked: ${event.reason}`,
          resumeTo: 'emergency-revoke',
          holders: [],
        });
      }
      return undefined;

    case 'mint':
      if (event.type === 'minted') return enter('test', { ...context, pendingVersion: event.version });
      if (event.type === 'value-needed') return enter('awaiting-value', context);
      if (event.type === 'mint-failed') {
        if (emergency) return emergencyFailure(context, 'mint', `mint failed: ${event.reason}`, []);
        return enter('failed', { ...context, failure: `mint failed: ${event.reason}` });
      }
      return personEvent(state, event);

    case 'awaiting-value':
      if (event.type === 'value-supplied') return enter('mint', context);
      return personEvent(state, event);

    case 'test':
      if (event.type === 'test-passed') return enter('deliver', context);
      if (event.type === 'test-failed') {
        const reason = `the new key failed its test: ${event.reason}`;
        if (emergency) return emergencyFailure(context, 'test', reason, []);
        return startRollback(context, 'failed', reason);
      }
      return personEvent(state, event);

    case 'deliver':
      if (event.type === 'delivered') return enter('promote', context);
      if (event.type === 'deliver-failed') {
        const reason = `delivery failed: ${event.reason}`;
        if (emergency) return emergencyFailure(context, 'deliver', reason, event.sinks);
        return hold(context, { reason, resumeTo: 'deliver', holders: event.sinks });
      }
      return personEvent(state, event);

    case 'promote':
      if (event.type === 'promoted') {
        const promoted = { ...context, promoteStarted: true };
        if (!emergency) return enter('grace', promoted);
        return enter(context.oldRevoked ? 'finish' : 'revoke', promoted);
      }
      if (event.type === 'promote-failed') {
        const reason = `promote failed: ${event.reason}`;
        if (emergency) return emergencyFailure(context, 'promote', reason, []);
        return hold(context, { reason, resumeTo: 'promote', holders: [] });
      }
      // A crash mid-promote leaves it unknown whether the store promoted: rollback checks.
      if (event.type === 'rollback' && canRollBack(context)) {
        return startRollback({ ...context, promoteStarted: true }, 'rolled-back', null);
      }
      return undefined;

    case 'grace':
      // A person (or a leak of the old key) may end the grace early.
      if (event.type === 'grace-ended' || event.type === 'end-grace') return enter('revoke', context);
      if (event.type === 'grace-held') {
        return hold(context, { reason: event.reason, resumeTo: 'grace', holders: event.holders });
      }
      return personEvent(state, event);

    case 'revoke':
      if (event.type === 'old-revoked') return enter('finish', { ...context, oldRevoked: true });
      if (event.type === 'revoke-failed') {
        return hold(context, { reason: `revoke failed: ${event.reason}`, resumeTo: 'revoke', holders: [] });
      }
      return undefined;

    case 'finish':
      if (event.type === 'finished') return enter('done', { ...context, hold: null });
      if (event.type === 'finish-failed') {
        return hold(context, { reason: `finish failed: ${event.reason}`, resumeTo: 'finish', holders: [] });
      }
      return undefined;

    case 'rollback':
      if (event.type === 'rolled-back') return enter(context.rollbackOutcome ?? 'rolled-back', { ...context, hold: null });
      if (event.type === 'rollback-failed') {
        return hold(context, { reason: `rollback failed: ${event.reason}`, resumeTo: 'rollback', holders: [] });
      }
      return undefined;

    case 'hold': {
      const info = context.hold;
      if (info === null) return undefined;
      if (event.type === 'resume') return enter(info.resumeTo, { ...context, hold: null });
      if (event.type === 'end-grace' && info.resumeTo === 'grace') return enter('revoke', { ...context, hold: null });
      // A rollback that itself failed can only be resumed.
      if (info.resumeTo === 'rollback') return undefined;
      // Once the revoke step was reached the old key may be gone: no way back.
      if (info.resumeTo === 'revoke' || info.resumeTo === 'finish') return undefined;
      return personEvent(state, event);
    }

    case 'failed':
    case 'done':
    case 'rolled-back':
      return undefined;
  }
}
