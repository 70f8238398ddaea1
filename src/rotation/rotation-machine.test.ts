import { describe, expect, it } from 'vitest';
import {
  IllegalTransitionError,
  ROTATION_EVENT_TYPES,
  entryEffects,
  isStepEffect,
  startRotation,
  transition,
  type HoldInfo,
  type RotationContext,
  type RotationEvent,
  type RotationEventType,
  type RotationState,
} from './rotation-machine.js';
import { ROTATION_STATE_NAMES, type RotationStateName } from '../core/types.js';

function eventOf(type: RotationEventType): RotationEvent {
  switch (type) {
    case 'lock-busy':
      return { type, reason: 'held by another worker' };
    case 'minted':
      return { type, version: 8 };
    case 'mint-failed':
    case 'test-failed':
    case 'promote-failed':
    case 'revoke-failed':
    case 'finish-failed':
    case 'rollback-failed':
      return { type, reason: 'boom' };
    case 'deliver-failed':
      return { type, reason: 'sink down', sinks: ['app-env'] };
    case 'grace-held':
      return { type, reason: 'old key still used', holders: ['proxy:ticketing'] };
    default:
      return { type } as RotationEvent;
  }
}

const base: RotationContext = {
  mode: 'standard',
  emergencyPath: null,
  oldVersion: 7,
  pendingVersion: null,
  promoteStarted: false,
  oldRevoked: false,
  hold: null,
  rollbackOutcome: null,
  afterEmergencyRevoke: null,
  failure: null,
};
const minted: RotationContext = { ...base, pendingVersion: 8 };
const promoted: RotationContext = { ...minted, promoteStarted: true };
const mintFirst: RotationContext = { ...base, mode: 'emergency', emergencyPath: 'mint-first' };
const revokeFirst: RotationContext = { ...base, mode: 'emergency', emergencyPath: 'revoke-first' };
const revokedFirst: RotationContext = { ...revokeFirst, oldRevoked: true };

function held(context: RotationContext, resumeTo: HoldInfo['resumeTo']): RotationState {
  return { name: 'hold', context: { ...context, hold: { reason: 'r', resumeTo, holders: [] } } };
}

interface Case {
  label: string;
  state: RotationState;
  legal: Partial<Record<RotationEventType, RotationStateName>>;
}

const pre = { rollback: 'rollback', abort: 'rollback' } as const;

