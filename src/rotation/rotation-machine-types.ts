/**
 * The vocabulary of the rotation state machine: the context it carries, the events the
 * executor feeds back and the effects it asks for (the state names are in core/types.ts,
 * since the store keeps them). Data only; the transitions are in rotation-machine.ts.
 */
import type { RotationStateName } from '../core/types.js';

export const TERMINAL_STATES = ['failed', 'done', 'rolled-back'] as const satisfies readonly RotationStateName[];

/** States a hold can hand back to when a person resumes it. */
export type ResumableStateName = Extract<
  RotationStateName,
  'emergency-revoke' | 'mint' | 'test' | 'deliver' | 'promote' | 'grace' | 'revoke' | 'finish' | 'rollback'
>;

export type RotationMode = 'standard' | 'emergency';
/** Emergency only: mint and deliver before revoking (when that is fast), or revoke the leaked key first. */
export type EmergencyPath = 'mint-first' | 'revoke-first';

export interface HoldInfo {
  /** Value-free, human-readable. */
  reason: string;
  resumeTo: ResumableStateName;
  /** Sinks, consumers or usage sources that caused the hold. */
  holders: string[];
}

export interface RotationContext {
  mode: RotationMode;
  emergencyPath: EmergencyPath | null;
  /** The version that was current when the rotation started. */
  oldVersion: number;
  /** The version minted by this rotation, once it exists. */
  pendingVersion: number | null;
  /** The store has made the pending version current (or a promote may have happened). */
  promoteStarted: boolean;
  /** The old key has been revoked at the provider. */
  oldRevoked: boolean;
  hold: HoldInfo | null;
  /** Where a rollback ends: `rolled-back` when a person asked for it, `failed` after a failed test. */
  rollbackOutcome: 'rolled-back' | 'failed' | null;
  /** Emergency: after the leaked key is revoked, hold here (a step failed before the revoke). */
  afterEmergencyRevoke: HoldInfo | null;
  failure: string | null;
}

export interface RotationState {
  name: RotationStateName;
  context: RotationContext;
}

export type RotationEvent =
  | { type: 'lock-acquired' }
  | { type: 'lock-busy'; reason: string }
  | { type: 'minted'; version: number }
  | { type: 'value-needed' }
  | { type: 'value-supplied' }
  | { type: 'mint-failed'; reason: string }
  | { type: 'test-passed' }
  | { type: 'test-failed'; reason: string }
  | { type: 'delivered' }
  | { type: 'deliver-failed'; reason: string; sinks: string[] }
  | { type: 'promoted' }
  | { type: 'promote-failed'; reason: string }
  | { type: 'grace-ended' }
  | { type: 'grace-held'; reason: string; holders: string[] }
  | { type: 'old-revoked' }
  | { type: 'revoke-failed'; reason: string }
  | { type: 'finished' }
  | { type: 'finish-failed'; reason: string }
  | { type: 'rolled-back' }
  | { type: 'rollback-failed'; reason: string }
  // Decisions a person makes (CLI, dashboard).
  | { type: 'resume' }
  | { type: 'end-grace' }
  | { type: 'rollback' }
  | { type: 'abort' };

export type RotationEventType = RotationEvent['type'];

export const ROTATION_EVENT_TYPES = [
  'lock-acquired',
  'lock-busy',
  'minted',
  'value-needed',
  'value-supplied',
  'mint-failed',
  'test-passed',
  'test-failed',
  'delivered',
  'deliver-failed',
  'promoted',
  'promote-failed',
  'grace-ended',
  'grace-held',
  'old-revoked',
  'revoke-failed',
  'finished',
  'finish-failed',
  'rolled-back',
  'rollback-failed',
  'resume',
  'end-grace',
  'rollback',
  'abort',
] as const satisfies readonly RotationEventType[];

/** Effects that perform one protocol step; each answers with exactly one event. */
export type StepEffect =
  | { type: 'acquire-lock' }
  | { type: 'revoke-old'; version: number; emergency: boolean }
  | { type: 'mint' }
  | { type: 'test'; version: number }
  | { type: 'deliver'; version: number }
  | { type: 'promote'; version: number; expectedCurrent: number }
  | { type: 'watch-grace'; version: number }
  | { type: 'finish'; oldVersion: number; newVersion: number }
  | { type: 'rollback'; oldVersion: number; newVersion: number | null };

/** Effects that answer with no event. */
export type SideEffect =
  | { type: 'request-value' }
  | { type: 'alert'; reason: string; holders: string[] }
  | { type: 'release-lock' };

export type RotationEffect = StepEffect | SideEffect;

export interface TransitionResult {
  state: RotationState;
  effects: RotationEffect[];
}