const cases: Case[] = [
  { label: 'lock', state: { name: 'lock', context: base }, legal: { 'lock-acquired': 'mint', 'lock-busy': 'failed', abort: 'rolled-back', rollback: 'rolled-back' } },
  { label: 'mint', state: { name: 'mint', context: base }, legal: { minted: 'test', 'value-needed': 'awaiting-value', 'mint-failed': 'failed', ...pre } },
  { label: 'awaiting-value', state: { name: 'awaiting-value', context: base }, legal: { 'value-supplied': 'mint', ...pre } },
  { label: 'test', state: { name: 'test', context: minted }, legal: { 'test-passed': 'deliver', 'test-failed': 'rollback', ...pre } },
  { label: 'deliver', state: { name: 'deliver', context: minted }, legal: { delivered: 'promote', 'deliver-failed': 'hold', ...pre } },
  { label: 'promote', state: { name: 'promote', context: minted }, legal: { promoted: 'grace', 'promote-failed': 'hold', rollback: 'rollback' } },
  { label: 'grace', state: { name: 'grace', context: promoted }, legal: { 'grace-ended': 'revoke', 'end-grace': 'revoke', 'grace-held': 'hold', rollback: 'rollback' } },
  { label: 'revoke', state: { name: 'revoke', context: promoted }, legal: { 'old-revoked': 'finish', 'revoke-failed': 'hold' } },
  { label: 'finish', state: { name: 'finish', context: { ...promoted, oldRevoked: true } }, legal: { finished: 'done', 'finish-failed': 'hold' } },
  { label: 'rollback (asked)', state: { name: 'rollback', context: { ...minted, rollbackOutcome: 'rolled-back' } }, legal: { 'rolled-back': 'rolled-back', 'rollback-failed': 'hold' } },
  { label: 'rollback (failed test)', state: { name: 'rollback', context: { ...minted, rollbackOutcome: 'failed' } }, legal: { 'rolled-back': 'failed', 'rollback-failed': 'hold' } },
  { label: 'hold@deliver', state: held(minted, 'deliver'), legal: { resume: 'deliver', ...pre } },
  { label: 'hold@promote', state: held(minted, 'promote'), legal: { resume: 'promote', ...pre } },
  { label: 'hold@grace', state: held(promoted, 'grace'), legal: { resume: 'grace', 'end-grace': 'revoke', rollback: 'rollback' } },
  { label: 'hold@revoke', state: held(promoted, 'revoke'), legal: { resume: 'revoke' } },
  { label: 'hold@finish', state: held({ ...promoted, oldRevoked: true }, 'finish'), legal: { resume: 'finish' } },
  { label: 'hold@rollback', state: held(minted, 'rollback'), legal: { resume: 'rollback' } },
  { label: 'failed', state: { name: 'failed', context: base }, legal: {} },
  { label: 'done', state: { name: 'done', context: promoted }, legal: {} },
  { label: 'rolled-back', state: { name: 'rolled-back', context: base }, legal: {} },
  // Emergency, mint first: every failure before promote revokes the leaked key first.
  { label: 'emergency mint-first lock', state: { name: 'lock', context: mintFirst }, legal: { 'lock-acquired': 'mint', 'lock-busy': 'failed', abort: 'rolled-back', rollback: 'rolled-back' } },
  { label: 'emergency mint-first mint', state: { name: 'mint', context: mintFirst }, legal: { minted: 'test', 'value-needed': 'awaiting-value', 'mint-failed': 'emergency-revoke', ...pre } },
  { label: 'emergency mint-first test', state: { name: 'test', context: { ...mintFirst, pendingVersion: 8 } }, legal: { 'test-passed': 'deliver', 'test-failed': 'emergency-revoke', ...pre } },
  { label: 'emergency mint-first deliver', state: { name: 'deliver', context: { ...mintFirst, pendingVersion: 8 } }, legal: { delivered: 'promote', 'deliver-failed': 'emergency-revoke', ...pre } },
  { label: 'emergency mint-first promote', state: { name: 'promote', context: { ...mintFirst, pendingVersion: 8 } }, legal: { promoted: 'revoke', 'promote-failed': 'emergency-revoke', rollback: 'rollback' } },
  { label: 'emergency mint-first revoke', state: { name: 'revoke', context: { ...mintFirst, pendingVersion: 8, promoteStarted: true } }, legal: { 'old-revoked': 'finish', 'revoke-failed': 'hold' } },
  {
    label: 'emergency revoke after a failure',
    state: { name: 'emergency-revoke', context: { ...mintFirst, afterEmergencyRevoke: { reason: 'x', resumeTo: 'deliver', holders: [] } } },
    legal: { 'old-revoked': 'hold', 'revoke-failed': 'hold' },
  },
  // Emergency, revoke first.
  { label: 'emergency revoke-first lock', state: { name: 'lock', context: revokeFirst }, legal: { 'lock-acquired': 'emergency-revoke', 'lock-busy': 'failed', abort: 'rolled-back', rollback: 'rolled-back' } },
  { label: 'emergency revoke-first revoke', state: { name: 'emergency-revoke', context: revokeFirst }, legal: { 'old-revoked': 'mint', 'revoke-failed': 'hold' } },
  { label: 'hold@emergency-revoke', state: held(revokeFirst, 'emergency-revoke'), legal: { resume: 'emergency-revoke', ...pre } },
  { label: 'emergency revoked mint', state: { name: 'mint', context: revokedFirst }, legal: { minted: 'test', 'value-needed': 'awaiting-value', 'mint-failed': 'hold' } },
  { label: 'emergency revoked awaiting-value', state: { name: 'awaiting-value', context: revokedFirst }, legal: { 'value-supplied': 'mint' } },
  { label: 'emergency revoked test', state: { name: 'test', context: { ...revokedFirst, pendingVersion: 8 } }, legal: { 'test-passed': 'deliver', 'test-failed': 'hold' } },
  { label: 'emergency revoked deliver', state: { name: 'deliver', context: { ...revokedFirst, pendingVersion: 8 } }, legal: { delivered: 'promote', 'deliver-failed': 'hold' } },
  { label: 'emergency revoked promote', state: { name: 'promote', context: { ...revokedFirst, pendingVersion: 8 } }, legal: { promoted: 'finish', 'promote-failed': 'hold' } },
  { label: 'hold@deliver after the leaked key died', state: held({ ...revokedFirst, pendingVersion: 8 }, 'deliver'), legal: { resume: 'deliver' } },
  { label: 'hold@mint after the leaked key died', state: held(revokedFirst, 'mint'), legal: { resume: 'mint' } },
];

describe('rotation machine: every state × every event', () => {
  it('covers every state name', () => {
    const covered = new Set(cases.map((item) => item.state.name));
    expect([...covered].sort()).toEqual([...ROTATION_STATE_NAMES].sort());
  });

  for (const item of cases) {
    describe(item.label, () => {
      for (const type of ROTATION_EVENT_TYPES) {
        const expected = item.legal[type];
        if (expected === undefined) {
          it(`rejects ${type}`, () => {
            expect(() => transition(item.state, eventOf(type))).toThrow(IllegalTransitionError);
          });
        } else {
          it(`${type} → ${expected}`, () => {
            const result = transition(item.state, eventOf(type));
            expect(result.state.name).toBe(expected);
            expect(result.effects).toEqual(entryEffects(result.state));
          });
        }
      }
    });
  }
});

describe('rotation machine: paths', () => {
  function run(start: ReturnType<typeof startRotation>, events: RotationEvent[]) {
    let current = start;
    const trail: string[] = [current.state.name];
    const effects = [...current.effects];
    for (const event of events) {
      current = transition(current.state, event);
      trail.push(current.state.name);
      effects.push(...current.effects);
    }
    return { state: current.state, trail, effects };
  }

  it('runs the happy path in protocol order and revokes only the old version, after grace', () => {
    const result = run(startRotation({ mode: 'standard', oldVersion: 3 }), [
      { type: 'lock-acquired' },
      { type: 'minted', version: 4 },
      { type: 'test-passed' },
      { type: 'delivered' },
      { type: 'promoted' },
      { type: 'grace-ended' },
      { type: 'old-revoked' },
      { type: 'finished' },
    ]);
    expect(result.trail).toEqual(['lock', 'mint', 'test', 'deliver', 'promote', 'grace', 'revoke', 'finish', 'done']);
    expect(result.effects.filter(isStepEffect).map((effect) => effect.type)).toEqual([
      'acquire-lock',
      'mint',
      'test',
      'deliver',
      'promote',
      'watch-grace',
      'revoke-old',
      'finish',
    ]);
    expect(result.effects).toContainEqual({ type: 'revoke-old', version: 3, emergency: false });
    expect(result.effects).toContainEqual({ type: 'promote', version: 4, expectedCurrent: 3 });
    expect(result.effects.at(-1)).toEqual({ type: 'release-lock' });
  });

  it('emergency revoke-first kills the old key before minting and skips grace', () => {
    const result = run(startRotation({ mode: 'emergency', emergencyPath: 'revoke-first', oldVersion: 3 }), [
      { type: 'lock-acquired' },
      { type: 'old-revoked' },
      { type: 'minted', version: 4 },
      { type: 'test-passed' },
      { type: 'delivered' },
      { type: 'promoted' },
      { type: 'finished' },
    ]);
    expect(result.trail).toEqual(['lock', 'emergency-revoke', 'mint', 'test', 'deliver', 'promote', 'finish', 'done']);
  });

  it('emergency mint-first delivers, promotes, then revokes with no grace', () => {
    const result = run(startRotation({ mode: 'emergency', emergencyPath: 'mint-first', oldVersion: 3 }), [
      { type: 'lock-acquired' },
      { type: 'minted', version: 4 },
      { type: 'test-passed' },
      { type: 'delivered' },
      { type: 'promoted' },
      { type: 'old-revoked' },
      { type: 'finished' },
    ]);
    expect(result.trail).toEqual(['lock', 'mint', 'test', 'deliver', 'promote', 'revoke', 'finish', 'done']);
  });

  it('emergency mint-first: a failed sink still revokes the leaked key, then holds at deliver', () => {
    const result = run(startRotation({ mode: 'emergency', emergencyPath: 'mint-first', oldVersion: 3 }), [
      { type: 'lock-acquired' },
      { type: 'minted', version: 4 },
      { type: 'test-passed' },
      { type: 'deliver-failed', reason: 'disk full', sinks: ['app-env'] },
      { type: 'old-revoked' },
    ]);
    expect(result.trail.slice(-2)).toEqual(['emergency-revoke', 'hold']);
    expect(result.state.context.hold).toEqual({ reason: 'delivery failed: disk full', resumeTo: 'deliver', holders: ['app-env'] });
    expect(result.state.context.oldRevoked).toBe(true);
    expect(() => transition(result.state, { type: 'rollback' })).toThrow(IllegalTransitionError);
    expect(transition(result.state, { type: 'resume' }).state.name).toBe('deliver');
  });

  it('a failed test discards the pending key and ends failed', () => {
    const result = run(startRotation({ mode: 'standard', oldVersion: 3 }), [
      { type: 'lock-acquired' },
      { type: 'minted', version: 4 },
      { type: 'test-failed', reason: 'wrong project' },
      { type: 'rolled-back' },
    ]);
    expect(result.trail).toEqual(['lock', 'mint', 'test', 'rollback', 'failed']);
    expect(result.effects).toContainEqual({ type: 'rollback', oldVersion: 3, newVersion: 4 });
    expect(result.state.context.failure).toBe('the new key failed its test: wrong project');
  });

  it('holds at grace naming the holders, and a person can end grace or roll back', () => {
    const result = run(startRotation({ mode: 'standard', oldVersion: 3 }), [
      { type: 'lock-acquired' },
      { type: 'minted', version: 4 },
      { type: 'test-passed' },
      { type: 'delivered' },
      { type: 'promoted' },
      { type: 'grace-held', reason: 'still used', holders: ['provider:openai', 'consumer:batch'] },
    ]);
    expect(result.state.name).toBe('hold');
    expect(result.effects).toContainEqual({ type: 'alert', reason: 'still used', holders: ['provider:openai', 'consumer:batch'] });
    expect(result.effects.filter((effect) => effect.type === 'revoke-old')).toEqual([]);
    expect(transition(result.state, { type: 'end-grace' }).state.name).toBe('revoke');
    const rolled = transition(result.state, { type: 'rollback' });
    expect(rolled.effects).toEqual([{ type: 'rollback', oldVersion: 3, newVersion: 4 }]);
  });

  it('a human-minted key pauses at awaiting-value and releases the lock', () => {
    const result = run(startRotation({ mode: 'standard', oldVersion: 1 }), [{ type: 'lock-acquired' }, { type: 'value-needed' }]);
    expect(result.state.name).toBe('awaiting-value');
    expect(result.effects.slice(-2)).toEqual([{ type: 'request-value' }, { type: 'release-lock' }]);
    expect(transition(result.state, { type: 'value-supplied' }).effects).toEqual([{ type: 'mint' }]);
  });
});

/** Random walks through legal transitions, checking the protocol's invariants at each step. */
describe('rotation machine: invariants on random walks', () => {
  function prng(seed: number): () => number {
    let value = seed >>> 0;
    return () => {
      value = (value * 1664525 + 1013904223) >>> 0;
      return value / 2 ** 32;
    };
  }

  it('never revokes before promote (standard), never promotes untested, never rolls back a revoked key', () => {
    const random = prng(42);
    let walks = 0;
    for (let walk = 0; walk < 3000; walk += 1) {
      const mode = random() < 0.5 ? 'standard' : 'emergency';
      const emergencyPath = random() < 0.5 ? 'mint-first' : 'revoke-first';
      let current = startRotation({ mode, emergencyPath, oldVersion: 1 });
      let promoted = false;
      let tested = false;
      let delivered = false;
      let oldRevoked = false;
      let graceEnded = false;
      for (let step = 0; step < 40; step += 1) {
        for (const effect of current.effects) {
          if (effect.type === 'revoke-old' && mode === 'standard') {
            expect(promoted && graceEnded).toBe(true);
          }
          if (effect.type === 'promote') expect(tested && delivered).toBe(true);
          if (effect.type === 'rollback') expect(oldRevoked).toBe(false);
        }
        if (current.state.name === 'done' || current.state.name === 'failed' || current.state.name === 'rolled-back') break;
        const legal = ROTATION_EVENT_TYPES.map(eventOf).filter((event) => {
          try {
            transition(current.state, event);
            return true;
          } catch {
            return false;
          }
        });
        expect(legal.length).toBeGreaterThan(0);
        const event = legal[Math.floor(random() * legal.length)];
        if (event === undefined) throw new Error('unreachable');
        if (event.type === 'minted') {
          tested = false;
          delivered = false;
        }
        if (event.type === 'test-passed') tested = true;
        if (event.type === 'delivered') delivered = true;
        if (event.type === 'promoted') promoted = true;
        if (event.type === 'grace-ended' || event.type === 'end-grace') graceEnded = true;
        if (event.type === 'old-revoked') oldRevoked = true;
        current = transition(current.state, event);
        expect(current.state.context.oldRevoked).toBe(oldRevoked);
      }
      // Emergency: any hold or end after a step failure has the leaked key dead.
      if (mode === 'emergency' && current.state.name === 'hold' && current.state.context.hold?.resumeTo !== 'emergency-revoke') {
        expect(current.state.context.oldRevoked || current.state.context.hold?.resumeTo === 'rollback').toBe(true);
      }
      walks += 1;
    }
    expect(walks).toBe(3000);
  });
});

describe('refusal hints say what this hold allows (issue #12)', () => {
  const refused = (state: RotationState, type: RotationEventType): IllegalTransitionError => {
    try {
      transition(state, eventOf(type));
    } catch (error) {
      if (error instanceof IllegalTransitionError) return error;
    }
    throw new Error('expected a refusal');
  };

  it('a rotation held at revoke cannot be rolled back, and the hint does not say it can', () => {
    const hint = refused(held(promoted, 'revoke'), 'rollback').hint ?? '';
    expect(hint).not.toMatch(/rolled back/);
    expect(hint).toContain('rekey rotations resume');
  });
});
